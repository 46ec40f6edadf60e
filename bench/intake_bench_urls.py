"""URLconf of bench/intake_bench.py only: the product's URLs plus one bare JSON view (the run's baseline)."""

from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    """A bare Django JSON endpoint: the same middleware, the form body parsed, no database."""
    return JsonResponse([{"ok": True, "n": len(request.POST)}], safe=False)


urlpatterns = [
    path("bench/bare.json", bare),
    path("", include("xiaoneng.urls")),
]
