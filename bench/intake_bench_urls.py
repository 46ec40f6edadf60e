"""URLconf of bench/intake_bench.py only: the product's URLs plus two views for the run's baselines — a bare JSON
view, and the Open311 POST as it was before the intake queue (services.submit in the request). Nothing here is part
of the product."""

import secrets

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from xiaoneng.complaints import open311, ratelimit, services
from xiaoneng.complaints.models import Category, Channel
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Unit


@csrf_exempt
def bare(request):
    """A bare Django JSON endpoint: the same middleware, the form body parsed, no database."""
    return JsonResponse([{"ok": True, "n": len(request.POST)}], safe=False)


@csrf_exempt
def direct(request):
    """The Open311 POST before the queue: the same checks, then services.submit in the request — the work item and
    its deadline from the clock, the audit row under the chain head's lock held to the commit, 回避, the complaint."""
    p = request.POST
    try:
        client = open311.client_for(p.get("api_key", ""))
        if ratelimit.hit("open311_post", f"client:{client.pk}") is not None:
            return JsonResponse([{"code": 429, "description": "too many"}], safe=False, status=429)
        category = Category.objects.filter(code=p.get("service_code", ""), active=True).first()
        unit = (
            Unit.objects.filter(code=p.get("attribute[unit]", ""), is_active=True)
            .select_related("region")
            .first()
        )
        if category is None or unit is None:
            return JsonResponse(
                [{"code": 400, "description": "bad service_code or unit"}], safe=False, status=400
            )
        name = open311.full_name(p.get("first_name", ""), p.get("last_name", ""))
        token = (p.get("token") or "").strip()[:40] or secrets.token_hex(16)
        complaint, _code, _created = services.submit(
            channel=Channel.OPEN311,
            category=category,
            subject_unit=unit,
            subject_person_text=p.get("attribute[person]", "")[:60],
            content=p.get("description", ""),
            anonymous=not name,
            name=name,
            phone=p.get("phone", ""),
            email=p.get("email", ""),
            device=p.get("device_id", ""),
            idempotency_key=f"direct:{token}:{client.pk}",
            open311_client=client,
        )
    except (open311.Open311Error, TransitionRefused) as e:
        return JsonResponse([{"code": 400, "description": str(e)}], safe=False, status=400)
    return JsonResponse([{"service_request_id": complaint.tracking_no, "token": token}], safe=False)


urlpatterns = [
    path("bench/bare.json", bare),
    # Under /open311/ so the middleware treats it as public intake (the address pseudonymised), like the real one.
    path("open311/bench-direct.json", direct),
    path("", include("xiaoneng.urls")),
]
