"""督查督办 API: the ledger, issuing, and one action endpoint per transition."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from xiaoneng.core import paging, scope
from xiaoneng.core.api import ScopedReadOnlyViewSet
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit

from . import evidence, selectors, services
from .models import ReportFile, Source, SupervisedItem
from .serializers import (
    IssueSerializer,
    ProgressReportSerializer,
    SupervisedItemSerializer,
    SupervisionActionSerializer,
)


class ReportFileSerializer(serializers.ModelSerializer):
    """佐证材料: download `url` (the same scope as the item; session login)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportFile
        fields = ["id", "name", "content_type", "size", "sha256", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("supervision_file", args=[obj.pk])


class ReportWithFilesSerializer(ProgressReportSerializer):
    files = ReportFileSerializer(many=True, read_only=True)

    class Meta(ProgressReportSerializer.Meta):
        fields = [*ProgressReportSerializer.Meta.fields, "files"]
        read_only_fields = fields


class EvidenceActionSerializer(SupervisionActionSerializer):
    """report / request-completion as multipart/form-data: the same fields and up to 5 `files` (photos, .docx,
    PDF; each cleaned, the first bad one refuses the whole request with 400 and nothing saved)."""

    files = serializers.ListField(child=serializers.FileField(), required=False)


def _transition(name: str, doc: str):
    """One action endpoint for one declared transition (the function is named before @action reads the name)."""
    takes_files = name in services.EVIDENCE_TRANSITIONS

    def view(self, request, pk=None, format=None):
        sup = self.get_object()
        ser = SupervisionActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = {k: v for k, v in ser.validated_data.items() if k != "version"}
        try:
            files = evidence.clean_uploads(request.FILES.getlist("files")) if takes_files else []
        except evidence.AttachmentRefused as exc:
            raise TransitionRefused(exc.message, status=400, code="file_refused") from None
        sup = services.act(
            sup,
            name,
            request.user,
            data=data,
            expected_version=ser.validated_data.get("version"),
            files=files,
        )
        return Response(SupervisedItemSerializer(sup).data)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    view = action(
        detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name.replace("_", "-")
    )(view)
    return extend_schema(
        request={
            "application/json": SupervisionActionSerializer,
            "multipart/form-data": EvidenceActionSerializer,
        }
        if takes_files
        else SupervisionActionSerializer,
        responses=SupervisedItemSerializer,
        description=doc,
        parameters=[ID],
    )(view)


ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="督办事项 id (the work item's id)")


LEDGER_FILTERS = [
    OpenApiParameter("q", str, description="事项或文号 (title or reference number contains)"),
    OpenApiParameter("source", str, enum=Source.values, description="来源"),
    OpenApiParameter("state", str, description='a workflow state, or "open" (not closed)'),
    OpenApiParameter("stage", str, enum=list(selectors.STAGES), description="预警状态 (open items)"),
    OpenApiParameter("unit", int, description="lead unit or co-unit id"),
    OpenApiParameter("due", int, description="open items due within this many days"),
]


@extend_schema_view(
    list=extend_schema(parameters=LEDGER_FILTERS),
    retrieve=extend_schema(parameters=[ID]),
    reports=extend_schema(parameters=[ID]),
)
class SupervisedItemViewSet(ScopedReadOnlyViewSet):
    """督办台帐 in the caller's scope; filters: q, source, state (a state or "open"), stage, unit, due (days).
    Paged by key in the ledger's order (nearest deadline first, none last): follow `next` / `previous`."""

    model = SupervisedItem
    serializer_class = SupervisedItemSerializer
    pagination_class = paging.KeysetPagination
    keyset = selectors.LEDGER_ORDER

    def base_queryset(self):
        return selectors.ledger_from_params(self.request.user, self.request.query_params).prefetch_related(
            "work_item__units"
        )

    def get_queryset(self):
        return self.base_queryset()  # already restricted by the selector

    @extend_schema(request=IssueSerializer, responses={201: SupervisedItemSerializer})
    def create(self, request, *args, **kwargs):
        """交办: supervisors only; units must be in the caller's scope."""
        ser = IssueSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        lead = scope.access(Unit, request.user, d["lead_unit"].pk)
        co = [scope.access(Unit, request.user, u.pk) for u in d.get("co_units", [])]
        people = {
            name: scope.access(Person, request.user, d[name].pk) if d.get(name) is not None else None
            for name in ("responsible_leader", "responsible_person")
        }
        sup = services.issue(
            actor=request.user,
            title=d["title"],
            source=d["source"],
            lead_unit=lead,
            co_units=co,
            limit=d["limit"],
            due=d["due"],
            reference_no=d["reference_no"],
            urgency=d["urgency"],
            cadence=d["cadence"],
            description=d["description"],
            **people,
        )
        return Response(SupervisedItemSerializer(sup).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ReportWithFilesSerializer(many=True))
    @action(detail=True)
    def reports(self, request, pk=None, format=None):
        """Progress reports and completion requests, each with its files (佐证材料)."""
        reports = self.get_object().reports.select_related("unit").prefetch_related("files")
        return Response(ReportWithFilesSerializer(reports, many=True).data)

    sign = _transition("sign", "签收 (the lead unit's liaison)")
    report = _transition(
        "report", "报送进展: `text` required (lead or co-unit); `files` as multipart/form-data (佐证材料)"
    )
    request_completion = _transition(
        "request_completion",
        "申请办结: `text` (evidence) required, `files` as multipart/form-data; goes to the unit's head (state unit_review), or straight to the "
        "supervisor (completion_requested) when the unit has no active head's account",
    )
    approve_completion = _transition(
        "approve_completion", "审核通过并报送 (the owning unit's head): the request goes to the supervisor"
    )
    return_completion = _transition(
        "return_completion",
        "退回修改 (the owning unit's head): `note` (reason) required; back to the liaison",
    )
    verify = _transition("verify", "办结销号: `quality` excellent/good/fair/poor (supervisor)")
    send_back = _transition("send_back", "退回: `note` (reason) required (supervisor)")
    cancel = _transition("cancel", "撤销: `note` (reason) required (supervisor)")
    request_extension = _transition(
        "request_extension", "申请延期: `until` (a date after the deadline) and `reason`"
    )
    approve_extension = _transition("approve_extension", "批准延期 (supervisor): the deadline moves")
    reject_extension = _transition("reject_extension", "不予延期 (supervisor)")
    suspend = _transition("suspend", "中止 (supervisor): `note` (reason) required; the clock stops")
    resume = _transition(
        "resume", "恢复办理 (supervisor): the clock runs again, the deadline moves by the pause"
    )
    remind = _transition(
        "remind", "催办 (supervisor): `note` is the message; from the second on, the unit head too"
    )
