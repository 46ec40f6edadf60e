"""Pages of 问责 and 明查暗访. Thin: parse, call a selector or service, render. Every page that shows a case or a
person's record writes an ACCOUNTABILITY_VIEWED row (what was shown, to whom)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiaoneng.core import audit, scope, workitem
from xiaoneng.core import documents as docs
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.exports import Column, ledger_xlsx, xlsx_response
from xiaoneng.core.models import WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit
from xiaoneng.org.roles import Role
from xiaoneng.web.views import role_required

from . import selectors, services
from .forms import CaseForm, FindingForm, PlanForm, SubjectFormSet, behaviour_choices
from .models import (
    Appeal,
    AppealOutcome,
    Behaviour,
    BehaviourCategory,
    Case,
    CaseSubject,
    EscalationKind,
    EscalationRule,
    Finding,
    FindingPhoto,
    InspectionMode,
    InspectionPlan,
    InvestigationMethod,
    PlanState,
    Responsibility,
    Sanction,
    SanctionKind,
    Source,
)
from .rules import INSPECTION_ROLES
from .workflow import STAFF, WORKFLOW, timeline_for

# Transitions that need no form of their own: plain buttons on the case page.
BUTTONS = frozenset({"drop", "close", "unpublish", "mark_typical", "unmark_typical"})
CASE_ROLES = (Role.SUPERVISOR, Role.DISCIPLINE, Role.UNIT_LEADER)
MENU_ROLES = (*CASE_ROLES, Role.LEADER)


def viewed(request, what: str, obj=None, **data) -> None:
    """The audit row of a page that showed accountability records."""
    audit.record(
        AuditEventType.ACCOUNTABILITY_VIEWED, actor=request.user, obj=obj, data={"view": what, **data}
    )


def _version(request) -> int | None:
    v = request.POST.get("version", "")
    return int(v) if v.isdigit() else None


# --- cases ----------------------------------------------------------------------------------------------------


@role_required(*MENU_ROLES)
def index(request):
    """问责案件: the cases the user may see, with the people concerned that the user may read."""
    q = request.GET
    qs = selectors.cases(
        request.user, q=q.get("q", "").strip(), state=q.get("state", ""), source=q.get("source", "")
    )
    page = Paginator(qs, 50).get_page(q.get("page"))
    rows = list(page)
    subjects = selectors.subjects_by_case(request.user, [c.pk for c in rows])
    if rows:
        viewed(request, "case_list", ids=[c.pk for c in rows])
    awaiting = (
        selectors.complaints_awaiting_case(request.user)[:20] if request.user.role == Role.SUPERVISOR else []
    )
    return render(
        request,
        "accountability/index.html",
        {
            "page": page,
            "rows": [{"case": c, "subjects": subjects.get(c.pk, [])} for c in rows],
            "states": WORKFLOW.states.items(),
            "sources": Source.choices,
            "awaiting": awaiting,
            "can_open": request.user.role == Role.SUPERVISOR,
            "sees_cases": request.user.role in CASE_ROLES,
            "sees_statistics": request.user.role in selectors.STATS_ROLES,
        },
    )


def _subject_formset(request, data=None, initial=None):
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    people = scope.restrict(Person, request.user).filter(is_active=True)
    return SubjectFormSet(data, initial=initial, form_kwargs={"units": units, "people": people})


def _prefill(request) -> tuple[dict, list, dict]:
    """Initial values when a case is opened from something: a true complaint, a finding, a carded item."""
    from xiaoneng.complaints.models import Complaint

    initial, subjects, source = {}, [], {}
    q = request.GET
    if q.get("complaint"):
        c = scope.access(Complaint, request.user, q["complaint"])
        source["complaint"] = c
        initial = {"source": Source.COMPLAINT, "summary": c.redacted_content or ""}
        subjects = [{"unit": c.subject_unit, "person": c.subject_person}]
    elif q.get("finding"):
        f = scope.access(Finding, request.user, q["finding"])
        source["finding"] = f
        initial = {"source": Source.INSPECTION, "summary": f.description}
        subjects = [{"unit": f.unit, "person": f.person, "behaviour": f.behaviour_id}]
    elif q.get("item"):
        wi = scope.access(WorkItem, request.user, q["item"])
        source["source_item"] = wi
        initial = {"source": Source.RED_CARD if wi.stage == "red" else Source.OVERDUE, "summary": wi.title}
        subjects = [{"unit": wi.owner_unit, "person": wi.owner_person}]
    return initial, subjects, source


@role_required(Role.SUPERVISOR)
def new_case(request):
    """立案, from a source (prefilled through ?complaint= / ?finding= / ?item=) or by hand."""
    initial, subject_rows, source = _prefill(request)
    form = CaseForm(request.POST or None, initial=initial)
    # Prefilled rows only on the empty form: a bound row equal to its initial value would count as unchanged.
    formset = _subject_formset(
        request, request.POST or None, initial=None if request.POST else subject_rows or None
    )
    error = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        d = form.cleaned_data
        behaviours = {b.pk: b for b in Behaviour.objects.filter(active=True)}
        subjects = [
            services.SubjectInput(
                unit=f.cleaned_data["unit"],
                person=f.cleaned_data.get("person"),
                behaviour=behaviours.get(f.cleaned_data["behaviour"]),
                note=f.cleaned_data.get("note", ""),
            )
            for f in formset.forms
            if f.cleaned_data and not f.is_blank
        ]
        try:
            case = services.open_case(
                actor=request.user,
                source=d["source"],
                summary=d["summary"],
                subjects=subjects,
                source_note=d.get("source_note", ""),
                **{k: v for k, v in source.items() if k in ("complaint", "finding", "source_item")},
            )
        except TransitionRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("已立案：%(n)s") % {"n": case.number})
            return redirect("accountability_case", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accountability/new_case.html",
        {"form": form, "formset": formset, "error": error, "source": source},
        status=status,
    )


@role_required(*CASE_ROLES)
def people_options(request):
    """<option>s of the active people of one unit in the user's scope (the subject rows load them on unit change)."""
    # The select that asks is named after its form row (form-0-unit …): take the value of whichever it is.
    unit_id = next((v for k, v in request.GET.items() if k == "unit" or k.endswith("-unit")), "")
    people = (
        scope.restrict(Person, request.user).filter(unit_id=int(unit_id), is_active=True)
        if unit_id.isdigit() and len(unit_id) < 19
        else Person.objects.none()
    )
    return render(request, "accountability/_person_options.html", {"people": people})


def _case(request, pk) -> Case:
    return scope.access(
        Case,
        request.user,
        pk,
        Case.objects.select_related(
            "work_item__owner_unit", "complaint__category", "finding__plan", "source_item"
        ),
    )


@role_required(*CASE_ROLES)
def case(request, pk):
    """One case: the people concerned and their determinations (a unit head: only his unit's), the investigation
    (staff), appeals, documents, the timeline, and the actions open to the user."""
    c = _case(request, pk)
    wi = c.work_item
    if request.method == "POST":
        try:
            services.act(
                c,
                request.POST.get("action", ""),
                request.user,
                data=request.POST.dict(),
                expected_version=_version(request),
            )
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("accountability_case", pk=c.pk)
    user = request.user
    subjects = list(
        scope.restrict(CaseSubject, user)
        .filter(case=c)
        .select_related("person", "unit", "behaviour__category")
        .prefetch_related(
            Prefetch(
                "determinations", queryset=selectors.determinations(user, c), to_attr="visible_determinations"
            )
        )
    )
    staff = user.role in STAFF
    rows = []
    for s in subjects:
        current = next(
            (
                d
                for d in reversed(s.visible_determinations)
                if d.status in ("proposed", "approved", "in_force")
            ),
            None,
        )
        rows.append(
            {
                "subject": s,
                "determinations": s.visible_determinations,
                "current": current,
                "suggestions": selectors.escalation_suggestions(s.person)
                if staff and s.person_id and wi.closed_at is None
                else [],
            }
        )
    actions = services.available(c, user)
    names = {t.name for t in actions}
    viewed(request, "case", c)
    return render(
        request,
        "accountability/case.html",
        {
            "case": c,
            "item": wi,
            "state_label": WORKFLOW.state_label(wi.state),
            "rows": rows,
            "staff": staff,
            "show_complaint": staff
            and c.complaint_id is not None
            and not selectors.complaint_made_by_a_subject(c),
            "records": c.records.select_related("recorded_by") if staff else [],
            "appeals": scope.restrict(Appeal, user)
            .filter(case=c)
            .select_related(
                "determination__sanction",
                "determination__subject__person",
                "new_determination__sanction",
                "decision_notice",
            ),
            "actions": actions,
            "names": names,
            "buttons": [t for t in actions if t.name in BUTTONS],
            "approvable": services.approvable(c, user) if "approve" in names else [],
            "in_force": [r["current"] for r in rows if r["current"] and r["current"].status == "in_force"],
            "proposable": [r["subject"] for r in rows if r["current"] is None],
            "sanctions": Sanction.objects.filter(active=True),
            "responsibilities": Responsibility.choices,
            "methods": InvestigationMethod.choices,
            "outcomes": AppealOutcome.choices,
            "behaviours": behaviour_choices(),
            "units": scope.restrict(Unit, user).filter(is_active=True) if "add_subject" in names else [],
            "timeline": [
                {"event": e, "label": workitem.timeline_label(wi, e.action)}
                for e in timeline_for(wi, user, wi.timeline.all())
            ],
        },
    )


@role_required(*CASE_ROLES)
def document(request, pk, doc, fmt):
    """A notice or review decision of the case, as the .docx issued or as PDF — reached through a determination or
    appeal the user may read, never by the document's id alone."""
    c = _case(request, pk)
    if fmt not in ("docx", "pdf"):
        raise Http404
    determination = selectors.determinations(request.user, c).filter(notice_id=doc).first()
    appeal = scope.restrict(Appeal, request.user).filter(case=c, decision_notice_id=doc).first()
    issued = determination.notice if determination else appeal.decision_notice if appeal else None
    if issued is None:
        raise Http404
    viewed(request, "document", c, document=issued.number)
    data = docs.stored_docx(issued)
    if fmt == "docx":
        return docs.docx_response(data, f"{issued.number}{issued.kind}.docx")
    pdf = docs.to_pdf(data)
    if pdf is None:
        return HttpResponse(
            _(
                "本服务器未安装 LibreOffice，暂不能生成 PDF，请下载 Word 版 (PDF conversion is not available here)"
            ),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    resp = docs.docx_response(pdf, f"{issued.number}{issued.kind}.pdf")
    resp["Content-Type"] = "application/pdf"
    return resp


@role_required(*CASE_ROLES)
def person_record(request, pk):
    """个人问责记录: a person's determinations the user may read, history included (discipline, supervisors of the
    issuing level, the head of the person's unit) — never what the person may have complained of themselves."""
    person = scope.access(Person, request.user, pk, Person.objects.select_related("unit"))
    record = list(selectors.person_record(request.user, person))
    viewed(request, "person_record", person, determinations=[d.pk for d in record])
    return render(
        request,
        "accountability/person.html",
        {
            "person": person,
            "record": record,
            "suggestions": selectors.escalation_suggestions(person) if request.user.role in STAFF else [],
        },
    )


# --- statistics and the 通报 ----------------------------------------------------------------------------------


@role_required(*selectors.STATS_ROLES)
def statistics(request):
    """Counts in the seeds' form for a period; a supervisor issues the 通报 (.docx) with the typical cases."""
    start, end = selectors.period(request.GET if request.method == "GET" else request.POST)
    stats = selectors.statistics(request.user, start, end)
    typical = selectors.typical_cases(request.user, start, end) if request.user.role in STAFF else []
    if request.method == "POST":
        if request.user.role != Role.SUPERVISOR:
            raise PermissionDenied
        from .documents import issue_bulletin

        issued, data = issue_bulletin(request.user, stats, typical)
        return docs.docx_response(data, f"{issued.number}{issued.kind}.docx")
    if typical:
        viewed(request, "typical_cases", ids=[row["case"].pk for row in typical])
    return render(
        request,
        "accountability/statistics.html",
        {
            "stats": stats,
            "typical": typical,
            "can_issue": request.user.role == Role.SUPERVISOR,
            "max_unit": max((n for _name, n in stats.by_unit), default=0),
        },
    )


@role_required(*selectors.STATS_ROLES)
def statistics_export(request):
    """The period's counts as .xlsx in the standard layout (one row per sanction, category, unit and month)."""
    start, end = selectors.period(request.GET)
    stats = selectors.statistics(request.user, start, end)
    rows = (
        [(_("处理方式"), s.name, n) for s, n in stats.by_sanction]
        + [(_("行为类别"), name, n) for name, n in stats.by_category]
        + [(_("责任类型"), name, n) for name, n in stats.by_responsibility]
        + [(_("单位"), name, n) for name, n in stats.by_unit]
        + [(_("月份"), month, n) for month, n in stats.by_month]
    )
    data = ledger_xlsx(
        title=_("机关效能问责情况统计"),
        subtitle=f"{start:%Y-%m-%d} — {end:%Y-%m-%d} · {stats.sentence}",
        columns=[
            Column(_("分组"), lambda r: r[0], 12),
            Column(_("项目"), lambda r: r[1], 40),
            Column(_("人次"), lambda r: r[2], 10),
        ],
        rows=rows,
    )
    audit.record(AuditEventType.EXPORTED, actor=request.user, data={"export": "accountability_statistics"})
    return xlsx_response(data, "问责统计.xlsx")


# --- the catalog ----------------------------------------------------------------------------------------------


@role_required(Role.SUPERVISOR, Role.DISCIPLINE, Role.SYSADMIN)
def catalog(request):
    """问责行为 and 问责方式 as configured; the system administrator edits them (each change audited)."""
    if request.method == "POST":
        if request.user.role != Role.SYSADMIN:
            raise PermissionDenied
        try:
            from .catalog import change

            change(request.user, request.POST)
            messages.success(request, _("已保存。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("accountability_catalog")
    return render(
        request,
        "accountability/catalog.html",
        {
            "sanctions": Sanction.objects.all(),
            "categories": BehaviourCategory.objects.prefetch_related(
                Prefetch(
                    "behaviours", queryset=Behaviour.objects.select_related("min_sanction", "max_sanction")
                )
            ),
            "rules": EscalationRule.objects.select_related("trigger", "suggest"),
            "can_edit": request.user.role == Role.SYSADMIN,
            "levels": Sanction._meta.get_field("approval_level").choices,
            "kinds": SanctionKind.choices,
            "rule_kinds": EscalationKind.choices,
        },
    )


# --- inspections ----------------------------------------------------------------------------------------------


@role_required(*INSPECTION_ROLES)
def plans(request):
    qs = selectors.plans(request.user, state=request.GET.get("state", ""), mode=request.GET.get("mode", ""))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accountability/plans.html",
        {
            "page": page,
            "states": PlanState.choices,
            "modes": InspectionMode.choices,
            "can_plan": request.user.role == Role.SUPERVISOR,
        },
    )


@role_required(Role.SUPERVISOR)
def new_plan(request):
    form = PlanForm(
        request.POST or None,
        units=scope.restrict(Unit, request.user).filter(is_active=True),
        team=selectors.team_candidates(request.user).exclude(pk=request.user.pk),
    )
    error = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.create_plan(
                actor=request.user,
                title=d["title"],
                mode=d["mode"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                targets=list(d["targets"]),
                team=list(d["team"]),
                windows=d["windows"],
                focus=d["focus"],
            )
        except TransitionRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("检查计划已建立。"))
            return redirect("inspection", pk=plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "accountability/new_plan.html", {"form": form, "error": error}, status=status)


def _plan(request, pk) -> InspectionPlan:
    return scope.access(InspectionPlan, request.user, pk, InspectionPlan.objects.select_related("issuer"))


@role_required(*INSPECTION_ROLES)
def plan(request, pk):
    p = _plan(request, pk)
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "start":
                services.start_plan(p, request.user)
            elif op == "finish":
                services.finish_plan(p, request.user, summary=request.POST.get("summary", ""))
            elif op == "cancel":
                services.cancel_plan(p, request.user, reason=request.POST.get("summary", ""))
            else:
                raise TransitionRefused(_("没有这个操作 (no such action)"), code="no_such_action")
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("inspection", pk=p.pk)
    on_team = p.team.filter(pk=request.user.pk).exists()
    runs = on_team or (
        request.user.role == Role.SUPERVISOR and request.user.jurisdiction_path == p.region_path
    )
    return render(
        request,
        "accountability/plan.html",
        {
            "plan": p,
            "targets": p.targets.all(),
            "team": p.team.select_related("unit"),
            "findings": p.findings.select_related(
                "unit", "behaviour", "rectification__work_item"
            ).prefetch_related("photos", "cases"),
            "runs": runs,
        },
    )


@role_required(Role.SUPERVISOR, Role.DISCIPLINE)
def new_finding(request, pk):
    """The phone page: record a finding on the spot, with photos (cleaned before they are stored)."""
    from xiaoneng.complaints import attachments

    p = _plan(request, pk)
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    form = FindingForm(
        request.POST or None,
        units=units.filter(pk__in=p.targets.values("pk")) | units.filter(parent__in=p.targets.values("pk")),
        people=scope.restrict(Person, request.user).filter(is_active=True),
    )
    error = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            photos = attachments.clean_all(request.FILES.getlist("photos"))
            behaviour = (
                Behaviour.objects.filter(pk=d.get("behaviour")).first() if d.get("behaviour") else None
            )
            finding = services.record_finding(
                actor=request.user,
                plan=p,
                observed_at=d["observed_at"],
                place=d["place"],
                unit=d["unit"],
                window=d["window"],
                people_present=d["people_present"],
                person=d.get("person"),
                behaviour=behaviour,
                description=d["description"],
                photos=photos,
            )
        except attachments.AttachmentRefused as exc:
            error = exc.message
        except TransitionRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("已记录检查发现。"))
            return redirect("finding", pk=finding.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accountability/new_finding.html", {"plan": p, "form": form, "error": error}, status=status
    )


@role_required(*INSPECTION_ROLES)
def finding(request, pk):
    f = scope.access(
        Finding,
        request.user,
        pk,
        Finding.objects.select_related(
            "plan", "unit", "person", "behaviour", "recorded_by", "rectification__work_item"
        ),
    )
    if request.method == "POST":
        try:
            if request.POST.get("op") != "rectify":
                raise TransitionRefused(_("没有这个操作 (no such action)"), code="no_such_action")
            services.rectify(f, request.user, limit_text=request.POST.get("limit", "").strip() or "10wd")
            messages.success(request, _("已交办整改。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("finding", pk=f.pk)
    cases = scope.restrict(Case, request.user).filter(finding=f)
    return render(
        request,
        "accountability/finding.html",
        {
            "finding": f,
            "photos": f.photos.all(),
            "cases": cases,
            "can_act": request.user.role == Role.SUPERVISOR and not f.plan.hidden,
            "opened_elsewhere": f.cases.exists() and not cases.exists(),
        },
    )


@role_required(*INSPECTION_ROLES)
def photo(request, pk):
    p = scope.access(FindingPhoto, request.user, pk)
    return FileResponse(p.file.open("rb"), content_type=p.content_type)


# --- the public 曝光台 -----------------------------------------------------------------------------------------


def exposure(request):
    """曝光台 (public): the cases the office chose to publish; a name only where the decision says so."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(selectors.exposure(q), 20).get_page(request.GET.get("page"))
    return render(request, "portal/exposure.html", {"page": page, "q": q})
