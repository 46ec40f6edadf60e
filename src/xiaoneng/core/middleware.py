"""Session timeouts, forced password change, and the request context for the audit trail."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from . import audit
from .audit import AuditEventType


def client_ip(request) -> str:
    # Behind the production reverse proxy the address comes from X-Forwarded-For's first hop (docs/deployment.md).
    forwarded = (
        request.META.get("HTTP_X_FORWARDED_FOR", "")
        if getattr(settings, "TRUST_X_FORWARDED_FOR", False)
        else ""
    )
    return (forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR", "")) or ""


# Where the public submits complaints (portal, Open311): no client address reaches the audit trail.
PUBLIC_INTAKE_PREFIXES = ("/portal/", "/open311/")


class SessionTimeoutMiddleware:
    """Idle timeout (no request for SESSION_IDLE_TIMEOUT) and absolute timeout (SESSION_ABSOLUTE_TIMEOUT after
    login), MLPS 2.0 L3 8.1.4.1 b. Also sets the client address for audit rows written during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = client_ip(request)
        if request.path.startswith(PUBLIC_INTAKE_PREFIXES):
            # A citizen's address identifies the complainant: the audit trail keeps a keyed pseudonym (the same
            # address gives the same pseudonym, so floods stay visible), never the address (SPEC §2).
            ip = audit.pseudonymous_ip(ip)
        token = audit.current_ip.set(ip)
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                now = time.time()
                started = request.session.get("xn_login_at")
                seen = request.session.get("xn_seen_at")
                if started is None:
                    request.session["xn_login_at"] = started = now
                expired = (seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT) or (
                    now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                )
                if expired:
                    audit.record(AuditEventType.SESSION_EXPIRED, actor=user)
                    logout(request)
                    if request.path.startswith("/api/"):
                        return self.get_response(request)
                    return redirect(f"{reverse('login')}?next={request.path}&expired=1")
                request.session["xn_seen_at"] = now
            return self.get_response(request)
        finally:
            audit.current_ip.reset(token)


class PasswordChangeRequiredMiddleware:
    """A seeded or reset account must set its own password before anything else (outside demo mode)."""

    allowed = ("password_change", "logout", "set_language", "healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not settings.DEMO_MODE
            and not request.path.startswith(
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
            )
        ):
            match = getattr(request, "resolver_match", None)
            allowed = {reverse(name) for name in self.allowed}
            if request.path not in allowed and not (match and match.url_name in self.allowed):
                if request.path.startswith("/api/"):
                    from django.http import JsonResponse

                    return JsonResponse(
                        {
                            "detail": "请先修改初始密码 (change your initial password first)",
                            "code": "password_change_required",
                        },
                        status=403,
                    )
                return redirect("password_change")
        return self.get_response(request)
