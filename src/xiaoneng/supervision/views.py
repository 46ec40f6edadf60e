"""Pages of 督查督办: the ledger, issuing an item, an item with its reports and the actions open to the user."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from xiaoneng.core import clock_service, paging, scope, workitem
from xiaoneng.core.attachments import MAX_BYTES, MAX_FILES
from xiaoneng.core.attachments import limit as attachment_limit
from xiaoneng.core.exports import xlsx_response
from xiaoneng.core.imports import ImportRefused
from xiaoneng.core.workflow import TransitionRefused, pending_extension
from xiaoneng.org.models import Person, Unit
from xiaoneng.org.roles import UNIT_ROLES, Role
from xiaoneng.web.templatetags.xiaoneng import deadline_label, stage_badge, state_label
from xiaoneng.web.views import ITEM_ROLES, role_required

from . import evidence, ledger_io, selectors, services
from .documents import for_item as documents_for_item
from .forms import IssueForm, SubItemFormSet
from .models import Quality, ReportFile, Source, SupervisedItem, Urgency
from .workflow import WORKFLOW, last_day, unit_has_head

EXTENSION_DECISIONS = frozenset({"approve_extension", "reject_extension"})
NOTE_ACTIONS = frozenset({"send_back", "suspend", "cancel", "remind"})
# The unit's head sending a completion request back to the liaison.
HEAD_NOTE_ACTIONS = frozenset({"return_completion"})


def _requested_until(wi, ext):
    """The date a pending extension asks for (a request is stored as natural days after the last day)."""
    if ext is None or wi.deadline is None:
        return None
    try:
        limit = clock_service.parse_limit(ext.limit)
    except TransitionRefused:
        return None
    if limit.unit.value != "d":
        return None
    return last_day(wi.deadline) + timedelta(days=limit.amount)


def _filtered(request):
    """The ledger as the user filtered it (the page and its export show the same rows)."""
    return selectors.ledger_from_params(request.user, request.GET)


LEDGER_PAGE = 50
# The ledger's deadline windows (the selector's `due`: open items due within so many days, the overdue included).
DUE_WINDOWS = (3, 7, 15, 30)


def _ledger_rows(page: paging.Page) -> list[dict]:
    """What the ledger shows of each row, worked out once per row here rather than by lookups and filters in
    the template (a page of 50 rows cost ~20 ms of template work that way)."""
    sources = dict(Source.choices)
    urgencies = dict(Urgency.choices)
    rows = []
    for n, s in enumerate(page.rows, start=page.start_index):
        wi = s.work_item
        rows.append(
            {
                "no": n,
                "url": reverse("supervision_item", args=[s.pk]),
                "title": wi.title,
                "reference_no": s.reference_no,
                "urgency": urgencies.get(s.urgency, s.urgency) if s.urgency != Urgency.NORMAL else "",
                "source": sources.get(s.source, s.source),
                "unit": wi.owner_unit.name,
                "deadline": deadline_label(wi.deadline),
                "provisional": wi.provisional,
                "state": state_label(wi),
                "badge": "" if wi.closed_at else stage_badge(wi.stage),
            }
        )
    return rows


@role_required(*ITEM_ROLES)
def ledger(request):
    """The ledger a page at a time by key (next / previous keep the filters); the count is exact up to 1,000."""
    rows = _filtered(request)
    try:
        page = selectors.LEDGER_ORDER.page(rows, request.GET.get("cursor"), LEDGER_PAGE)
    except paging.InvalidCursor as exc:
        messages.warning(request, exc.message)
        params = request.GET.copy()
        params.pop("cursor", None)
        return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)
    count, capped = paging.capped_count(rows)
    # A unit's own people see their unit's items only: the unit filter is for regional staff.
    units = (
        scope.restrict(Unit, request.user).filter(is_active=True).only("pk", "name")
        if request.user.role not in UNIT_ROLES
        else []
    )
    return render(
        request,
        "supervision/ledger.html",
        {
            "page": page,
            "rows": _ledger_rows(page),
            "count": count,
            "count_capped": capped,
            "sources": Source.choices,
            "states": WORKFLOW.states.items(),
            "units": units,
            "due_windows": DUE_WINDOWS,
            "can_issue": request.user.role == Role.SUPERVISOR,
        },
    )


@role_required(Role.SUPERVISOR)
def issue(request):
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    people = scope.restrict(Person, request.user).filter(is_active=True)
    form = IssueForm(request.POST or None, units=units, people=people)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item = services.issue(
                actor=request.user,
                title=d["title"],
                source=d["source"],
                lead_unit=d["lead_unit"],
                co_units=list(d["co_units"]),
                limit=d["limit"],
                due=d["due"],
                reference_no=d["reference_no"],
                urgency=d["urgency"],
                description=d["description"],
                cadence=d["cadence"],
                responsible_leader=d["responsible_leader"],
                responsible_person=d["responsible_person"],
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("事项已交办。"))
            return redirect("supervision_item", pk=item.pk)
    return render(
        request,
        "supervision/issue.html",
        {"form": form, "lead_people": form.lead_people()},
        status=400 if form.errors else 200,
    )


@role_required(Role.SUPERVISOR)
def people_options(request):
    """The <option>s of the lead unit's active people for the 责任人 picker, and the same for 责任领导 (swapped
    out of band): the issue form loads them when the lead unit changes."""
    unit_id = request.GET.get("lead_unit", "")
    people = (
        scope.restrict(Person, request.user).filter(unit_id=int(unit_id), is_active=True)
        if unit_id.isdigit() and len(unit_id) < 19
        else Person.objects.none()
    )
    return render(request, "supervision/_people_options.html", {"people": people})


@role_required(*ITEM_ROLES)
def item(request, pk):
    sup = scope.access(
        SupervisedItem,
        request.user,
        pk,
        SupervisedItem.objects.select_related(
            "work_item__owner_unit", "work_item__owner_person", "responsible_leader"
        ),
    )
    wi = sup.work_item
    if request.method == "POST":
        try:
            # 佐证材料: every file cleaned (or the first bad one refused) before anything changes or is saved.
            files = evidence.clean_uploads(request.FILES.getlist("files"))
            services.act(
                sup,
                request.POST.get("action", ""),
                request.user,
                data=request.POST.dict(),
                expected_version=int(request.POST["version"])
                if request.POST.get("version", "").isdigit()
                else None,
                files=files,
            )
            messages.success(request, _("操作成功。"))
        except (TransitionRefused, evidence.AttachmentRefused) as exc:
            # Refused: the page again with the reason and what the user typed (a long report is not lost).
            messages.error(request, exc.message)
            status, posted = getattr(exc, "status", 400), request.POST
            sup.refresh_from_db()
            wi = sup.work_item
            wi.refresh_from_db()  # a version conflict shows the item as it is now, the typed text kept
        else:
            return redirect("supervision_item", pk=sup.pk)
    else:
        status, posted = 200, {}
    actions = WORKFLOW.available(wi, request.user)
    pending = pending_extension(wi)
    if pending is None:  # nothing to decide: no 批准延期 / 不予延期 buttons that could only be refused
        actions = [t for t in actions if t.name not in EXTENSION_DECISIONS]
    names = {t.name for t in actions}
    return render(
        request,
        "supervision/item.html",
        {
            "sup": sup,
            "item": wi,
            "state_label": WORKFLOW.state_label(wi.state),
            "actions": actions,
            # The form asks only for what the user's actions take: a report's text (the unit), a reason or a
            # reminder's message (the supervisor), an extension's date and reason (the lead unit).
            "asks_text": bool(names & {"report", "request_completion"}),
            "asks_note": bool(names & NOTE_ACTIONS),
            "asks_head_note": bool(names & HEAD_NOTE_ACTIONS),
            # Where 申请办结 goes: the unit's head, or straight to the supervisor when the unit has none.
            "completion_to_head": unit_has_head(wi.owner_unit_id) if "request_completion" in names else None,
            "pending_extension": pending,
            "pending_until": _requested_until(wi, pending),
            "can_decide_extension": bool(names & EXTENSION_DECISIONS),
            "co_units": wi.units.all(),
            "reports": sup.reports.select_related("unit", "author").prefetch_related("files"),
            "max_files": attachment_limit("MAX_FILES", MAX_FILES),
            "max_mb": attachment_limit("MAX_BYTES", MAX_BYTES) // (1024 * 1024),
            "extensions": wi.extensions.all(),
            "children": sup.children.select_related("work_item__owner_unit").order_by("pk"),
            "rollup": selectors.rollup(sup),
            "can_decompose": request.user.role == Role.SUPERVISOR and wi.closed_at is None,
            "timeline": [
                {"event": e, "label": workitem.timeline_label(wi, e.action)} for e in wi.timeline.all()
            ],
            "qualities": Quality.choices,
            "documents": documents_for_item(sup, request.user),
            "can_issue_notice": request.user.role == Role.SUPERVISOR,
            "posted": posted,
        },
        status=status,
    )


@role_required(*ITEM_ROLES)
def export(request):
    """The filtered ledger as .xlsx in the standard layout."""
    return xlsx_response(ledger_io.export(request.user, _filtered(request)), "督办事项台帐.xlsx")


@role_required(Role.SUPERVISOR)
def import_template(request):
    return xlsx_response(ledger_io.template(), "督办事项导入模板.xlsx")


@role_required(Role.SUPERVISOR)
def import_items(request):
    """Upload a batch of items: all-or-nothing, with every row's errors listed."""
    errors, refused = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = _("请选择文件 (choose a file)")
        else:
            try:
                created, errors = ledger_io.import_items(request.user, upload)
            except ImportRefused as exc:
                refused = exc.message
            else:
                if not errors:
                    messages.success(request, _("已导入 %(n)d 项督办事项。") % {"n": len(created)})
                    return redirect("supervision")
    status = 400 if (errors or refused) else 200
    return render(request, "supervision/import.html", {"errors": errors, "refused": refused}, status=status)


@role_required(Role.SUPERVISOR)
def decompose(request, pk):
    """分解: sub-items per unit in one form; nothing is created unless every filled row is right."""
    parent = scope.access(
        SupervisedItem, request.user, pk, SupervisedItem.objects.select_related("work_item")
    )
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    formset = SubItemFormSet(request.POST or None, form_kwargs={"units": units})
    error = None
    if request.method == "POST" and formset.is_valid():
        rows = [
            {
                "title": f.cleaned_data["title"],
                "lead_unit": f.cleaned_data["lead_unit"],
                "co_units": list(f.cleaned_data.get("co_units") or []),
                "due": f.cleaned_data.get("due"),
                "limit": f.cleaned_data.get("limit") or "",
            }
            for f in formset.forms
            if f.cleaned_data and not f.is_blank
        ]
        try:
            children = services.decompose(request.user, parent, rows)
        except TransitionRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("已分解为 %(n)d 项子事项。") % {"n": len(children)})
            return redirect("supervision_item", pk=parent.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "supervision/decompose.html",
        {"parent": parent, "formset": formset, "error": error},
        status=status,
    )


@role_required(*ITEM_ROLES)
def board(request, pk):
    """调度台: today's expected reports of a campaign's tasks, who reported and who did not, and the summary."""
    from datetime import date

    parent = scope.access(
        SupervisedItem, request.user, pk, SupervisedItem.objects.select_related("work_item")
    )
    try:
        day = date.fromisoformat(request.GET["day"]) if request.GET.get("day") else None
    except ValueError:
        day = None
    return render(
        request, "supervision/board.html", {"parent": parent, "board": selectors.dispatch_board(parent, day)}
    )


@role_required(Role.SUPERVISOR)
def notice(request, pk):
    """督办通知单: issue the numbered notice for an item (POST); it is listed on the item page to download."""
    from django.http import HttpResponseNotAllowed

    from .documents import issue_notice

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sup = scope.access(SupervisedItem, request.user, pk, SupervisedItem.objects.select_related("work_item"))
    issued, _data = issue_notice(sup, request.user)
    messages.success(request, _("已生成督办通知单 %(n)s。") % {"n": issued.number})
    return redirect("supervision_item", pk=sup.pk)


@role_required(*ITEM_ROLES)
def document(request, pk, doc, fmt):
    """An issued 督办通知单 / 催办单 of the item, as the .docx handed out or converted to PDF."""
    from django.http import Http404, HttpResponse

    from xiaoneng.core import documents as docs

    from .documents import for_item

    sup = scope.access(SupervisedItem, request.user, pk)
    issued = for_item(sup, request.user).filter(pk=doc).first()
    if issued is None or fmt not in ("docx", "pdf"):
        raise Http404
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


@role_required(*ITEM_ROLES)
def report_file(request, pk):
    """One 佐证材料 file, for whoever may see its item (the scope layer decides; out of scope answers 404)."""
    from django.http import FileResponse

    f = scope.access(ReportFile, request.user, pk)
    resp = FileResponse(f.file.open("rb"), as_attachment=True, filename=f.name, content_type=f.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
