"""效能投诉 API: the ledger, one complaint (staff or redacted shape by role), staff entry, the audited reveal,
related-complaint suggestions, the timeline as the caller may read it, and one action endpoint per transition."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from xiaoneng.core import scope
from xiaoneng.core.api import ScopedReadOnlyViewSet
from xiaoneng.core.serializers import TimelineEventSerializer
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit
from xiaoneng.org.roles import Role
from xiaoneng.org.services import RevealRefused

from . import selectors, services
from .models import Complaint
from .serializers import (
    ComplaintActionSerializer,
    ComplaintStaffSerializer,
    ComplaintUnitSerializer,
    EntrySerializer,
    IdentitySerializer,
    RevealSerializer,
    SuggestionSerializer,
)

COMPLAINT = PolymorphicProxySerializer(
    component_name="Complaint",
    serializers=[ComplaintStaffSerializer, ComplaintUnitSerializer],
    resource_type_field_name=None,
    many=False,
)
COMPLAINTS = PolymorphicProxySerializer(
    component_name="ComplaintList",
    serializers=[ComplaintStaffSerializer, ComplaintUnitSerializer],
    resource_type_field_name=None,
    many=True,
)
ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="投诉 id (the work item's id)")
FILTERS = [
    OpenApiParameter(name, str, OpenApiParameter.QUERY, required=False, description=text)
    for name, text in (
        ("state", "a state, or `open` for every unfinished complaint"),
        ("category", "category id"),
        ("unit", "unit id: complained about or handling"),
        ("channel", "staff only: web, hotline, letter, visit, email, open311, 12345"),
        ("stage", "normal, warning, yellow, red"),
        ("from", "submitted on or after (YYYY-MM-DD)"),
        ("to", "submitted on or before (YYYY-MM-DD)"),
        ("q", "staff only: tracking number"),
    )
]


def serialize(complaint: Complaint, user) -> dict:
    """The complaint in the shape the user may read (staff or redacted)."""
    cls = ComplaintStaffSerializer if selectors.sees_as_staff(user) else ComplaintUnitSerializer
    return cls(complaint).data


def _transition(name: str, doc: str):
    """One action endpoint for one declared transition (the function is named before @action reads the name)."""

    def view(self, request, pk=None, format=None):
        complaint = self.get_object()
        ser = ComplaintActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = {k: v for k, v in ser.validated_data.items() if k != "version"}
        data = services.resolve(request.user, data)
        complaint = services.act(
            complaint, name, request.user, data=data, expected_version=ser.validated_data.get("version")
        )
        return Response(serialize(complaint, request.user))

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    view = action(
        detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name.replace("_", "-")
    )(view)
    return extend_schema(
        request=ComplaintActionSerializer, responses=COMPLAINT, description=doc, parameters=[ID]
    )(view)


@extend_schema_view(
    list=extend_schema(parameters=FILTERS, responses=COMPLAINTS),
    retrieve=extend_schema(parameters=[ID], responses=COMPLAINT),
)
class ComplaintViewSet(ScopedReadOnlyViewSet):
    """效能投诉 in the caller's scope. Staff (supervisor, discipline) read the complaint with the identity masked;
    the handling unit and leaders read the redacted shape, which has no identity or original text at all."""

    model = Complaint

    def base_queryset(self):
        return selectors.ledger_from_params(self.request.user, self.request.query_params)

    def get_queryset(self):
        return self.base_queryset()  # already restricted by the selector

    def get_serializer_class(self):
        user = getattr(getattr(self, "request", None), "user", None)
        return ComplaintStaffSerializer if selectors.sees_as_staff(user) else ComplaintUnitSerializer

    @extend_schema(request=EntrySerializer, responses={201: ComplaintStaffSerializer})
    def create(self, request, *args, **kwargs):
        """登记投诉 (supervisor): a complaint taken by phone, letter, visit or e-mail; the unit (and the person)
        must be in the caller's scope. A retry with the same `idempotency_key` returns the first complaint."""
        if request.user.role != Role.SUPERVISOR:
            raise TransitionRefused(
                _("只有受理人员可以登记投诉 (only accepting staff register complaints)"),
                status=403,
                code="role_not_allowed",
            )
        ser = EntrySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        unit = scope.access(Unit, request.user, d.pop("subject_unit").pk)
        person_id = d.pop("subject_person")
        person = None
        if person_id is not None:
            person = scope.access(Person, request.user, person_id, Person.objects.filter(unit=unit))
        complaint, _code, created = services.submit(
            actor=request.user,
            subject_unit=unit,
            subject_person=person,
            idempotency_key=d.pop("idempotency_key") or None,
            **d,
        )
        body = ComplaintStaffSerializer(complaint).data if self._sees(complaint) else {"id": complaint.pk}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _sees(self, complaint) -> bool:
        return scope.restrict(Complaint, self.request.user).filter(pk=complaint.pk).exists()

    @extend_schema(request=RevealSerializer, responses={200: IdentitySerializer}, parameters=[ID])
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None, format=None):
        """The complainant's identity in clear: supervisors and discipline only, with a `reason`; audited."""
        complaint = self.get_object()
        try:
            clear = services.reveal_identity(
                actor=request.user, complaint=complaint, reason=str(request.data.get("reason", ""))
            )
        except RevealRefused as exc:
            code = "forbidden" if exc.status == 403 else "reason_required"
            return Response({"detail": exc.message, "code": code}, status=exc.status)
        return Response(clear)

    @extend_schema(responses=SuggestionSerializer(many=True), parameters=[ID])
    @action(detail=True)
    def related(self, request, pk=None, format=None):
        """Suggested related or duplicate complaints (same complainant, or near-identical text about the same unit
        within 30 days); staff only — an empty list for everyone else."""
        complaint = self.get_object()
        return Response(
            SuggestionSerializer(selectors.related_suggestions(complaint, request.user), many=True).data
        )

    @extend_schema(responses=TimelineEventSerializer(many=True), parameters=[ID])
    @action(detail=True)
    def timeline(self, request, pk=None, format=None):
        """The timeline as the caller may read it (the handling unit: its share, without internal notes)."""
        complaint = self.get_object()
        wi = complaint.work_item
        events = selectors.timeline_for(wi, request.user, list(wi.timeline.all()))
        return Response(TimelineEventSerializer(events, many=True).data)

    accept = _transition("accept", "受理 (supervisor): the category's reply limit starts now")
    reject = _transition("reject", "不予受理 (supervisor): `reason` required; the complainant reads it")
    handle_directly = _transition("handle_directly", "直查 (supervisor): the office investigates itself")
    assign = _transition(
        "assign",
        "交办 (supervisor): `unit`, `redacted_content` (refused while it still identifies the complainant), "
        "`attachments` released with it, `note`",
    )
    submit_reply = _transition("submit_reply", "提交答复 (the handling unit's liaison): `text`")
    approve_reply = _transition("approve_reply", "审核通过并报送 (the handling unit's head)")
    return_reply = _transition(
        "return_reply", "退回修改 (the handling unit's head): `note` (reasons) required"
    )
    reply = _transition("reply", "单位答复 written and sent by the handling unit's head: `text`")
    record_result = _transition("record_result", "直查结果 (supervisor): `text`")
    review_pass = _transition(
        "review_pass", "审核通过并答复 (supervisor): `public_reply` and `finding` (true/partly/false)"
    )
    review_redo = _transition(
        "review_redo", "退回重办 (supervisor): `note` (reasons) required; the limit restarts"
    )
    rate = _transition("rate", "回访评价 (supervisor): `rating` satisfied/basic/dissatisfied, `rating_note`")
    reopen = _transition("reopen", "重新办理 once after 不满意 (supervisor)")
    close = _transition("close", "办结 (supervisor): only with a reply and a finding")
    request_extension = _transition(
        "request_extension", "申请延期 (the handling unit): `limit` (e.g. 3wd) and `reason`; one per phase"
    )
    approve_extension = _transition("approve_extension", "批准延期 (supervisor): the deadline moves")
    reject_extension = _transition("reject_extension", "不予延期 (supervisor)")
    request_accountability = _transition(
        "request_accountability", "提请问责 (supervisor) on a true or partly true finding"
    )
    link_related = _transition(
        "link_related", "关联投诉 (supervisor): `related` (a complaint id; null unlinks)"
    )
