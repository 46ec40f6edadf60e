"""Pages. Thin: parse, call a selector or service, render."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from xiaoneng import clock
from xiaoneng.core import audit, clock_service, notify, scope, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.i18n import clock_message
from xiaoneng.core.models import AuditEvent, CalendarVersion, Heartbeat, Notification, WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org import services as org_services
from xiaoneng.org.models import Person, Region, Unit, User
from xiaoneng.org.roles import Role

from .selectors import home_figures, unit_cards


def role_required(*roles):
    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                audit.record(AuditEventType.ACCESS_DENIED, actor=request.user, data={"path": request.path})
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


@login_required
def home(request):
    return render(request, "web/home.html", {"cards": home_figures(request.user)})


@never_cache
def healthz(request):
    """For operators: database, task queue (worker heartbeat) and scheduler heartbeat. 200 when all hold."""
    checks = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this page must answer
        checks["database"] = f"error: {exc.__class__.__name__}"
    beats = {h.name: h.beat_at for h in Heartbeat.objects.all()} if checks["database"] == "ok" else {}
    now = timezone.now()
    for name, key in (("scheduler", "scheduler"), ("worker", "queue")):
        at = beats.get(name)
        checks[key] = "ok" if at and now - at < timedelta(minutes=3) else ("stale" if at else "missing")
    checks["task_backend"] = settings.TASK_BACKEND
    healthy = all(checks[k] == "ok" for k in ("database", "scheduler", "queue"))
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )


@never_cache
@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["must_change_password", "password_changed_at"])
        update_session_auth_hash(request, user)
        audit.record(AuditEventType.PASSWORD_CHANGED, actor=user)
        messages.success(request, _("密码已修改。"))
        return redirect("home")
    return render(request, "registration/password_change.html", {"form": form})


ITEM_ROLES = (Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC, Role.LIAISON, Role.UNIT_LEADER)
ORG_ROLES = ITEM_ROLES + (Role.SYSADMIN, Role.SECADMIN)


@role_required(*ITEM_ROLES)
def items(request):
    qs = scope.restrict(WorkItem, request.user).select_related("owner_unit")
    q = request.GET
    if q.get("stage"):
        qs = qs.filter(stage=q["stage"], closed_at__isnull=True)
    if q.get("open"):
        qs = qs.filter(closed_at__isnull=True)
    if q.get("closed"):
        qs = qs.filter(closed_at__isnull=False)
    if q.get("due"):
        now = timezone.now()
        qs = qs.filter(
            closed_at__isnull=True,
            deadline__gte=now,
            deadline__lt=now + timedelta(days=int(q["due"]) if q["due"].isdigit() else 7),
        )
    if q.get("q"):
        qs = qs.filter(title__icontains=q["q"])
    page = Paginator(qs.order_by("deadline", "id"), 50).get_page(q.get("page"))
    return render(request, "web/items.html", {"page": page, "kinds": workitem.kinds()})


@role_required(*ITEM_ROLES)
def item_detail(request, pk):
    item = scope.access(
        WorkItem, request.user, pk, WorkItem.objects.select_related("owner_unit", "owner_person")
    )
    kind = workitem.kind_of(item)
    if kind.extra.get("own_page") and kind.detail_url is not None:
        return redirect(kind.detail_url(item))  # its own page decides what each role may read and do
    if request.method == "POST":
        try:
            workitem.perform(
                item,
                request.POST.get("action", ""),
                request.user,
                note=request.POST.get("note", ""),
                expected_version=int(request.POST["version"])
                if request.POST.get("version", "").isdigit()
                else None,
                data=request.POST.dict(),
            )
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("item_detail", pk=item.pk)
    timeline = [{"event": e, "label": workitem.timeline_label(item, e.action)} for e in item.timeline.all()]
    return render(
        request,
        "web/item_detail.html",
        {
            "item": item,
            "kind": kind,
            "state_label": kind.workflow.state_label(item.state),
            "actions": kind.workflow.available(item, request.user),
            "timeline": timeline,
            "pauses": item.pauses.all(),
            "extensions": item.extensions.all(),
        },
    )


@role_required(*ORG_ROLES)
def units(request):
    qs = scope.restrict(Unit, request.user).select_related("region")
    if request.GET.get("q"):
        qs = qs.filter(name__icontains=request.GET["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/units.html", {"page": page})


@role_required(*ORG_ROLES)
def unit_detail(request, pk):
    unit = scope.access(Unit, request.user, pk, Unit.objects.select_related("region", "parent", "head"))
    people = scope.restrict(Person, request.user).filter(unit=unit)
    context = {"unit": unit, "people": people}
    if request.user.role in ITEM_ROLES:  # the 三员 see the organisation, not its record of cards
        cards = unit_cards(request.user, unit, timezone.localdate().year)
        context["cards"] = cards
        context["page"] = Paginator(cards["list"], 50).get_page(request.GET.get("page"))
    return render(request, "web/unit_detail.html", context)


@role_required(*ORG_ROLES)
def people(request):
    qs = scope.restrict(Person, request.user).select_related("unit")
    if request.GET.get("q"):
        qs = qs.filter(name__icontains=request.GET["q"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/people.html", {"page": page})


@role_required(Role.SUPERVISOR, Role.DISCIPLINE)
@require_POST
def person_reveal(request, pk):
    """Show one person's phone and ID number once, with a reason, on the audit trail."""
    person = scope.access(Person, request.user, pk)
    try:
        clear = org_services.reveal_person(
            actor=request.user, person=person, reason=request.POST.get("reason", "")
        )
    except org_services.RevealRefused as exc:
        return render(
            request, "web/_reveal.html", {"person": person, "error": exc.message}, status=exc.status
        )
    return render(request, "web/_reveal.html", {"person": person, "clear": clear})


@role_required(Role.SECADMIN)
def accounts(request):
    """账号与角色 (security administrator): create accounts, change roles, deactivate, reset passwords, unlock."""
    one_time = None
    if request.method == "POST":
        op = request.POST.get("op", "role")
        try:
            if op == "create":
                unit = scope.access(Unit, request.user, request.POST.get("unit") or 0)
                password = org_services.temporary_password()
                org_services.create_account(
                    actor=request.user,
                    username=request.POST.get("username", "").strip(),
                    role=request.POST.get("role", ""),
                    unit=unit,
                    password=password,
                    display_name=request.POST.get("display_name", "").strip(),
                )
                one_time = (request.POST.get("username", "").strip(), password)
            else:
                target = scope.access(User, request.user, request.POST.get("user") or 0)
                if op == "role":
                    org_services.set_role(actor=request.user, user=target, role=request.POST.get("role", ""))
                elif op in ("deactivate", "activate"):
                    org_services.set_active(actor=request.user, user=target, active=op == "activate")
                elif op == "reset":
                    one_time = (target.username, org_services.reset_password(actor=request.user, user=target))
                elif op == "unlock":
                    org_services.unlock(actor=request.user, user=target)
            if one_time is None:
                messages.success(request, _("已保存。"))
                return redirect("accounts")
        except (ValidationError, PermissionError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return redirect("accounts")
    qs = scope.restrict(User, request.user).select_related("unit")
    if request.GET.get("q"):
        qs = qs.filter(username__icontains=request.GET["q"]) | qs.filter(
            first_name__icontains=request.GET["q"]
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    from axes.models import AccessAttempt

    locked = set(
        AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).values_list(
            "username", flat=True
        )
    )
    return render(
        request,
        "web/accounts.html",
        {
            "page": page,
            "roles": Role.choices,
            "units": scope.restrict(Unit, request.user).only("id", "name"),
            "locked": locked,
            "one_time": one_time,
        },
    )


@role_required(Role.AUDITOR)
def audit_log(request):
    qs = scope.restrict(AuditEvent, request.user).order_by("-id")
    if request.GET.get("type", "").isdigit():
        qs = qs.filter(event_type=int(request.GET["type"]))
    result = None
    if request.method == "POST":
        result = audit.verify()
        audit.record(
            AuditEventType.AUDIT_VERIFIED,
            actor=request.user,
            data={"ok": result.ok, "checked": result.checked, "broken_id": result.broken_id},
        )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"event": e, "label": audit.label(e.event_type)} for e in page]
    return render(
        request,
        "web/audit.html",
        {
            "page": page,
            "rows": rows,
            "result": result,
            "types": [(int(t), audit.label(t)) for t in AuditEventType],
        },
    )


@login_required
def inbox(request):
    if request.method == "POST":
        notify.mark_read(request.user, int(request.POST.get("id", "0") or 0))
        return redirect("inbox")
    qs = scope.restrict(Notification, request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page})


CALENDAR_VIEWERS = (Role.SYSADMIN, Role.SUPERVISOR, Role.LEADER, Role.DISCIPLINE)


def _calendar_region(request):
    code = request.GET.get("region") or request.POST.get("region") or ""
    if not code:
        return None
    return scope.restrict(Region, request.user).filter(code=code).first() or _no_region()


def _no_region():
    from django.http import Http404

    raise Http404


@role_required(*CALENDAR_VIEWERS)
def calendar_index(request):
    """工作日历: the years the platform knows, which are provisional, and the history of versions."""
    this_year = timezone.localdate().year
    years = []
    for y in range(this_year - 1, this_year + 3):
        view = clock_service.year_view(y)
        years.append(
            {
                "year": y,
                "known": view["known"],
                "holidays": len(view["holidays"]),
                "workdays": len(view["workdays"]),
            }
        )
    versions = CalendarVersion.objects.select_related("region", "created_by")[:50]
    return render(request, "web/calendar_index.html", {"years": years, "versions": versions})


@role_required(*CALENDAR_VIEWERS)
def calendar_year(request, year):
    """The year grid: click days to mark 放假 / 上班, then save (system administrator)."""
    region = _calendar_region(request)
    if request.method == "POST":
        if request.user.role != Role.SYSADMIN:
            raise PermissionDenied
        try:
            clock_service.save_year(
                actor=request.user,
                year=year,
                region=region,
                holidays=[d for d in request.POST.get("holidays", "").split(",") if d],
                workdays=[d for d in request.POST.get("workdays", "").split(",") if d],
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("工作日历已保存，在办事项的时限将重新计算。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect(f"{request.path}{'?region=' + region.code if region else ''}")
    view = clock_service.year_view(year, region.path if region else "")
    regions = scope.restrict(Region, request.user).filter(level__in=("city", "county"))
    return render(
        request,
        "web/calendar_year.html",
        {
            "view": view,
            "region": region,
            "regions": regions,
            "can_edit": request.user.role == Role.SYSADMIN,
            "weekdays": [
                pgettext("weekday", "一"),
                pgettext("weekday", "二"),
                pgettext("weekday", "三"),
                pgettext("weekday", "四"),
                pgettext("weekday", "五"),
                pgettext("weekday", "六"),
                pgettext("weekday", "日"),
            ],
        },
    )


@role_required(Role.SYSADMIN)
def calendar_import(request):
    """Import a year's notice in the text format of docs/clock.md; errors name the line; nothing is saved
    unless the whole text is right."""
    text = request.POST.get("text", "") if request.method == "POST" else ""
    upload = request.FILES.get("file")
    error = None
    if upload is not None:
        if upload.size > 64 * 1024:
            error = _("文件过大（上限 64 KB）(file too large)")
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                error = _("文件须为 UTF-8 文本 (the file must be UTF-8 text)")
    if request.method == "POST" and error is None:
        try:
            notice = clock.parse_notice(text)
            clock_service.save_year(
                actor=request.user,
                year=notice.year,
                holidays=sorted(notice.holidays),
                workdays=sorted(notice.workdays),
                note=request.POST.get("note", "") or _("文件导入"),
                source="import",
            )
            messages.success(request, _("已导入 %(year)s 年工作日历。") % {"year": notice.year})
            return redirect("calendar_year", year=notice.year)
        except clock.ClockError as exc:
            error = clock_message(exc)
        except TransitionRefused as exc:
            error = exc.message
    return render(
        request, "web/calendar_import.html", {"text": text, "error": error}, status=400 if error else 200
    )
