"""Pages of 政务服务电子监察. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core import paging, scope, workitem
from xiaoneng.core.exports import xlsx_response
from xiaoneng.core.imports import ImportRefused
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import RegionLevel, Unit
from xiaoneng.org.roles import Role
from xiaoneng.web.views import ITEM_ROLES, role_required

from . import alerts as alert_services
from . import catalog, catalog_io, event_files, selectors, stats, stats_io
from .forms import MatterForm
from .models import (
    AlertType,
    AnomalyCode,
    Case,
    CaseAlert,
    CaseStatus,
    Disposition,
    EventType,
    Finding,
    IngestBatch,
    Matter,
    MatterType,
    Procedure,
    Project,
    Rating,
    SourceSystem,
)

PAGE = 50


@role_required(*ITEM_ROLES)
def index(request):
    """The metrics page is the front page of e-supervision."""
    return metrics(request)


def _metrics_table(request):
    from urllib.parse import urlencode

    from django.urls import reverse

    query = stats.Query.from_params(request.GET)
    result = stats.metrics(request.user, query)
    cases_url, alerts_url, anomalies_url = (
        reverse("eservice_cases"),
        reverse("eservice_alerts"),
        reverse("eservice_anomalies"),
    )

    def links(key):
        params = stats.drill_params(query, key)

        def case(measure):
            return f"{cases_url}?{urlencode({**params, 'measure': measure})}"

        def alert(types):
            return f"{alerts_url}?{urlencode({**params, 'types': types})}"

        return {
            "accepted": case("accepted"),
            "completed": case("completed"),
            "on_time": case("on_time"),
            "late": case("late"),
            "onsite": case("onsite"),
            "early": case("early"),
            "rated": case("rated"),
            "satisfied": case("satisfied"),
            "bad": case("bad"),
            "rectified": case("rectified"),
            "yellow": alert("overdue"),
            "red": alert("overdue_red"),
            "fee_alerts": alert("fee"),
            "offsystem_alerts": alert("late_acceptance,quick_completion"),
            "anomalies": f"{anomalies_url}?{urlencode(params)}",
        }

    def entry(row):
        late = int(row.counts["completed"] - row.counts["on_time"])
        return {"row": row, "rates": row.rates, "links": links(row.key), "c": row.counts, "late": late}

    return query, result, [entry(r) for r in result["rows"]], entry(result["total"])


@role_required(*ITEM_ROLES)
def metrics(request):
    """指标: per department, window, matter, service level or month of a period, the targets beside the
    actuals; every number opens the cases (or alerts, anomalies) behind it."""
    from datetime import timedelta

    from django.utils import timezone

    query, result, rows, total = _metrics_table(request)
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    periods = [
        (_("本月"), today.replace(day=1), today),
        (_("上月"), last_month_end.replace(day=1), last_month_end),
        (_("本年"), today.replace(month=1, day=1), today),
    ]
    return render(
        request,
        "eservice/metrics.html",
        {
            "query": query,
            "rows": rows,
            "total": total,
            "targets": result["targets"],
            "groups": stats.GROUPS.items(),
            "group_label": stats.GROUPS[query.group],
            "departments": _departments(request.user),
            "levels": RegionLevel.choices,
            "periods": periods,
            "tab": "metrics",
        },
    )


@role_required(*ITEM_ROLES)
def metrics_export(request):
    query, result, rows, total = _metrics_table(request)
    return xlsx_response(stats_io.export(request.user, query, result), "政务服务效能指标.xlsx")


@role_required(*ITEM_ROLES)
def matters(request):
    """事项目录: the catalog in the user's scope, filtered; supervisors import and edit it."""
    qs = selectors.matters(request.user, request.GET)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "eservice/matters.html",
        {
            "page": page,
            "types": MatterType.choices,
            "levels": RegionLevel.choices,
            "departments": scope.restrict(Unit, request.user)
            .filter(service_matters__isnull=False)
            .distinct(),
            "can_edit": catalog.may_edit(request.user),
            "tab": "matters",
        },
    )


@role_required(*ITEM_ROLES)
def matters_export(request):
    data = catalog_io.export(request.user, selectors.matters(request.user, request.GET))
    return xlsx_response(data, "政务服务事项目录.xlsx")


@role_required(Role.SUPERVISOR)
def matter_form(request, pk=None):
    """One matter, new or edited; the rule promised ≤ statutory answers in both languages."""
    matter = scope.access(Matter, request.user, pk) if pk is not None else None
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    initial = {}
    if matter is not None:
        initial = {
            "code": matter.code,
            "name": matter.name,
            "type": matter.type,
            "department": matter.department_id,
            "level": matter.level,
            "statutory_limit": matter.statutory_limit,
            "promised_limit": matter.promised_limit,
            "fee_standard": matter.fee_standard,
            "required_steps": matter.steps,
            "is_active": matter.is_active,
        }
    form = MatterForm(request.POST or None, units=units, initial=initial)
    if matter is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved, _created = catalog.save(
                request.user,
                catalog.MatterInput(
                    code=matter.code if matter else d["code"],
                    name=d["name"],
                    type=d["type"],
                    department=d["department"],
                    level=d["level"],
                    statutory_limit=d["statutory_limit"],
                    promised_limit=d["promised_limit"],
                    fee_standard=d["fee_standard"],
                    required_steps=",".join(d["required_steps"]),
                    is_active=d["is_active"],
                ),
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("事项已保存。"))
            return redirect(f"{_matters_url()}?q={saved.code}")
    return render(
        request,
        "eservice/matter_form.html",
        {"form": form, "matter": matter, "tab": "matters"},
        status=400 if form.errors else 200,
    )


def _matters_url() -> str:
    from django.urls import reverse

    return reverse("eservice_matters")


@role_required(Role.SUPERVISOR)
def matters_template(request):
    return xlsx_response(catalog_io.template(), "政务服务事项目录导入模板.xlsx")


@role_required(Role.SUPERVISOR)
def matters_import(request):
    """Upload the catalog: all-or-nothing, every row's errors listed; matters are added or updated by code."""
    errors, refused = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = _("请选择文件 (choose a file)")
        else:
            try:
                saved, errors = catalog_io.import_matters(request.user, upload)
            except ImportRefused as exc:
                refused = exc.message
            else:
                if not errors:
                    messages.success(request, _("已导入 %(n)d 项政务服务事项。") % {"n": len(saved)})
                    return redirect("eservice_matters")
    status = 400 if (errors or refused) else 200
    return render(
        request,
        "eservice/matters_import.html",
        {"errors": errors, "refused": refused, "tab": "matters"},
        status=status,
    )


# --- cases -----------------------------------------------------------------------------------------------------


def _departments(user):
    return scope.restrict(Unit, user).filter(service_matters__isnull=False).distinct().order_by("code")


@role_required(*ITEM_ROLES)
def cases(request):
    """办件: the cases behind a number of the metrics (measure + period + department/matter/window/level), or
    any filter of them; a page at a time by key, the count capped at 1,000."""
    rows = selectors.cases(request.user, request.GET).select_related("matter", "department", "window")
    try:
        page = selectors.CASE_ORDER.page(rows, request.GET.get("cursor"), PAGE)
    except paging.InvalidCursor as exc:
        messages.warning(request, exc.message)
        return redirect("eservice_cases")
    count, capped = paging.capped_count(rows)
    return render(
        request,
        "eservice/cases.html",
        {
            "page": page,
            "count": count,
            "count_capped": capped,
            "measures": MEASURE_LABELS.items(),
            "measure_label": MEASURE_LABELS.get(request.GET.get("measure", "")),
            "departments": _departments(request.user),
            "levels": RegionLevel.choices,
            "tab": "cases",
        },
    )


@role_required(*ITEM_ROLES)
def case_detail(request, pk):
    case = scope.access(
        Case, request.user, pk, Case.objects.select_related("matter", "department", "window", "source")
    )
    return render(
        request,
        "eservice/case.html",
        {
            "case": case,
            "events": case.events.all(),
            "anomalies": case.anomalies.all(),
            "status_label": CaseStatus(case.status).label,
            "rating_label": Rating(case.rating).label if case.rating else "",
            "event_labels": dict(EventType.choices),
            "pauses": _pauses(case),
            "tab": "cases",
        },
    )


def _pauses(case):
    from .clocking import instant

    labels = {"supplement": _("补正")} | dict(Procedure.choices)
    return [
        {"kind": labels.get(kind, kind), "start": instant(a), "end": instant(b) if b is not None else None}
        for a, b, kind in case.pauses
    ]


# --- data anomalies and the intake -------------------------------------------------------------------------------


@role_required(*ITEM_ROLES)
def anomalies(request):
    """数据异常, newest first, 50 at a time (older ones by `before`)."""
    rows = selectors.anomalies(request.user, request.GET).select_related("source", "department", "case")
    before = selectors.number(request.GET.get("before"))
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    return render(
        request,
        "eservice/anomalies.html",
        {
            "rows": page,
            "older": page[-1].pk if more else None,
            "codes": AnomalyCode.choices,
            "dispositions": Disposition.choices,
            "departments": _departments(request.user),
            "tab": "anomalies",
        },
    )


@role_required(Role.SUPERVISOR)
def intake(request):
    """数据接收: upload a batch file of events for an approval system of the region; the recent deliveries."""
    systems = scope.restrict(SourceSystem, request.user).filter(revoked_at__isnull=True)
    outcomes, refused = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        source = systems.filter(pk=selectors.number(request.POST.get("source")) or 0).first()
        if upload is None or source is None:
            refused = _("请选择审批系统和文件 (choose an approval system and a file)")
        else:
            try:
                outcomes = event_files.ingest_file(source, upload)
            except ImportRefused as exc:
                refused = exc.message
    batches = scope.restrict(IngestBatch, request.user).select_related("source")[:20]
    problems = [p for o in outcomes for p in o.problems]
    return render(
        request,
        "eservice/intake.html",
        {
            "systems": systems,
            "outcomes": outcomes,
            "totals": _totals(outcomes),
            "problems": problems[:200],
            "more_problems": max(len(problems) - 200, 0),
            "refused": refused,
            "batches": batches,
            "tab": "intake",
        },
        status=400 if refused else 200,
    )


def _totals(outcomes):
    keys = ("received", "accepted", "replayed", "rejected", "flagged")
    return {k: sum(getattr(o, k) for o in outcomes) for k in keys} if outcomes else None


MEASURE_LABELS = {
    "applied": gettext_lazy("申请"),
    "accepted": gettext_lazy("受理"),
    "completed": gettext_lazy("办结"),
    "on_time": gettext_lazy("按时办结"),
    "late": gettext_lazy("逾期办结"),
    "early": gettext_lazy("提前办结"),
    "onsite": gettext_lazy("现场办结"),
    "rated": gettext_lazy("已评价"),
    "satisfied": gettext_lazy("满意"),
    "bad": gettext_lazy("差评"),
    "open": gettext_lazy("在办"),
    "warning": gettext_lazy("预警"),
    "overdue": gettext_lazy("逾期未办结"),
    "paused": gettext_lazy("计时中止"),
}


# --- alerts ----------------------------------------------------------------------------------------------------


@role_required(*ITEM_ROLES)
def alerts(request):
    """监察告警: alerts in scope, newest first, 50 at a time (older ones by `before`)."""
    rows = selectors.case_alerts(request.user, request.GET)
    before = selectors.number(request.GET.get("before"))
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    return render(
        request,
        "eservice/alerts.html",
        {
            "rows": [{"alert": a, "state": _alert_state(a)} for a in page],
            "older": page[-1].pk if more else None,
            "types": AlertType.choices,
            "departments": _departments(request.user),
            "tab": "alerts",
        },
    )


def _alert_state(alert):
    return workitem.kind_of(alert.work_item).workflow.state_label(alert.work_item.state)


@role_required(*ITEM_ROLES)
def alert_detail(request, pk):
    """One alert: what happened, the department's explanation (or rectification and revisit), the supervisor's
    decision, and the buttons the user may press now; every action through the declared workflow."""
    alert = scope.access(
        CaseAlert,
        request.user,
        pk,
        CaseAlert.objects.select_related(
            "work_item__owner_unit", "case__matter", "case__window", "department"
        ),
    )
    item = alert.work_item
    if request.method == "POST":
        try:
            alert_services.act_on_item(
                item,
                request.POST.get("action", ""),
                request.user,
                note=request.POST.get("note", ""),
                expected_version=selectors.number(request.POST.get("version")),
                data=request.POST.dict(),
            )
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("eservice_alert", pk=alert.pk)
    kind = workitem.kind_of(item)
    return render(
        request,
        "eservice/alert.html",
        {
            "alert": alert,
            "item": item,
            "case": alert.case,
            "state_label": kind.workflow.state_label(item.state),
            "actions": kind.workflow.available(item, request.user),
            "findings": Finding.choices,
            "ratings": Rating.choices,
            "revisit_label": Rating(alert.revisit_result).label if alert.revisit_result else "",
            "timeline": [
                {"event": e, "label": workitem.timeline_label(item, e.action)} for e in item.timeline.all()
            ],
            "tab": "alerts",
        },
    )


# --- parallel approval -----------------------------------------------------------------------------------------


@role_required(*ITEM_ROLES)
def projects(request):
    """并联审批项目: newest first, each with its stages' state and the lagging branch."""
    from . import projects as parallel

    rows = scope.restrict(Project, request.user).prefetch_related("stages")
    q = (request.GET.get("q") or "").strip()
    if q:
        rows = rows.filter(name__icontains=q) | rows.filter(code__icontains=q)
    page = Paginator(rows.order_by("-pk"), 20).get_page(request.GET.get("page"))
    items = [{"project": p, "stages": parallel.stages(p)} for p in page]
    return render(request, "eservice/projects.html", {"page": page, "items": items, "tab": "projects"})


@role_required(*ITEM_ROLES)
def project_detail(request, pk):
    from . import projects as parallel

    project = scope.access(Project, request.user, pk)
    visible = set(
        scope.restrict(Case, request.user).filter(branch__stage__project=project).values_list("pk", flat=True)
    )
    return render(
        request,
        "eservice/project.html",
        {"project": project, "stages": parallel.stages(project), "visible": visible, "tab": "projects"},
    )
