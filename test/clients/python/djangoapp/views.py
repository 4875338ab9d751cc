"""The views of the client-library test (test/clients/run.sh)."""

from django.db import connection
from django.http import JsonResponse

from .models import BareOrder, Order, Payment


def place_order(request):
    order = Order.objects.create(item=request.POST["item"])
    Payment.objects.create(order=order, amount=int(request.POST["amount"]))
    seen = (list(Order.objects.values_list("tenant_id", flat=True))
            + list(Payment.objects.values_list("tenant_id", flat=True)))
    stored = Order.objects.get(pk=order.pk).tenant_id
    return JsonResponse({"tenant_id": stored, "seen": seen})


def list_orders(request):
    return JsonResponse(
        {"seen": list(Order.objects.values_list("tenant_id", flat=True))})


def pollute(request):
    # A session-level tenant (psycopg2 binds client-side).
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.current_tenant', %s, false)",
                       [request.headers["X-Tenant-Id"]])
    return JsonResponse({})


def bare_order(request):
    order = BareOrder.objects.create(item="fig")
    return JsonResponse({"tenant_id": BareOrder.objects.get(pk=order.pk).tenant_id})
