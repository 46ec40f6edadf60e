"""Authentication events to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .audit import AuditEventType


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        import time

        request.session["xn_login_at"] = time.time()
        request.session["xn_seen_at"] = time.time()
    audit.record(AuditEventType.LOGIN, actor=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditEventType.LOGOUT, actor=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The attempted name is recorded (it may be a typo of a real one); the password never is.
    audit.record(AuditEventType.LOGIN_FAILED, actor_name=str(credentials.get("username", ""))[:150])


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    audit.record(AuditEventType.LOCKED_OUT, actor_name=str(username or "")[:150], ip=ip_address or "")
