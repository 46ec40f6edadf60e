"""问责 and 明查暗访 API under /api/accountability/: cases (open, read as the caller may, one action endpoint per
transition), a person's record, inspection plans with their findings (photos as multipart), rectification, the
statistics and the catalog. Every read of a case or a record is on the audit trail."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from xiaoneng.core import audit, scope
from xiaoneng.core.api import ScopedReadOnlyViewSet, ScopedViewSetMixin
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import Role

from . import selectors, services
from .models import Behaviour, Case, Finding, InspectionPlan, Sanction
from .serializers import (
    BehaviourSerializer,
    CaseActionSerializer,
    CaseListSerializer,
    CaseSerializer,
    DeterminationSerializer,
    FindingInputSerializer,
    FindingSerializer,
    OpenCaseSerializer,
    PersonRecordSerializer,
    PlanActionSerializer,
    PlanInputSerializer,
    PlanSerializer,
    RectifySerializer,
    SanctionSerializer,
    StatisticsSerializer,
)
from .workflow import STAFF

ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="问责案件 id (the work item's id)")


def _viewed(request, what: str, obj=None, **data) -> None:
    audit.record(
        AuditEventType.ACCOUNTABILITY_VIEWED,
        actor=request.user,
        obj=obj,
        data={"view": what, "api": True, **data},
    )


def _transition(name: str, doc: str):
    """One action endpoint for one declared transition of a case."""

    def view(self, request, pk=None, format=None):
        case = self.get_object()
        ser = CaseActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = {k: v for k, v in ser.validated_data.items() if k != "version"}
        case = services.act(
            case, name, request.user, data=data, expected_version=ser.validated_data.get("version")
        )
        return Response(CaseSerializer(case, context={"request": request}).data)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    view = action(
        detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name.replace("_", "-")
    )(view)
    return extend_schema(
        request=CaseActionSerializer, responses=CaseSerializer, description=doc, parameters=[ID]
    )(view)


def _get(model, user, pk):
    """An object named in a request body, through the scope layer (404 for missing and out of scope alike)."""
    if pk is None:
        return None
    return scope.access(model, user, pk)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="case number, person or unit"),
            OpenApiParameter("state", str, description='a state, or "open"'),
            OpenApiParameter(
                "source", str, description="complaint, inspection, red_card, overdue, evaluation, manual"
            ),
        ]
    ),
    retrieve=extend_schema(parameters=[ID]),
)
class CaseViewSet(ScopedReadOnlyViewSet):
    """问责案件 in the caller's scope: `discipline` of the region, supervisors of the issuing level, the head of a
    unit concerned (his unit's part only); never the people concerned themselves."""

    model = Case

    def get_serializer_class(self):
        return CaseListSerializer if self.action == "list" else CaseSerializer

    def get_queryset(self):
        p = self.request.query_params
        return selectors.cases(
            self.request.user, q=p.get("q", ""), state=p.get("state", ""), source=p.get("source", "")
        )

    def list(self, request, *args, **kwargs):
        resp = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in resp.data.get("results", [])]
        if ids:
            _viewed(request, "case_list", ids=ids)
        return resp

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        _viewed(request, "case", case)
        return Response(CaseSerializer(case, context={"request": request}).data)

    @extend_schema(request=OpenCaseSerializer, responses={201: CaseSerializer})
    def create(self, request, *args, **kwargs):
        """立案 (supervisor): people and units in the caller's scope; `complaint` (a true one), `finding`, or
        `source_item` (a red-carded or overdue item) by source."""
        from xiaoneng.complaints.models import Complaint

        ser = OpenCaseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request.user
        if user.role != Role.SUPERVISOR:
            raise TransitionRefused(
                _("只有督查人员可以立案 (only supervisors open cases)"), status=403, code="role_not_allowed"
            )
        behaviours = {b.pk: b for b in Behaviour.objects.filter(active=True)}
        subjects = [
            services.SubjectInput(
                unit=_get(Unit, user, s["unit"]),
                person=_get(Person, user, s.get("person")),
                behaviour=behaviours.get(s["behaviour"]),
                note=s.get("note", ""),
            )
            for s in d["subjects"]
        ]
        case = services.open_case(
            actor=user,
            source=d["source"],
            summary=d["summary"],
            subjects=subjects,
            complaint=_get(Complaint, user, d.get("complaint")),
            finding=_get(Finding, user, d.get("finding")),
            source_item=_get(WorkItem, user, d.get("source_item")),
            source_note=d.get("source_note", ""),
        )
        return Response(
            CaseSerializer(case, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    record = _transition("record", "记录调查情况 (staff): `method`, `text`, optional `at`")
    add_subject = _transition("add_subject", "追加问责对象 (staff): `unit`, `behaviour`, optional `person`")
    propose = _transition(
        "propose",
        "提出处理意见 (staff): `subject`, `sanction`, `responsibility` (people), `reasoning`, `publish_name`",
    )
    approve = _transition(
        "approve", "审批同意: `determination`; the sanction's level approves, never the proposer"
    )
    return_proposal = _transition("return_proposal", "退回处理意见: `determination` and `note` (the reason)")
    decide = _transition("decide", "作出决定并送达 (supervisor): optional `effective_on`; notices are issued")
    drop = _transition("drop", "不予问责: `note` (the reason); refused once a determination is approved")
    appeal = _transition(
        "appeal", "受理申诉: `determination` (in force), `filed_on` within the appeal limit, `reason`"
    )
    decide_appeal = _transition(
        "decide_appeal",
        "复核决定 at the approving level: `outcome` upheld/changed/revoked, `decision`; changed: a lighter `sanction`",
    )
    close = _transition(
        "close", "结案 (supervisor): once every appeal limit has run or every appeal is decided"
    )
    publish = _transition(
        "publish", "列入曝光台 (supervisor): `public_summary`; names only where the decision says so"
    )
    unpublish = _transition("unpublish", "撤下曝光 (supervisor)")
    mark_typical = _transition("mark_typical", "列为典型案例 (supervisor): listed in the 通报")
    unmark_typical = _transition("unmark_typical", "取消典型案例 (supervisor)")


class PersonRecordViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """个人问责记录: a person's determinations the caller may read (history included); audited."""

    model = Person
    serializer_class = PersonRecordSerializer

    @extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="人员 id")])
    def retrieve(self, request, *args, **kwargs):
        if request.user.role not in (*STAFF, Role.UNIT_LEADER):
            raise TransitionRefused(_("无权查看 (permission denied)"), status=403, code="role_not_allowed")
        person = self.get_object()
        record = selectors.person_record(request.user, person)
        _viewed(request, "person_record", person, determinations=[d.pk for d in record])
        return Response(
            {
                "person": person.pk,
                "name": person.name,
                "determinations": DeterminationSerializer(record, many=True).data,
            }
        )


def _plan_action(name: str, doc: str):
    def view(self, request, pk=None, format=None):
        plan = self.get_object()
        ser = PlanActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        summary = ser.validated_data["summary"]
        if name == "start":
            plan = services.start_plan(plan, request.user)
        elif name == "finish":
            plan = services.finish_plan(plan, request.user, summary=summary)
        else:
            plan = services.cancel_plan(plan, request.user, reason=summary)
        return Response(PlanSerializer(plan).data)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    view = action(detail=True, methods=["post"], url_path=name, url_name=name)(view)
    return extend_schema(request=PlanActionSerializer, responses=PlanSerializer, description=doc)(view)


class PlanViewSet(ScopedReadOnlyViewSet):
    """检查计划 in scope: an undercover plan not yet done only for its team and the supervisors of the issuing level."""

    model = InspectionPlan
    serializer_class = PlanSerializer

    def scope_queryset(self, qs):
        return qs.select_related("issuer").prefetch_related("targets", "team")

    @extend_schema(request=PlanInputSerializer, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        """制定检查计划 (supervisor): targets in scope; team members are supervisors or discipline staff of the region."""
        ser = PlanInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request.user
        team = list(User.objects.filter(pk__in=d["team"]))
        if len(team) != len(set(d["team"])):
            raise TransitionRefused(_("检查组成员不存在 (unknown team member)"), status=400, code="bad_team")
        plan = services.create_plan(
            actor=user,
            title=d["title"],
            mode=d["mode"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            targets=[_get(Unit, user, pk) for pk in d["targets"]],
            team=team,
            windows=d["windows"],
            focus=d["focus"],
        )
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    start = _plan_action("start", "开始检查 (the team)")
    finish = _plan_action(
        "finish", "结束检查 (the team): `summary`; an undercover plan becomes visible to the region"
    )
    cancel = _plan_action(
        "cancel", "取消检查 (the team): `summary` is the reason; refused once findings exist"
    )

    @extend_schema(
        request={"multipart/form-data": FindingInputSerializer}, responses={201: FindingSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def findings(self, request, pk=None, format=None):
        """记录检查发现 (the team): multipart with `photos` (cleaned: no EXIF, no location)."""
        from xiaoneng.complaints import attachments

        plan = self.get_object()
        ser = FindingInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request.user
        try:
            photos = attachments.clean_all(d["photos"])
        except attachments.AttachmentRefused as exc:
            raise TransitionRefused(exc.message, status=400, code="attachment_refused") from None
        finding = services.record_finding(
            actor=user,
            plan=plan,
            observed_at=d["observed_at"],
            place=d["place"],
            unit=_get(Unit, user, d["unit"]),
            description=d["description"],
            window=d["window"],
            people_present=d["people_present"],
            person=_get(Person, user, d.get("person")),
            behaviour=Behaviour.objects.filter(pk=d.get("behaviour"), active=True).first()
            if d.get("behaviour")
            else None,
            photos=photos,
        )
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class FindingViewSet(ScopedReadOnlyViewSet):
    """检查发现 in scope (they follow their plan)."""

    model = Finding
    serializer_class = FindingSerializer

    def scope_queryset(self, qs):
        return qs.prefetch_related("photos")

    @extend_schema(request=RectifySerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None, format=None):
        """交办整改 (supervisor): the finding becomes supervised work (source "inspection") for its unit."""
        finding = self.get_object()
        ser = RectifySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.rectify(finding, request.user, limit_text=ser.validated_data["limit"])
        finding.refresh_from_db()
        return Response(FindingSerializer(finding).data)


class SanctionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """问责方式 (the ladder) as configured."""

    serializer_class = SanctionSerializer
    pagination_class = None

    def get_queryset(self):
        if self.request.user.role not in (*STAFF, Role.SYSADMIN):
            return Sanction.objects.none()
        return Sanction.objects.all()


class BehaviourViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """问责行为 (the catalog) as configured."""

    serializer_class = BehaviourSerializer
    pagination_class = None

    def get_queryset(self):
        if self.request.user.role not in (*STAFF, Role.SYSADMIN):
            return Behaviour.objects.none()
        return Behaviour.objects.select_related("category")


class StatisticsViewSet(viewsets.ViewSet):
    """Counts in the seeds' form for a period (`from`, `to`): supervisors, discipline and leaders of a region."""

    @extend_schema(
        responses=StatisticsSerializer,
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM-DD (default 1 January)"),
            OpenApiParameter("to", str, description="YYYY-MM-DD (default today)"),
        ],
    )
    def list(self, request, format=None):
        if request.user.role not in selectors.STATS_ROLES:
            raise TransitionRefused(_("无权查看 (permission denied)"), status=403, code="role_not_allowed")
        start, end = selectors.period(request.query_params)
        s = selectors.statistics(request.user, start, end)
        return Response(
            {
                "start": s.start,
                "end": s.end,
                "people": s.people,
                "units": s.units,
                "sentence": s.sentence,
                "by_sanction": [{"code": x.code, "name": x.name, "count": n} for x, n in s.by_sanction],
                "by_category": [{"name": name, "count": n} for name, n in s.by_category],
                "by_unit": [{"name": name, "count": n} for name, n in s.by_unit],
                "by_responsibility": [{"name": name, "count": n} for name, n in s.by_responsibility],
                "by_month": [{"month": m, "count": n} for m, n in s.by_month],
            }
        )


# (prefix, viewset, basename) under /api/, registered by xiaoneng/urls.py.
ROUTES = [
    ("accountability/cases", CaseViewSet, "accountability-case"),
    ("accountability/people", PersonRecordViewSet, "accountability-person"),
    ("accountability/inspections", PlanViewSet, "accountability-inspection"),
    ("accountability/findings", FindingViewSet, "accountability-finding"),
    ("accountability/sanctions", SanctionViewSet, "accountability-sanction"),
    ("accountability/behaviours", BehaviourViewSet, "accountability-behaviour"),
    ("accountability/statistics", StatisticsViewSet, "accountability-statistics"),
]
