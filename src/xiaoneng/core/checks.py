"""System checks that refuse an unsafe production start. prod.py sets XIAONENG_PRODUCTION; wsgi.py runs the
checks before serving, so gunicorn will not start with development keys or an active superuser."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connection
from django.utils.module_loading import import_string


@register(Tags.security)
def no_development_keys(app_configs, **kwargs):
    """Keys never come from the settings file or the development key file in production."""
    if not settings.XIAONENG_PRODUCTION:
        return []
    cls = import_string(settings.XIAONENG_KEY_PROVIDER["class"])
    if getattr(cls, "is_development", False):
        return [
            Error(
                "The development key provider holds the SM4/HMAC keys; production needs XIAONENG_KEY_PROVIDER "
                "(FileKeyProvider with a key file outside the code, or EnvKeyProvider from the secret store).",
                id="xiaoneng.E001",
            )
        ]
    return []


@register(Tags.security)
def no_active_superuser(app_configs, **kwargs):
    """三员分立: no all-powerful account may be active in production."""
    if not settings.XIAONENG_PRODUCTION or connection.settings_dict.get("NAME") in (None, ""):
        return []
    try:
        from xiaoneng.org.models import User

        if User.objects.filter(is_superuser=True, is_active=True).exists():
            return [Error("An active superuser exists; deactivate it (三员分立).", id="xiaoneng.E002")]
    except DatabaseError:  # database not migrated yet: nothing to check
        return []
    return []


@register(Tags.security)
def secret_key_set(app_configs, **kwargs):
    if settings.XIAONENG_PRODUCTION and len(settings.SECRET_KEY) < 50:
        return [Error("XIAONENG_SECRET_KEY must be set to a long random value.", id="xiaoneng.E003")]
    return []
