"""Writes to supervised work: one function each; state changes go through the declared workflow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xiaoneng.core import clock_service, notify, scope, workitem
from xiaoneng.core.models import WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import Role

from . import evidence
from .evidence import Evidence
from .models import ProgressReport, SupervisedItem
from .workflow import CADENCE_LIMITS, KIND, REPORT_WARNING, SIGN_LIMIT, last_day


def limit_until(due: date, start: datetime) -> str:
    """A due date given by the supervisor as a natural-day limit from the start day, so the clock applies its
    rule (民法典 art. 203: a limit ending on a rest day ends on the next working day)."""
    days = (due - timezone.localtime(start).date()).days
    if days < 0:
        raise TransitionRefused(
            _("完成时限不能早于交办日期 (the due date is before the start)"), status=400, code="bad_due"
        )
    return f"{days}d"


@transaction.atomic
def issue(
    *,
    actor: Any,
    title: str,
    source: str,
    lead_unit: Unit,
    co_units: list[Unit] = (),
    limit: str = "",
    due: date | None = None,
    reference_no: str = "",
    urgency: str = "normal",
    category: str = "",
    description: str = "",
    responsible_person: Person | None = None,
    responsible_leader: Person | None = None,
    cadence: str = "none",
    parent: SupervisedItem | None = None,
    started_at: datetime | None = None,
) -> SupervisedItem:
    """交办: a supervisor registers an item for a lead unit (and co-units) with a limit or a due date."""
    if getattr(actor, "role", None) != Role.SUPERVISOR:
        raise TransitionRefused(
            _("只有督查人员可以交办事项 (only supervisors issue items)"), status=403, code="role_not_allowed"
        )
    if not title.strip():
        raise TransitionRefused(_("请填写事项名称 (a title is required)"), status=400, code="title_required")
    if co_units and lead_unit in co_units:
        raise TransitionRefused(
            _("牵头单位不能同时是协办单位 (the lead unit cannot be a co-unit)"), status=400, code="bad_units"
        )
    # 责任人 answers for the lead unit's work, so is one of its people; the 责任领导 may be anyone (often a leader
    # of the city or district government who oversees the lead unit).
    if responsible_person is not None and responsible_person.unit_id != lead_unit.pk:
        raise TransitionRefused(
            _("责任人须是牵头单位的人员 (the responsible person must work in the lead unit)"),
            status=400,
            code="bad_person",
        )
    started_at = started_at or timezone.now()
    if due is not None:
        limit = limit_until(due, started_at)
    wi = workitem.create(
        kind=KIND.code,
        actor=actor,
        title=title.strip(),
        owner_unit=lead_unit,
        owner_person=responsible_person,
        started_at=started_at,
        limit=limit or KIND.default_limit,
    )
    if co_units:
        wi.units.set(co_units)
    item = SupervisedItem.objects.create(
        work_item=wi,
        sign_deadline=clock_service.deadline_for(wi.started_at, SIGN_LIMIT, wi.region_path),
        source=source,
        reference_no=reference_no,
        urgency=urgency,
        category=category,
        description=description,
        responsible_leader=responsible_leader,
        cadence=cadence,
        parent=parent,
    )
    for user in User.objects.filter(unit__in=[lead_unit, *co_units], role=Role.LIAISON, is_active=True):
        notify.notify(
            user,
            f"issued:{wi.pk}",
            _("新督办事项：%(t)s") % {"t": wi.title},
            url=reverse("supervision_item", args=[item.pk]),
            item=wi,
            channels=("sms",),
        )
    return item


EVIDENCE_TRANSITIONS = frozenset({"report", "request_completion"})  # the actions that take files


def remind(item: SupervisedItem, wi: WorkItem, actor: Any, message: str) -> int:
    """催办: the lead unit's liaisons get the reminder; from the second reminder on, the unit's head too
    (escalation). Returns which reminder this is."""
    n = wi.timeline.filter(action="remind").count() + 1
    text = message or _("请抓紧办理并及时报送进展。")
    title = _("催办（第%(n)d次）：%(t)s") % {"n": n, "t": wi.title}
    roles = [Role.LIAISON] + ([Role.UNIT_LEADER] if n >= 2 else [])
    for user in User.objects.filter(unit_id=wi.owner_unit_id, role__in=roles, is_active=True):
        notify.notify(
            user,
            f"remind:{wi.pk}:{n}",
            title,
            text,
            url=reverse("supervision_item", args=[item.pk]),
            item=wi,
            channels=("sms", "dingtalk"),
        )
    return n


def act(
    item: SupervisedItem,
    transition: str,
    actor: Any,
    *,
    data: dict[str, Any],
    expected_version: int | None = None,
    files: list[Evidence] = (),
) -> SupervisedItem:
    """Perform one transition with its effect: a report (progress or completion) is stored with the unit that
    sent it and its files (佐证材料, cleaned by evidence.clean_uploads before this is called); a verification
    records the quality rating."""
    if files and transition not in EVIDENCE_TRANSITIONS:
        raise TransitionRefused(
            _("只有报送进展和申请办结可以附文件 (files go with a progress report or a completion request)"),
            status=400,
            code="files_not_allowed",
        )
    text = str(data.get("text", "")).strip()
    note = str(data.get("note", "") or text or data.get("reason", "")).strip()

    def effect(wi: WorkItem) -> None:
        if transition == "request_extension":
            until = date.fromisoformat(str(data["until"]).strip())
            days = (until - last_day(wi.deadline)).days
            workitem.add_extension_request(wi, actor, limit=f"{days}d", reason=str(data["reason"]).strip())
        if transition in ("approve_extension", "reject_extension"):
            workitem.settle_extension(wi, actor, approve=transition == "approve_extension")
        if transition == "suspend":
            workitem.open_pause(wi, reason=note)
        if transition in ("resume", "cancel") and wi.pauses.filter(ended_at__isnull=True).exists():
            workitem.close_pause(wi)
        if transition == "remind":
            n = remind(item, wi, actor, str(data.get("note", "")).strip())
            from .documents import issue_reminder

            issue_reminder(item, actor, n, str(data.get("note", "")).strip())
        if transition == "sign" or (transition == "report" and actor.unit_id == wi.owner_unit_id):
            item.report_due, item.report_remind_at = report_schedule(
                item.cadence, timezone.now(), wi.region_path
            )
            item.save(update_fields=["report_due", "report_remind_at"])
        if transition in ("report", "request_completion"):
            report = ProgressReport.objects.create(
                item=item,
                unit=actor.unit,
                author=actor,
                text=text,
                is_completion=transition == "request_completion",
            )
            if files:
                evidence.store(report, list(files))
        if transition == "verify":
            item.quality = data["quality"]
            item.save(update_fields=["quality"])

    with transaction.atomic():
        wi = workitem.perform(
            item.work_item,
            transition,
            actor,
            note=note,
            expected_version=expected_version,
            data=data,
            effect=effect,
        )
        if transition in REVIEW_TELLS:
            _tell_review(item, wi, transition, note)
    item.refresh_from_db()
    item.work_item.refresh_from_db()
    return item


# 单位负责人审核: who hears of a completion request's review, by the transition that moved it (the liaison's
# request tells the head only when it went to the head; see workflow._completion_route).
REVIEW_TELLS = {
    "request_completion": (Role.UNIT_LEADER, "completion-review", gettext_noop("办结申请待您审核：%(t)s")),
    "return_completion": (
        Role.LIAISON,
        "completion-returned",
        gettext_noop("办结申请被单位负责人退回：%(t)s"),
    ),
}


def _tell_review(item: SupervisedItem, wi: WorkItem, transition: str, note: str) -> None:
    """Tell the owning unit's head that a completion request waits for approval, or its liaisons that the head
    sent it back (with the reason) — each only if the item is in their scope."""
    if transition == "request_completion" and wi.state != "unit_review":
        return  # no head: it went straight to the supervisor
    role, key, template = REVIEW_TELLS[transition]
    for user in User.objects.filter(unit_id=wi.owner_unit_id, role=role, is_active=True):
        if not scope.restrict(SupervisedItem, user).filter(pk=item.pk).exists():
            continue
        notify.notify(
            user,
            f"{key}:{wi.pk}:{wi.version}",
            _(template) % {"t": wi.title},
            note if transition == "return_completion" else "",
            url=reverse("supervision_item", args=[item.pk]),
            item=wi,
            channels=("sms",),
        )


def perform_generic(
    item: WorkItem, transition: str, actor: Any, *, note: str = "", expected_version=None, data=None
):
    """The generic work-item endpoint (/api/work-items/{id}/actions/…) hands supervision transitions here, so a
    report is stored and the head is told whichever way an action arrives."""
    flat = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in (data or {}).items()}
    if note:
        flat["note"] = note
    sup = SupervisedItem.objects.get(pk=item.pk)
    return act(sup, transition, actor, data=flat, expected_version=expected_version).work_item


@transaction.atomic
def decompose(actor: Any, parent: SupervisedItem, rows: list[dict[str, Any]]) -> list[SupervisedItem]:
    """分解: one decision into sub-items per unit in one go (the seeds: 99 tasks across 26 lead and 46 co-units).
    Each child inherits the parent's source, reference number, urgency and cadence; all or nothing."""
    if parent.work_item.closed_at is not None:
        raise TransitionRefused(_("已办结或撤销的事项不能再分解 (the item is closed)"), code="closed")
    if not rows:
        raise TransitionRefused(
            _("请至少填写一项子事项 (add at least one sub-item)"), status=400, code="empty"
        )
    return [
        issue(
            actor=actor,
            parent=parent,
            source=parent.source,
            reference_no=parent.reference_no,
            urgency=parent.urgency,
            cadence=parent.cadence,
            **row,
        )
        for row in rows
    ]


def report_schedule(
    cadence: str, start: datetime, region_path: str
) -> tuple[datetime | None, datetime | None]:
    """The next progress report's deadline on `cadence` from `start`, and when to remind the unit of it — both
    from the clock (the reminder is the cadence's warning boundary: half a working day before a daily report,
    one working day before a weekly or monthly one)."""
    from xiaoneng import clock

    limit = CADENCE_LIMITS.get(cadence)
    if not limit:
        return None, None
    try:
        info = clock.stage_at(
            clock_service.calendar(region_path),
            start,
            clock_service.parse_limit(limit),
            start,
            clock.StagePolicy(warning=REPORT_WARNING.get(cadence, "1wd")),
        )
    except clock.ClockError as exc:
        raise TransitionRefused(clock_service.clock_message(exc), status=400, code="clock_error") from None
    return info.deadline, info.warning_at


def flag_missed(now: datetime | None = None) -> dict[str, int]:
    """Report reminders before the report is due (催报), 签收超时 and 报送逾期: a missed report is overdue too
    (SPEC §1). Idempotent: each reminder is sent and each miss flagged once."""
    now = now or timezone.now()
    unsigned = SupervisedItem.objects.filter(
        work_item__state="issued", sign_deadline__lte=now, sign_flagged=False
    ).select_related("work_item")
    missed = (
        SupervisedItem.objects.filter(work_item__state="signed", report_due__lte=now)
        .exclude(report_flagged=models.F("report_due"))
        .select_related("work_item")
    )
    due_soon = (
        SupervisedItem.objects.filter(
            work_item__state="signed", report_remind_at__lte=now, report_due__gt=now
        )
        .exclude(report_reminded=models.F("report_due"))
        .select_related("work_item")
    )
    counts = {"unsigned": 0, "missed_reports": 0, "reminded": 0}
    for item in due_soon:
        with transaction.atomic():
            item.report_reminded = item.report_due
            item.save(update_fields=["report_reminded"])
            workitem.note_event(item.work_item, "report_reminder")
            due = timezone.localtime(item.report_due)
            _tell_liaisons(
                item,
                f"report-due:{item.pk}:{item.report_due:%Y%m%d%H%M}",
                _("请按时报送进展：%(t)s（报送时限 %(d)s）")
                % {"t": item.work_item.title, "d": f"{due:%Y-%m-%d %H:%M}"},
            )
        counts["reminded"] += 1
    for item in unsigned:
        with transaction.atomic():
            item.sign_flagged = True
            item.save(update_fields=["sign_flagged"])
            workitem.note_event(item.work_item, "sign_overdue")
            _tell_liaisons(
                item, f"sign-overdue:{item.pk}", _("签收超时：%(t)s") % {"t": item.work_item.title}
            )
        counts["unsigned"] += 1
    for item in missed:
        with transaction.atomic():
            item.report_flagged = item.report_due
            item.save(update_fields=["report_flagged"])
            workitem.note_event(item.work_item, "report_overdue")
            _tell_liaisons(
                item,
                f"report-overdue:{item.pk}:{item.report_due:%Y%m%d%H%M}",
                _("进展报送逾期：%(t)s") % {"t": item.work_item.title},
            )
        counts["missed_reports"] += 1
    return counts


def _tell_liaisons(item: SupervisedItem, key: str, title: str) -> None:
    for user in User.objects.filter(unit_id=item.work_item.owner_unit_id, role=Role.LIAISON, is_active=True):
        notify.notify(
            user,
            key,
            title,
            url=reverse("supervision_item", args=[item.pk]),
            item=item.work_item,
            channels=("sms",),
        )
