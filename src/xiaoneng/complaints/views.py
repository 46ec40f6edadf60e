"""Staff pages of 效能投诉: the ledger, staff entry, one complaint with the actions open to the user, the
redaction editor for assignment, the audited reveal, the 12345 batch import.

What each role reads is decided here once, by template: staff (supervisor, 纪检监察) get `complaints/detail.html`
(original text, masked identity, related complaints); everyone else in scope — the handling unit, leaders — gets
`complaints/detail_unit.html`, which is built from the redacted copy alone and has no identity or original text
to leak."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.core import scope
from xiaoneng.core.exports import xlsx_response
from xiaoneng.core.imports import ImportRefused
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit
from xiaoneng.org.roles import Role
from xiaoneng.org.services import RevealRefused
from xiaoneng.web.views import ITEM_ROLES, role_required

from . import import_io, selectors, services
from .forms import AssignForm, EntryForm
from .models import Attachment, Category, Complaint, Finding, Handling, Rating
from .redaction import identity_leaks, suggest_redacted
from .workflow import WORKFLOW

STAFF_CHANNELS = EntryForm.base_fields["channel"].choices
# Transitions whose guard reads nothing from a form: the page shows them only when they would pass now.
DATA_FREE = frozenset(
    {
        "accept",
        "handle_directly",
        "approve_reply",
        "reopen",
        "close",
        "approve_extension",
        "reject_extension",
        "request_accountability",
    }
)
# Shown elsewhere on the page than the action buttons.
NOT_BUTTONS = frozenset({"link_related", "rate_public"})


def _complaint(request, pk) -> Complaint:
    return scope.access(
        Complaint,
        request.user,
        pk,
        Complaint.objects.select_related(
            "work_item__owner_unit",
            "category",
            "subject_unit",
            "subject_person",
            "handling_unit",
            "related_to",
        ),
    )


def _version(request) -> int | None:
    v = request.POST.get("version", "")
    return int(v) if v.isdigit() else None


def _actions(wi, user) -> list:
    out = []
    for t in WORKFLOW.available(wi, user):
        if t.name in NOT_BUTTONS:
            continue
        if t.name in DATA_FREE and WORKFLOW.refusal(wi, t.name, user, {}) is not None:
            continue
        out.append(t)
    return out


@role_required(*ITEM_ROLES)
def ledger(request):
    staff = selectors.sees_as_staff(request.user)
    page = Paginator(selectors.ledger_from_params(request.user, request.GET), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "complaints/ledger.html",
        {
            "page": page,
            "staff": staff,
            "states": WORKFLOW.states.items(),
            "categories": Category.objects.all(),
            "channels": Complaint._meta.get_field("channel").choices if staff else [],
            "units": scope.restrict(Unit, request.user).filter(is_active=True).only("id", "name")
            if request.user.role not in (Role.LIAISON, Role.UNIT_LEADER)
            else [],
            "can_enter": request.user.role == Role.SUPERVISOR,
            "can_stats": request.user.role in STATS_ROLES,
        },
    )


@role_required(*ITEM_ROLES)
def export(request):
    """The filtered ledger as .xlsx in the standard layout (no identity, no complainant's text: see import_io)."""
    qs = selectors.ledger_from_params(request.user, request.GET)
    return xlsx_response(import_io.export(request.user, qs), "效能投诉台帐.xlsx")


def _entry_people(request, unit_id):
    if not unit_id or not str(unit_id).isdigit():
        return Person.objects.none()
    return scope.restrict(Person, request.user).filter(unit_id=int(unit_id), is_active=True)


@role_required(Role.SUPERVISOR)
def entry(request):
    """登记投诉 taken by phone, letter, visit or e-mail: the same intake as every channel."""
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    people = _entry_people(request, request.POST.get("subject_unit")) if request.method == "POST" else None
    form = EntryForm(request.POST or None, units=units, people=people)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            complaint, _code, _created = services.submit(
                channel=d["channel"],
                category=d["category"],
                subject_unit=d["subject_unit"],
                subject_person=d["subject_person"],
                subject_person_text=d["subject_person_text"],
                content=d["content"],
                occurred_on=d["occurred_on"],
                location=d["location"],
                anonymous=d["anonymous"],
                name=d["name"],
                phone=d["phone"],
                id_number=d["id_number"],
                email=d["email"],
                consent_publish=d["consent_publish"],
                idempotency_key=d["idempotency_key"],
                actor=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            if scope.restrict(Complaint, request.user).filter(pk=complaint.pk).exists():
                messages.success(request, _("投诉已登记：%(no)s。") % {"no": complaint.tracking_no})
                return redirect("complaint_detail", pk=complaint.pk)
            # Routed to another office, or about the user's own unit (回避): registered, but not theirs to open.
            messages.success(
                request,
                _("投诉已登记：%(no)s，已转由有管辖权的效能办受理。") % {"no": complaint.tracking_no},
            )
            return redirect("complaints")
    status = 400 if form.errors else 200
    return render(request, "complaints/entry.html", {"form": form}, status=status)


@role_required(Role.SUPERVISOR)
def person_options(request):
    """The people of one unit for the entry form's 被投诉人 (htmx), within the user's scope."""
    people = _entry_people(request, request.GET.get("subject_unit"))
    return render(request, "complaints/_person_options.html", {"people": people})


@role_required(*ITEM_ROLES)
def detail(request, pk):
    c = _complaint(request, pk)
    wi = c.work_item
    if request.method == "POST":
        name = request.POST.get("action", "")
        data = request.POST.dict()
        data["attachments"] = request.POST.getlist("attachments")
        try:
            data = services.resolve(request.user, data)
            services.act(c, name, request.user, data=data, expected_version=_version(request))
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        if not scope.restrict(Complaint, request.user).filter(pk=c.pk).exists():
            return redirect("complaints")  # e.g. reopened: back with the office, out of the unit's sight
        return redirect("complaint_detail", pk=c.pk)
    context = {
        "c": c,
        "item": wi,
        "state_label": WORKFLOW.state_label(wi.state),
        "actions": _actions(wi, request.user),
        "timeline": selectors.timeline_rows(wi, request.user),
        "extensions": wi.extensions.all(),
        "findings": Finding.choices,
        "ratings": Rating.choices,
    }
    if not selectors.sees_as_staff(request.user):
        released = scope.restrict(Attachment, request.user).filter(complaint=c)
        context["attachments"] = list(released)
        return render(request, "complaints/detail_unit.html", context)
    context.update(
        {
            "identity": c.identity_masked,
            "content": services.masked_content(c),
            "has_identity": any([c.identity_name, c.identity_phone, c.identity_id_number, c.identity_email]),
            "can_reveal": request.user.role in services.REVEALERS,
            "attachments": list(scope.restrict(Attachment, request.user).filter(complaint=c)),
            "linked": list(
                scope.restrict(Complaint, request.user)
                .filter(related_to=c)
                .select_related("work_item", "category")
            ),
            "suggestions": selectors.related_suggestions(c, request.user) if wi.closed_at is None else [],
            "can_link": "link_related" in {t.name for t in WORKFLOW.available(wi, request.user)},
            "direct": c.handling == Handling.DIRECT,
            **_accountability_link(c, request.user),
        }
    )
    return render(request, "complaints/detail.html", context)


def _accountability_link(c, user) -> dict:
    """The accountability case opened from this complaint, when the reader may open it (a case is a person's
    record: its own scope decides), or — for a supervisor, once 提请问责 is recorded and no case exists yet — the
    way to open one prefilled from the complaint."""
    from django.apps import apps

    if not apps.is_installed("xiaoneng.accountability"):
        return {}
    if c.accountability_case_id:
        Case = apps.get_model("accountability", "Case")
        case = scope.restrict(Case, user).filter(pk=c.accountability_case_id).only("pk", "number").first()
        return {"accountability_case": case}
    if c.accountability_requested_at is not None and user.role == Role.SUPERVISOR:
        return {"accountability_new": f"{reverse('accountability_new')}?complaint={c.pk}"}
    return {}


@role_required(Role.SUPERVISOR)
def assign(request, pk):
    """交办 with the redaction editor: the copy starts as suggest_redacted and is checked for the complainant's
    name, phone, ID number and e-mail (also spaced or full-width) before it may leave."""
    c = _complaint(request, pk)
    wi = c.work_item
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    attachments = list(scope.restrict(Attachment, request.user).filter(complaint=c))
    initial = {
        "unit": c.subject_unit_id,
        "redacted_content": c.redacted_content or suggest_redacted(c),
        "version": wi.version,
    }
    form = AssignForm(request.POST or None, units=units, attachments=attachments, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.assign(
                request.user,
                c,
                unit=d["unit"],
                redacted_content=d["redacted_content"],
                attachments=d["attachments"],
                note=d["note"],
                expected_version=d["version"],
            )
        except TransitionRefused as exc:
            error = exc.message
        else:
            messages.success(request, _("已交办。"))
            return redirect("complaint_detail", pk=c.pk)
    text = form["redacted_content"].value() or ""
    status = 200 if request.method == "GET" else (409 if error else 400)
    return render(
        request,
        "complaints/assign.html",
        {
            "c": c,
            "item": wi,
            "form": form,
            "error": error,
            "leaks": identity_leaks(c, text),
            "content": services.masked_content(c),
            "can_assign": "assign" in {t.name for t in WORKFLOW.available(wi, request.user)},
        },
        status=status,
    )


@role_required(Role.SUPERVISOR)
@require_POST
def redaction_check(request, pk):
    """What of the complainant's identity the draft copy still contains (htmx, as staff type)."""
    c = _complaint(request, pk)
    leaks = identity_leaks(c, request.POST.get("redacted_content", ""))
    return render(request, "complaints/_leaks.html", {"leaks": leaks})


@role_required(Role.SUPERVISOR, Role.DISCIPLINE)
@require_POST
def reveal(request, pk):
    """The complainant's identity in clear, once, with a reason, on the audit trail."""
    c = _complaint(request, pk)
    try:
        clear = services.reveal_identity(
            actor=request.user, complaint=c, reason=request.POST.get("reason", "")
        )
    except RevealRefused as exc:
        return render(request, "complaints/_reveal.html", {"error": exc.message}, status=exc.status)
    return render(request, "complaints/_reveal.html", {"clear": clear})


@role_required(*ITEM_ROLES)
def attachment(request, pk):
    """One attachment: staff get it under its name; the handling unit only those released with the copy, under a
    neutral name (a file name can identify its sender)."""
    a = scope.access(Attachment, request.user, pk, Attachment.objects.select_related("complaint"))
    if selectors.sees_as_staff(request.user):
        filename = a.name
    else:
        suffix = a.name.rsplit(".", 1)[-1][:8] if "." in a.name else "bin"
        filename = f"attachment-{a.pk}.{suffix}"
    return FileResponse(a.file.open("rb"), as_attachment=True, filename=filename, content_type=a.content_type)


@role_required(Role.SUPERVISOR)
def import_batch(request):
    """12345 热线转办: a batch of tickets as .xlsx or .csv, all or nothing, every row's errors listed."""
    errors, refused, skipped = [], None, []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = _("请选择文件 (choose a file)")
        else:
            try:
                created, skipped, errors = import_io.import_tickets(request.user, upload)
            except ImportRefused as exc:
                refused = exc.message
            else:
                if not errors:
                    messages.success(
                        request,
                        _("已导入 %(n)d 件12345转办投诉，%(s)d 件此前已导入。")
                        % {"n": len(created), "s": len(skipped)},
                    )
                    return redirect("complaints")
    status = 400 if (errors or refused) else 200
    return render(request, "complaints/import.html", {"errors": errors, "refused": refused}, status=status)


@role_required(Role.SUPERVISOR)
def import_template(request):
    return xlsx_response(import_io.template(), "12345转办导入模板.xlsx")


STATS_ROLES = (Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER)


@role_required(*STATS_ROLES)
def stats(request):
    """效能投诉统计: volume and rates by unit, category, channel and month for a period (default: this year),
    counted over the complaints in the user's scope; `?format=xlsx` downloads the same tables."""
    from datetime import date as _date

    from xiaoneng.core.exports import Column, ledger_xlsx

    from . import stats as complaint_stats

    start, end = complaint_stats.default_period()
    try:
        start = _date.fromisoformat(request.GET.get("start", "")[:10]) if request.GET.get("start") else start
        end = _date.fromisoformat(request.GET.get("end", "")[:10]) if request.GET.get("end") else end
    except ValueError:
        messages.error(request, _("日期格式不正确"))
    if end < start:
        start, end = end, start
    tables = complaint_stats.statistics(request.user, start, end)
    titles = {d: label for d, (_key, label) in complaint_stats.DIMENSIONS.items()}
    if request.GET.get("format") == "xlsx":
        rows = []
        for d, table in tables.items():
            rows.extend((str(titles[d]), r) for r in table)

        def pct(attr):
            return lambda x: "" if getattr(x[1], attr) is None else getattr(x[1], attr)

        columns = [
            Column(_("统计维度"), lambda x: x[0], 10),
            Column(_("名称"), lambda x: x[1].label, 24),
            Column(_("投诉量"), lambda x: x[1].volume, 10),
            Column(_("受理率(%)"), pct("acceptance_rate"), 10),
            Column(_("按时答复率(%)"), pct("on_time_rate"), 12),
            Column(_("属实率(%)"), pct("true_rate"), 10),
            Column(_("满意率(%)"), pct("satisfaction_rate"), 10),
        ]
        data = ledger_xlsx(
            title=_("效能投诉统计"),
            subtitle=f"{start.isoformat()} — {end.isoformat()}",
            columns=columns,
            rows=rows,
        )
        return xlsx_response(data, "效能投诉统计.xlsx")
    return render(
        request,
        "complaints/stats.html",
        {
            "start": start,
            "end": end,
            "sections": [(titles[d], table) for d, table in tables.items()],
        },
    )
