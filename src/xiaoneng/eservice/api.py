"""政务服务电子监察 API (/api/eservice/…): the catalog, cases, alerts and metrics in the caller's scope, and the
batch intake of the approval systems (authenticated by their API key, not by a login)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from xiaoneng.core.api import ScopedReadOnlyViewSet

from . import selectors
from .models import Matter
from .serializers import MatterSerializer

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
    serializer_class = MatterSerializer

    def get_queryset(self):
        return selectors.matters(self.request.user, self.request.query_params)
