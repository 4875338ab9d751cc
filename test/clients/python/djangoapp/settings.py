"""Django settings of the client-library test (test/clients/run.sh); the
driver, django_app.py, passes the connection in TG_DJANGO_* variables."""

import os

SECRET_KEY = "tenant_guard test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = ["djangoapp"]
ROOT_URLCONF = "djangoapp.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MIDDLEWARE = ["djangoapp.middleware.TenantMiddleware"]

HOST = os.environ["TG_DJANGO_HOST"]
PORT = os.environ["TG_DJANGO_PORT"]
NAME = os.environ["TG_DJANGO_NAME"]
OWNER_HOST = os.environ.get("TG_DJANGO_OWNER_HOST", HOST)
OWNER_PORT = os.environ.get("TG_DJANGO_OWNER_PORT", PORT)
BEHIND_PGBOUNCER = os.environ["TG_DJANGO_ENDPOINT"] == "pgbouncer"

# README: django-settings
DATABASES = {
    "default": {  # the application: tg_app, neither owner nor superuser
        "ENGINE": "django.db.backends.postgresql",
        "HOST": HOST, "PORT": PORT, "NAME": NAME, "USER": "tg_app",
        "CONN_MAX_AGE": None,
        # PgBouncer in transaction mode: no cursor may outlive its transaction
        "DISABLE_SERVER_SIDE_CURSORS": BEHIND_PGBOUNCER,
    },
    "owner": {  # migrations: python manage.py migrate --database owner
        "ENGINE": "django.db.backends.postgresql",
        "HOST": OWNER_HOST, "PORT": OWNER_PORT, "NAME": NAME,
        "USER": "tg_migrator", "OPTIONS": {"options": "-c role=tg_owner"},
    },
}
# END README
