from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from xiaoneng.accountability.api import ROUTES as ACCOUNTABILITY_ROUTES
from xiaoneng.complaints.api import ComplaintViewSet
from xiaoneng.core.viewsets import AuditEventViewSet, NotificationViewSet, WorkItemViewSet
from xiaoneng.eservice.api import (
    CaseViewSet,
    DataAnomalyViewSet,
    EventIntakeViewSet,
    MatterViewSet,
    MetricsViewSet,
)
from xiaoneng.org.api import PersonViewSet, RegionViewSet, UnitViewSet, UserViewSet
from xiaoneng.supervision.api import SupervisedItemViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("people", PersonViewSet, basename="person")
router.register("users", UserViewSet, basename="user")
router.register("work-items", WorkItemViewSet, basename="workitem")
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("supervision/items", SupervisedItemViewSet, basename="supervision-item")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("eservice/matters", MatterViewSet, basename="eservice-matter")
for prefix, viewset, basename in ACCOUNTABILITY_ROUTES:
    router.register(prefix, viewset, basename=basename)
router.register("eservice/events", EventIntakeViewSet, basename="eservice-events")
router.register("eservice/cases", CaseViewSet, basename="eservice-case")
router.register("eservice/anomalies", DataAnomalyViewSet, basename="eservice-anomaly")
router.register("eservice/metrics", MetricsViewSet, basename="eservice-metrics")

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include(router.urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("supervision/", include("xiaoneng.supervision.urls")),
    path("complaints/", include("xiaoneng.complaints.urls")),
    path("eservice/", include("xiaoneng.eservice.urls")),
    path("accountability/", include("xiaoneng.accountability.urls")),
    path("portal/exposure/", include("xiaoneng.accountability.portal_urls")),
    path("portal/service/", include("xiaoneng.eservice.portal_urls")),
    path("portal/", include("xiaoneng.complaints.portal_urls")),
    path("open311/v2/", include("xiaoneng.complaints.open311_urls")),
    path("", include("xiaoneng.web.urls")),
]
