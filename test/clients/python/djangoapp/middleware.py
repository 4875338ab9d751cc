"""The tenant of each request (test/clients/run.sh)."""

# README: django-middleware
import contextvars

from django.db import connection, transaction

current_tenant = contextvars.ContextVar("current_tenant")


def current_tenant_id():
    return current_tenant.get()


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant_id = request.headers["X-Tenant-Id"]  # in your application: from the authenticated user
        token = current_tenant.set(tenant_id)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT tenant_guard.set_tenant(%s)", [tenant_id])
                return self.get_response(request)
        finally:
            current_tenant.reset(token)
# END README
