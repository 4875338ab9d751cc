"""Orders and payments, as tenant tables (test/clients/run.sh)."""

import django.db.models.deletion
from django.db import migrations, models

import djangoapp.middleware


# README: django-migration
class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("tenant_id", models.BigIntegerField(
                    default=djangoapp.middleware.current_tenant_id, editable=False)),
                ("item", models.TextField()),
            ],
            options={"db_table": "orders"},
        ),
        migrations.RunSQL("SELECT tenant_guard.protect('orders')",
                          reverse_sql="SELECT tenant_guard.unprotect('orders')"),
        migrations.CreateModel(
            name="Payment",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("tenant_id", models.BigIntegerField(
                    default=djangoapp.middleware.current_tenant_id, editable=False)),
                ("order", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, to="djangoapp.order")),
                ("amount", models.IntegerField()),
            ],
            options={"db_table": "payments"},
        ),
        migrations.RunSQL("SELECT tenant_guard.protect('payments')",
                          reverse_sql="SELECT tenant_guard.unprotect('payments')"),
    ]
# END README
