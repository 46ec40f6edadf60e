"""政务服务电子监察 API (/api/eservice/…): the catalog, cases, anomalies and metrics in the caller's scope, and the
batch intake of the approval systems (authenticated by their API key, not by a login)."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from xiaoneng.core import paging
from xiaoneng.core.api import ScopedReadOnlyViewSet

from . import ingest, presets, selectors, sources, stats
from .models import Case, DataAnomaly, Matter, SourceSystem
from .serializers import (
    EServiceCaseEventSerializer,
    EServiceCaseSerializer,
    EServiceDataAnomalySerializer,
    EServiceEventInSerializer,
    EServiceIngestResultSerializer,
    EServiceMatterSerializer,
    EServiceMetricsSerializer,
)

MATTER_FILTERS = [
    OpenApiParameter("q", str, description="事项编码或名称包含 (code or name contains)"),
    OpenApiParameter("department", int, description="实施部门 id"),
    OpenApiParameter("level", str, description="服务层级 city/county/township/village"),
    OpenApiParameter("type", str, description="事项类型"),
    OpenApiParameter("instant", str, enum=["1", "0"], description="即办件"),
]


@extend_schema_view(list=extend_schema(parameters=MATTER_FILTERS))
class MatterViewSet(ScopedReadOnlyViewSet):
    """事项目录 in the caller's scope."""

    model = Matter
    serializer_class = EServiceMatterSerializer

    def get_queryset(self):
        return selectors.matters(self.request.user, self.request.query_params)


# --- the intake ------------------------------------------------------------------------------------------------


class SourcePrincipal:
    """request.user for an approval system: authenticated, but no person and no role, so no page or scoped
    endpoint ever serves it."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    role = None
    pk = None
    unit_id = None

    def __init__(self, source: SourceSystem) -> None:
        self.source = source

    def __str__(self) -> str:
        return f"source:{self.source.name}"


class SourceKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` (or `X-Api-Key: <key>`) with an approval system's key (manage.py
    eservice_apikey). An unknown or revoked key answers 401."""

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else ""
        key = key or request.headers.get("X-Api-Key", "").strip()
        if not key:
            return None
        source = sources.for_key(key)
        if source is None:
            raise exceptions.AuthenticationFailed(_("接口密钥无效或已吊销 (invalid or revoked API key)"))
        return SourcePrincipal(source), source

    def authenticate_header(self, request):
        return 'Bearer realm="eservice"'


class SourceKeyScheme(OpenApiAuthenticationExtension):
    target_class = SourceKeyAuthentication
    name = "eserviceSourceKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An approval system's API key (manage.py eservice_apikey NAME --region CODE).",
        }


class IsSourceSystem(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, SourceSystem)


class EventIntakeViewSet(viewsets.ViewSet):
    """The batch intake of case events (办件过程数据推送)."""

    authentication_classes = [SourceKeyAuthentication]
    permission_classes = [IsSourceSystem]

    @extend_schema(
        request=EServiceEventInSerializer(many=True),
        responses={200: EServiceIngestResultSerializer},
        description=(
            'A JSON array of events (or {"events": [...]}) from one approval system, at most 5000. Idempotent by '
            "event_id: a replay with the same content changes nothing. Every event not taken (rejected) or taken "
            "but breaking a rule (flagged) is listed under `problems` with its reason and recorded as a data "
            "anomaly; the batch is answered only after it is stored."
        ),
    )
    def create(self, request, format=None):
        body = request.data
        events = body.get("events") if isinstance(body, dict) else body
        if not isinstance(events, list):
            raise exceptions.ValidationError(
                {
                    "detail": _("请求正文应为事件数组 (the body must be a JSON array of events)"),
                    "code": "invalid",
                }
            )
        limit = int(presets.get("max_batch"))
        if len(events) > limit:
            return Response(
                {
                    "detail": _("一批最多 %(n)d 个事件 (too many events in one batch)") % {"n": limit},
                    "code": "batch_too_large",
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        outcome = ingest.ingest(request.auth, events, channel="api")
        return Response(outcome.as_dict())


# --- reading ---------------------------------------------------------------------------------------------------

CASE_FILTERS = [
    OpenApiParameter("department", int, description="实施部门 id"),
    OpenApiParameter("matter", int, description="事项 id"),
    OpenApiParameter("window", int, description="窗口 id"),
    OpenApiParameter("level", str, description="服务层级"),
    OpenApiParameter("from", str, description="period start YYYY-MM-DD (inclusive)"),
    OpenApiParameter("to", str, description="period end YYYY-MM-DD (inclusive)"),
    OpenApiParameter(
        "measure",
        str,
        enum=list(selectors.MEASURES),
        description="which cases of the period: the cases behind one number of the metrics",
    ),
    OpenApiParameter("q", str, description="办件编号 (case number)"),
]


@extend_schema_view(list=extend_schema(parameters=CASE_FILTERS))
class CaseViewSet(ScopedReadOnlyViewSet):
    """办件 in the caller's scope; the same filters as the drill-down page. Paged by key (follow `next`)."""

    model = Case
    serializer_class = EServiceCaseSerializer
    pagination_class = paging.KeysetPagination
    keyset = selectors.CASE_ORDER

    def get_queryset(self):
        return selectors.cases(self.request.user, self.request.query_params).select_related(
            "matter", "department", "window"
        )

    @extend_schema(responses=EServiceCaseEventSerializer(many=True))
    @action(detail=True)
    def events(self, request, pk=None, format=None):
        return Response(EServiceCaseEventSerializer(self.get_object().events.all(), many=True).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("code", str, description="异常类型"),
            OpenApiParameter("disposition", str, enum=["rejected", "flagged"]),
        ]
    )
)
class DataAnomalyViewSet(ScopedReadOnlyViewSet):
    """数据异常 in the caller's scope, newest first."""

    model = DataAnomaly
    serializer_class = EServiceDataAnomalySerializer

    def get_queryset(self):
        return selectors.anomalies(self.request.user, self.request.query_params).select_related("source")


def _row(row: stats.Row) -> dict:
    return {"key": str(row.key), "label": row.label, "counts": row.counts, "rates": row.rates}


class MetricsViewSet(viewsets.ViewSet):
    """政务服务效能指标 in the caller's scope, from the rollup counters."""

    @extend_schema(
        responses=EServiceMetricsSerializer,
        parameters=[
            OpenApiParameter(
                "from", str, description="period start YYYY-MM-DD (default: the month's first day)"
            ),
            OpenApiParameter("to", str, description="period end YYYY-MM-DD, inclusive (default: today)"),
            OpenApiParameter("group", str, enum=list(stats.GROUPS), description="one row per …"),
            OpenApiParameter("department", int),
            OpenApiParameter("matter", int),
            OpenApiParameter("window", int),
            OpenApiParameter("level", str),
        ],
    )
    def list(self, request, format=None):
        query = stats.Query.from_params(request.query_params)
        result = stats.metrics(request.user, query)
        return Response(
            {
                "start": query.start,
                "end": query.end,
                "group": query.group,
                "targets": result["targets"],
                "rows": [_row(r) for r in result["rows"]],
                "total": _row(result["total"]),
            }
        )
