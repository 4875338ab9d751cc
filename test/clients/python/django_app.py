"""Django against tenant_guard (test/clients/run.sh): the migration with
manage.py's migrate as the tables' owner, then requests through Django's
whole request path (django.test.Client: middleware, URL resolution, views,
the ORM), one thread per worker with its own persistent connection.
Django 3.2 (Debian 12) talks to PostgreSQL through psycopg2."""

import os
import sys

import harness

args = harness.app_arguments()

app = harness.dsn_keywords(args.app_dsn)
os.environ.update(TG_DJANGO_HOST=app["host"], TG_DJANGO_PORT=app["port"],
                  TG_DJANGO_NAME=app["dbname"],
                  TG_DJANGO_ENDPOINT=args.endpoint)
if args.migrate_dsn:
    owner = harness.dsn_keywords(args.migrate_dsn)
    os.environ.update(TG_DJANGO_OWNER_HOST=owner["host"],
                      TG_DJANGO_OWNER_PORT=owner["port"])
os.environ["DJANGO_SETTINGS_MODULE"] = "djangoapp.settings"

import django  # noqa: E402

django.setup()

import threading  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.core.signals import got_request_exception  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402

from djangoapp import views  # noqa: E402

# The exception a request raised, caught in the thread that handled it
# (the test client's own raise_request_exception keeps one receiver for
# all threads, and would raise one thread's exception in another).
local = threading.local()


def store_exception(sender, request=None, **kwargs):
    local.exc = sys.exc_info()[1]


got_request_exception.connect(store_exception)


def request(path, tenant, data=None):
    """A POST through Django's whole request path.  One test client per
    thread: Django's connections are per thread, and persistent here
    (CONN_MAX_AGE = None)."""
    if not hasattr(local, "client"):
        local.client = Client(raise_request_exception=False)
    local.exc = None
    r = local.client.post(path, data or {}, HTTP_X_TENANT_ID=str(tenant))
    if local.exc is not None:
        raise local.exc
    if r.status_code != 200:
        raise RuntimeError("status %d" % r.status_code)
    return r.json()


def place_order(tenant):
    body = request("/orders", tenant, {"item": "pear", "amount": 7})
    return body["tenant_id"], body["seen"]


def forgetful():
    # A code path outside the middleware (a management command, a
    # background job) that reads orders without setting a tenant.
    return views.list_orders(RequestFactory().get("/list")).content


def polluting(tenant):
    request("/pollute", tenant)


def main():
    name = "django %s" % args.endpoint
    ok = True
    if args.migrate_dsn:
        try:
            call_command("migrate", database="owner", verbosity=0)
            harness.check("django migration", True,
                          "manage.py migrate --database owner as the tables' owner")
        except Exception as exc:  # noqa: BLE001
            harness.check("django migration", False, "%s %s" % (
                harness.sqlstate(exc), str(exc).splitlines()[0]))
            return 1
    for tenant in (5, 6):
        ok &= harness.expect_documented(name, place_order, tenant)
    ok &= harness.expect_refused(name, forgetful, "forgetful request")
    try:
        got = request("/bare", 6)["tenant_id"]
        ok &= harness.check(name, got == 6, "a model field without a default "
                            "inserts NULL: the row gets tenant_id %s of 6" % got)
    except Exception as exc:  # noqa: BLE001
        ok &= harness.check(name, False, "a model field without a default: "
                            "%s %s" % (harness.sqlstate(exc),
                                       str(exc).splitlines()[0]))
    ok &= harness.run_load(name, (place_order, forgetful, polluting),
                           args.per_worker, 16, args.monitor_dsn, args.dbname)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
