"""The shared work-item mechanism: kinds, and the service functions every capability uses.

A capability declares a `Kind` (its workflow, default limit, stage thresholds, hooks) and registers it. The
deadline sweep and calendar recomputation reach every registered kind through this registry; views and API
call `create`, `perform`, `pause`, `resume`, `request_extension`, `decide_extension` — one atomic function per
write, each with its timeline event and audit row, notifications only on commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import audit, clock_service
from .audit import AuditEventType
from .models import Extension, ExtensionStatus, Pause, Stage, TimelineEvent, WorkItem
from .workflow import TransitionRefused, Workflow


@dataclass(frozen=True)
class Kind:
    """A kind of work item (督办事项, 投诉, 办件 …)."""

    code: str
    label: Any
    workflow: Workflow
    default_limit: str
    warning: str = "1wd"  # 预警: this much left (a limit like "1wd" or a share like "20%")
    red_after: str = "3wd"  # 红牌: overdue by this much
    office_close: bool = False
    # Called after the stage of an item changes (the sweep, a recomputation): (item, old, new) -> None.
    on_stage_change: Callable[[WorkItem, str, str], None] | None = None
    # Recomputes the kind's open items after a calendar change: (queryset, actor) -> how many moved.
    # Default: recompute_items; a kind with millions of open items can hand in the clock's bulk path.
    recompute: Callable[[Any, Any], int] | None = None
    # The page of one item of this kind (the generic item page when None): (item) -> URL.
    detail_url: Callable[[WorkItem], str] | None = None
    # States in which the clock runs; by default every non-terminal state.
    clock_states: frozenset[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def clock_runs(self, state: str) -> bool:
        if self.clock_states is not None:
            return state in self.clock_states
        return state not in self.workflow.terminal


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in _kinds and _kinds[kind.code] is not kind:
        raise RuntimeError(f"work-item kind {kind.code} registered twice")
    _kinds[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    _kinds.pop(code, None)


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


def kind_of(item: WorkItem) -> Kind:
    try:
        return _kinds[item.kind]
    except KeyError:
        raise RuntimeError(f"work-item kind {item.kind!r} is not registered") from None


def _snapshot(item: WorkItem) -> dict[str, Any]:
    return {
        "state": item.state,
        "deadline": timezone.localtime(item.deadline).isoformat() if item.deadline else None,
        "stage": item.stage,
        "provisional": item.provisional,
    }


def _actor_name(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return gettext("系统")
    return actor.get_full_name() or actor.get_username()


def _timeline(
    item: WorkItem, actor: Any, action: str, before: dict, after: dict, note: str = ""
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        item=item,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=_actor_name(actor),
        action=action,
        before=before,
        after=after,
        note=note,
    )


def note_event(item: WorkItem, action: str, note: str = "", actor: Any = None) -> TimelineEvent:
    """An event on the timeline that is not a transition (a missed report, a reminder sent by the system …)."""
    return _timeline(item, actor, action, {}, {}, note)


def refresh_clock(item: WorkItem, now: datetime | None = None) -> None:
    """Deadline, provisional mark, stage and next check time from the clock (no save)."""
    kind = kind_of(item)
    now = now or timezone.now()
    if item.closed_at is not None or not kind.clock_runs(item.state):
        item.next_check_at = None
        if item.closed_at is not None:
            return
    info = clock_service.evaluate(item, kind, now)
    item.deadline = info.deadline
    item.provisional = info.provisional
    if kind.clock_runs(item.state):
        item.stage = info.stage
        item.next_check_at = info.next_change


@transaction.atomic
def create(
    *,
    kind: str,
    actor: Any,
    title: str,
    owner_unit: Any,
    owner_person: Any = None,
    started_at: datetime | None = None,
    limit: str | None = None,
    note: str = "",
) -> WorkItem:
    """Open a work item of `kind`: its deadline comes from the clock, its first state from the workflow."""
    k = _kinds[kind]
    limit = limit or k.default_limit
    clock_service.parse_limit(limit)  # a clear error before anything is written
    item = WorkItem(
        kind=kind,
        title=title,
        state=k.workflow.initial,
        owner_unit=owner_unit,
        owner_person=owner_person,
        region_path=owner_unit.region.path,
        created_by=actor if getattr(actor, "pk", None) else None,
        started_at=started_at or timezone.now(),
        limit=limit,
        office_close=k.office_close,
    )
    refresh_clock(item)
    item.save()
    _timeline(item, actor, "created", {}, _snapshot(item), note)
    audit.record(AuditEventType.WORKITEM_CREATED, actor=actor, obj=item, data={"kind": kind, "limit": limit})
    return item


def _lock(item: WorkItem, expected_version: int | None) -> WorkItem:
    fresh = WorkItem.objects.select_for_update().get(pk=item.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise TransitionRefused(
            gettext(
                "该事项已被他人修改，请刷新后重试 (the item was changed by someone else; reload and retry)"
            ),
            status=412,  # Precondition Failed: the version the client saw is not the current one
            code="version_conflict",
        )
    return fresh


@transaction.atomic
def perform(
    item: WorkItem,
    transition: str,
    actor: Any,
    *,
    note: str = "",
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
    effect: Callable[[WorkItem], None] | None = None,
) -> WorkItem:
    """Perform a declared transition: state + role + relation + guard checked by the workflow, optimistic
    concurrency by version, then the state change, the clock, the timeline and the audit trail."""
    item = _lock(item, expected_version)
    k = kind_of(item)
    t = k.workflow.require(item, transition, actor, data)
    before = _snapshot(item)
    if effect is not None:
        effect(item)
    if t.target is not None:
        item.state = t.target
    if item.state in k.workflow.terminal:
        item.closed_at = item.closed_at or timezone.now()
        item.next_check_at = None
    else:
        item.closed_at = None
        refresh_clock(item)
    item.version += 1
    item.save()
    _timeline(item, actor, transition, before, _snapshot(item), note)
    audit.record(
        AuditEventType.WORKITEM_TRANSITION,
        actor=actor,
        obj=item,
        data={"transition": transition, "from": before["state"], "to": item.state},
    )
    return item


def open_pause(item: WorkItem, *, reason: str, at: datetime | None = None) -> Pause:
    """The pause row that stops `item`'s clock from `at` (行政许可法 art. 45); refused when one is open or no
    reason is given. Kinds call this from a transition's effect; `pause` is the stand-alone form."""
    if item.pauses.filter(ended_at__isnull=True).exists():
        raise TransitionRefused(gettext("计时已经中止 (the clock is already paused)"), code="already_paused")
    if not reason.strip():
        raise TransitionRefused(
            gettext("请填写中止原因 (a reason is required)"), status=400, code="reason_required"
        )
    return Pause.objects.create(item=item, reason=reason, started_at=at or timezone.now())


def close_pause(item: WorkItem, *, at: datetime | None = None) -> Pause:
    """End `item`'s open pause at `at`: the clock runs again."""
    p = item.pauses.filter(ended_at__isnull=True).first()
    if p is None:
        raise TransitionRefused(gettext("计时没有中止 (the clock is not paused)"), code="not_paused")
    at = at or timezone.now()
    if at < p.started_at:
        raise TransitionRefused(
            gettext("恢复时间不能早于中止时间 (resumption before suspension)"),
            status=400,
            code="bad_interval",
        )
    p.ended_at = at
    p.save(update_fields=["ended_at"])
    return p


@transaction.atomic
def pause(item: WorkItem, actor: Any, *, reason: str, at: datetime | None = None) -> Pause:
    """Stop the clock (中止计时) from `at`: the pause's days or working hours do not count (行政许可法 art. 45)."""
    item = _lock(item, None)
    before = _snapshot(item)
    p = open_pause(item, reason=reason, at=at)
    refresh_clock(item)
    item.version += 1
    item.save()
    _timeline(item, actor, "paused", before, _snapshot(item), reason)
    return p


@transaction.atomic
def resume(item: WorkItem, actor: Any, *, at: datetime | None = None) -> Pause:
    """Restart the clock (恢复计时)."""
    item = _lock(item, None)
    before = _snapshot(item)
    p = close_pause(item, at=at)
    refresh_clock(item)
    item.version += 1
    item.save()
    _timeline(item, actor, "resumed", before, _snapshot(item))
    return p


def add_extension_request(item: WorkItem, actor: Any, *, limit: str, reason: str) -> Extension:
    """The extension row of a request (延期申请); refused when the limit is bad, the reason empty or one pending.
    Kinds call this from a transition's effect; `request_extension` is the stand-alone form."""
    clock_service.parse_limit(limit)
    if not reason.strip():
        raise TransitionRefused(
            gettext("请填写延期理由 (a reason is required)"), status=400, code="reason_required"
        )
    if item.extensions.filter(status=ExtensionStatus.REQUESTED).exists():
        raise TransitionRefused(
            gettext("已有待审批的延期申请 (an extension request is pending)"), code="pending"
        )
    return Extension.objects.create(item=item, limit=limit, reason=reason, requested_by=actor)


def settle_extension(item: WorkItem, actor: Any, *, approve: bool) -> Extension:
    """Decide the pending extension of `item` (延期审批); the caller refreshes the clock afterwards."""
    ext = item.extensions.filter(status=ExtensionStatus.REQUESTED).first()
    if ext is None:
        raise TransitionRefused(
            gettext("没有待审批的延期申请 (no pending extension request)"), code="decided"
        )
    ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    ext.decided_by, ext.decided_at = actor, timezone.now()
    ext.save()
    return ext


@transaction.atomic
def request_extension(item: WorkItem, actor: Any, *, limit: str, reason: str) -> Extension:
    """延期申请: adds `limit` once a supervisor approves it."""
    ext = add_extension_request(item, actor, limit=limit, reason=reason)
    _timeline(item, actor, "extension_requested", {}, {"limit": limit}, reason)
    return ext


@transaction.atomic
def decide_extension(ext: Extension, actor: Any, *, approve: bool, note: str = "") -> Extension:
    """延期审批: an approved extension moves the deadline; the decision is on the timeline either way."""
    item = _lock(ext.item, None)
    if ext.status != ExtensionStatus.REQUESTED:
        raise TransitionRefused(gettext("该申请已处理 (already decided)"), code="decided")
    before = _snapshot(item)
    ext = settle_extension(item, actor, approve=approve)
    if approve:
        refresh_clock(item)
        item.version += 1
        item.save()
    action = "extension_approved" if approve else "extension_rejected"
    _timeline(item, actor, action, before, _snapshot(item), note)
    return ext


def sweep(now: datetime | None = None, batch: int = 1000) -> dict[str, int]:
    """The deadline sweep: re-evaluate the stage of every open item whose next check time has passed.
    Idempotent and incremental (items whose next threshold is in the future are not read)."""
    now = now or timezone.now()
    changed = checked = 0
    last = 0
    while True:
        ids = list(
            WorkItem.objects.filter(closed_at__isnull=True, next_check_at__lte=now, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        last = ids[-1]
        for item in WorkItem.objects.filter(pk__in=ids):
            checked += 1
            if _sweep_one(item, now):
                changed += 1
    return {"checked": checked, "changed": changed}


@transaction.atomic
def _sweep_one(item: WorkItem, now: datetime) -> bool:
    old = item.stage
    refresh_clock(item, now)
    item.save(update_fields=["stage", "next_check_at", "deadline", "provisional"])
    if item.stage == old:
        return False
    TimelineEvent.objects.create(
        item=item,
        at=now,
        actor=None,
        actor_name=gettext("系统"),
        action="stage_changed",
        before={"stage": old},
        after={"stage": item.stage},
    )
    notify_stage(item)
    hook = kind_of(item).on_stage_change
    if hook is not None:
        hook(item, old, item.stage)
    return True


STAGE_MESSAGES = {
    Stage.WARNING: _("预警：%(title)s 将于 %(deadline)s 到期"),
    Stage.YELLOW: _("黄牌：%(title)s 已逾期（时限 %(deadline)s）"),
    Stage.RED: _("红牌：%(title)s 严重逾期（时限 %(deadline)s）"),
}


def item_url(item: WorkItem) -> str:
    """Where a person opens `item`: its kind's own page, or the generic one."""
    from django.urls import reverse

    kind = _kinds.get(item.kind)
    if kind is not None and kind.detail_url is not None:
        return kind.detail_url(item)
    return reverse("item_detail", args=[item.pk])


def notify_stage(item: WorkItem) -> None:
    """Tell the owning unit's liaisons when an item reaches warning, yellow or red (once per item and stage)."""
    from xiaoneng.org.models import User
    from xiaoneng.org.roles import Role

    from . import notify

    template = STAGE_MESSAGES.get(item.stage)
    if template is None:
        return
    deadline = timezone.localtime(item.deadline).strftime("%Y-%m-%d %H:%M") if item.deadline else ""
    title = str(template) % {"title": item.title, "deadline": deadline}
    for user in User.objects.filter(unit_id=item.owner_unit_id, role=Role.LIAISON, is_active=True):
        notify.notify(
            user,
            f"stage:{item.pk}:{item.stage}",
            title,
            url=item_url(item),
            item=item,
            channels=("sms", "dingtalk"),
        )


def recompute_for_year(year: int, *, region_path: str = "", actor: Any = None) -> int:
    """After `year`'s calendar changed (nationally, or for the region at `region_path`): recompute every open
    item whose counting range touches that year, kind by kind through its hook. Returns how many moved."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    # Items due up to two months before the year can still have their red boundary in it.
    first, after = datetime(year, 1, 1, tzinfo=tz) - timedelta(days=62), datetime(year + 1, 1, 1, tzinfo=tz)
    qs = WorkItem.objects.filter(closed_at__isnull=True, started_at__lt=after).filter(
        Q(deadline__gte=first)
        | Q(deadline__isnull=True)
        | Q(pauses__ended_at__isnull=True, pauses__isnull=False)
    )
    if region_path:
        qs = qs.filter(region_path__startswith=region_path)
    moved = 0
    for code, kind in kinds().items():
        hook = kind.recompute or recompute_items
        moved += hook(qs.filter(kind=code).distinct(), actor)
    audit.record(
        AuditEventType.DEADLINE_RECOMPUTED,
        actor=actor,
        data={"year": year, "region": region_path, "moved": moved},
    )
    return moved


def recompute_items(qs: Any, actor: Any = None, chunk: int = 1000) -> int:
    """The default recomputation hook: each item's deadline, provisional mark and stage again from the clock;
    the items that moved are saved in bulk with old → new on their timelines."""
    moved = 0
    now = timezone.now()
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk").prefetch_related("pauses", "extensions")[:chunk])
        if not batch:
            return moved
        last = batch[-1].pk
        changed, events = [], []
        for item in batch:
            before = _snapshot(item)
            refresh_clock(item, now)
            after = _snapshot(item)
            if after != before:
                changed.append(item)
                events.append(
                    TimelineEvent(
                        item=item,
                        at=now,
                        actor=actor if getattr(actor, "pk", None) else None,
                        actor_name=_actor_name(actor),
                        action="deadline_recomputed",
                        before=before,
                        after=after,
                        note=gettext("工作日历变更"),
                    )
                )
        with transaction.atomic():
            WorkItem.objects.bulk_update(changed, ["deadline", "provisional", "stage", "next_check_at"])
            TimelineEvent.objects.bulk_create(events)
        moved += len(changed)


TIMELINE_LABELS = {
    "created": _("创建"),
    "paused": _("中止计时"),
    "resumed": _("恢复计时"),
    "extension_requested": _("申请延期"),
    "extension_approved": _("批准延期"),
    "extension_rejected": _("不予延期"),
    "stage_changed": _("预警状态变化"),
    "deadline_recomputed": _("时限重算"),
    "sign_overdue": _("签收超时"),
    "report_overdue": _("进展报送逾期"),
    "report_reminder": _("催报（报送提醒）"),
}


def timeline_label(item: WorkItem, action: str) -> Any:
    """The timeline's label for an action: the workflow's transition label, or a mechanism event's."""
    k = _kinds.get(item.kind)
    if k is not None and action in k.workflow.transitions:
        return k.workflow.transitions[action].label
    return TIMELINE_LABELS.get(action, action)


STAGE_ORDER = [Stage.NORMAL, Stage.WARNING, Stage.YELLOW, Stage.RED]
