"""WSGI entry point (gunicorn xiaoneng.wsgi). In production the system checks run first and refuse to start
on an unsafe configuration (development keys, an active superuser, a missing secret key)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings.prod")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402

if settings.XIAONENG_PRODUCTION:
    from django.core.management import call_command  # noqa: E402

    call_command("check", fail_level="ERROR")
