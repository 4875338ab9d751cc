"""The models of the client-library test (test/clients/run.sh)."""

from django.db import models

from .middleware import current_tenant_id


# README: django-models
class Order(models.Model):
    tenant_id = models.BigIntegerField(default=current_tenant_id, editable=False)
    item = models.TextField()

    class Meta:
        db_table = "orders"


class Payment(models.Model):
    tenant_id = models.BigIntegerField(default=current_tenant_id, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT)
    amount = models.IntegerField()

    class Meta:
        db_table = "payments"
# END README


class BareOrder(models.Model):
    """orders, with a tenant column the model gives no default: Django
    inserts an explicit NULL, which protect()'s trigger fills in."""
    tenant_id = models.BigIntegerField()
    item = models.TextField()

    class Meta:
        db_table = "orders"
        managed = False
