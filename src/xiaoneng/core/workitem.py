"""The shared work-item mechanism: kinds, and the service functions every capability uses.

A capability declares a `Kind` (its workflow, default limit, stage thresholds, hooks) and registers it. The
deadline sweep and calendar recomputation reach every registered kind through this registry; views and API
call `create`, `perform`, `pause`, `resume`, `request_extension`, `decide_extension` — one atomic function per
write, each with its timeline event and audit row, notifications only on commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import audit, clock_service
from .audit import AuditEventType
from .models import Extension, ExtensionStatus, Pause, Recusal, Stage, TimelineEvent, WorkItem
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
    # Called by the sweep after the stage of an item changed, in the sweep's transaction: (item, old, new) -> None.
    on_stage_change: Callable[[WorkItem, str, str], None] | None = None
    # The same for a whole sweep batch, for a kind with many items: ([(item, old, new), …]) -> None. When set,
    # the sweep calls it instead of on_stage_change.
    on_stage_changes: Callable[[list[tuple[WorkItem, str, str]]], None] | None = None
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


def refresh_clock(
    item: WorkItem,
    now: datetime | None = None,
    *,
    pauses: Sequence[tuple[datetime, datetime | None]] | None = None,
    extensions: Sequence[str] | None = None,
) -> clock_service.Evaluation | None:
    """Deadline, provisional mark, stage and next check time from the clock (no save). Returns the clock's
    evaluation (None for a closed item). `pauses` and `extensions`: see `clock_service.evaluate`."""
    kind = kind_of(item)
    now = now or timezone.now()
    if item.closed_at is not None or not kind.clock_runs(item.state):
        item.next_check_at = None
        if item.closed_at is not None:
            return None
    info = clock_service.evaluate(item, kind, now, pauses=pauses, extensions=extensions)
    item.deadline = info.deadline
    item.provisional = info.provisional
    if kind.clock_runs(item.state):
        item.stage = info.stage
        item.next_check_at = info.next_change
    return info


def _refresh(item: WorkItem, now: datetime | None = None) -> None:
    """`refresh_clock` for the writes other than the sweep (create, a transition, a pause, an extension, a
    calendar change). When their refresh raises the stage (an item issued late, a calendar change …), the item is
    due at once, so the next sweep announces the new stage like any other: notifications, cards."""
    old = item.stage
    now = now or timezone.now()
    refresh_clock(item, now)
    if item.closed_at is None and STAGE_RANK[item.stage] > STAGE_RANK[old]:
        item.next_check_at = now


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
    _refresh(item)
    item.save()
    _timeline(item, actor, "created", {}, _snapshot(item), note)
    audit.record(AuditEventType.WORKITEM_CREATED, actor=actor, obj=item, data={"kind": kind, "limit": limit})
    return item


@transaction.atomic
def create_many(
    kind: str, specs: Sequence[dict[str, Any]], *, now: datetime | None = None, append_audit: bool = True
) -> list[WorkItem]:
    """`create` for many items of one kind at once (the public complaint intake's batches), in the caller's
    transaction: each item exactly as `create` makes it — the workflow's first state, deadline, stage and next
    check from the same clock (`_refresh` at `now`), a 'created' timeline event, a WORKITEM_CREATED audit row —
    but the items and their events are inserted in one statement each and the audit chain is appended once
    (`audit.record_many`). Returns the items, with their ids, in the order of `specs`.

    A spec holds `create`'s arguments: title, owner_unit (its region loaded), and optionally owner_person,
    started_at, limit, note, actor, and ip — the audit row's client address (None: the current request's).
    `append_audit=False` leaves the audit rows to the caller (`created_audit_events`), who appends them as the
    last write of its transaction: the chain's head is then locked only until the commit that follows."""
    from . import bulk

    k = _kinds[kind]
    now = now or timezone.now()
    items = []
    for spec in specs:
        limit = spec.get("limit") or k.default_limit
        clock_service.parse_limit(limit)
        actor = spec.get("actor")
        item = WorkItem(
            kind=kind,
            title=spec["title"],
            state=k.workflow.initial,
            owner_unit=spec["owner_unit"],
            owner_person=spec.get("owner_person"),
            region_path=spec["owner_unit"].region.path,
            created_by=actor if getattr(actor, "pk", None) else None,
            started_at=spec.get("started_at") or now,
            limit=limit,
            office_close=k.office_close,
        )
        _refresh(item, now)
        items.append(item)
    bulk.insert(WorkItem, items)
    bulk.insert(
        TimelineEvent,
        [
            {
                "item_id": item.pk,
                "at": now,
                "actor_id": item.created_by_id,
                "actor_name": _actor_name(spec.get("actor")),
                "action": "created",
                "before": {},
                "after": _snapshot(item),
                "note": spec.get("note", ""),
            }
            for item, spec in zip(items, specs, strict=True)
        ],
    )
    if append_audit:
        audit.record_many(created_audit_events(items, specs))
    return items


def created_audit_events(items: Sequence[WorkItem], specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The WORKITEM_CREATED audit rows of items made by `create_many` (for `audit.record_many`)."""
    return [
        {
            "event_type": AuditEventType.WORKITEM_CREATED,
            "actor": spec.get("actor"),
            "obj": item,
            "data": {"kind": item.kind, "limit": item.limit},
            "ip": spec.get("ip"),
        }
        for item, spec in zip(items, specs, strict=True)
    ]


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
    target = k.workflow.target_of(t, item)
    if effect is not None:
        effect(item)
    if target is not None:
        item.state = target
    if item.state in k.workflow.terminal:
        item.closed_at = item.closed_at or timezone.now()
        item.next_check_at = None
    else:
        item.closed_at = None
        _refresh(item)
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
    _refresh(item)
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
    _refresh(item)
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
        _refresh(item)
        item.version += 1
        item.save()
    action = "extension_approved" if approve else "extension_rejected"
    _timeline(item, actor, action, before, _snapshot(item), note)
    return ext


SWEEP_BATCH = 500  # items per transaction of the sweep
CLOCK_FIELDS = ["deadline", "provisional", "stage", "next_check_at"]
CARD_STAGES = (Stage.YELLOW, Stage.RED)
# What the sweep tells the owning unit about (the stages with a message), and the cards a stage leaves.
ANNOUNCED = (Stage.WARNING, Stage.YELLOW, Stage.RED)


@dataclass
class _Swept:
    """One item of a sweep batch: its stage before, and the clock's evaluation now."""

    item: WorkItem
    old_stage: str
    evaluation: clock_service.Evaluation


def sweep(
    now: datetime | None = None, batch: int = SWEEP_BATCH, workers: int | None = None
) -> dict[str, int]:
    """The deadline sweep (scheduled every minute): re-evaluate every open item whose next check time has
    passed, through `refresh_clock` like every other write, in batches of `batch`, one transaction each.

    - Incremental: the walk follows the index workitem_due in (next_check_at, id) order, so items whose next
      threshold lies in the future are never read; a minute with nothing due costs one query.
    - Bulk: per batch the items are read in one query, which also says which of them have pauses or approved
      extensions (those are then read in one query each), the changed clock fields written in one statement,
      the 'stage_changed' timeline events, the cards and the inbox messages (with their deliveries) inserted in
      bulk, the owning units' liaisons read once; the number of statements per batch does not grow with the
      batch.
    - Idempotent: an evaluated item's next check moves past `now`, so a second sweep at the same instant finds
      nothing. On PostgreSQL each batch is claimed FOR NO KEY UPDATE SKIP LOCKED: two sweeps running at once
      share the items and never evaluate one twice (SQLite serialises writers by its IMMEDIATE transactions).
      Cards and messages are unique per item and stage besides.

    An item whose stage rose tells its unit's liaisons (warning, yellow, red: `notify_stages`), leaves its card on
    the unit's record (yellow, red: `record_cards`), gets a timeline event and runs its kind's hook; each batch
    that changed stages appends one summary row to the audit trail.

    On PostgreSQL `workers` walks (settings.SWEEP_WORKERS) run at once when there is something to do, sharing
    the items through SKIP LOCKED; elsewhere, and inside a caller's transaction, one."""
    from django.conf import settings

    now = now or timezone.now()
    workers = workers or getattr(settings, "SWEEP_WORKERS", 1)
    # In a caller's transaction (a test, a command) other connections would not see its writes: one walk.
    if (
        workers <= 1
        or not connection.features.has_select_for_update_skip_locked
        or connection.in_atomic_block
    ):
        return _walk(now, batch)
    if not _due(now, None).exists():  # the usual minute: one query, no thread started
        return {"checked": 0, "changed": 0}
    return _walk_in_parallel(now, batch, workers)


def _walk_in_parallel(now: datetime, batch: int, workers: int) -> dict[str, int]:
    """`workers` walks at once, each in a thread with its own connection, sharing the due items through SKIP
    LOCKED. While one waits on the database another evaluates its batch, so the client's work and the server's
    overlap."""
    import threading

    from django.db import connections

    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def walk() -> None:
        try:
            results.append(_walk(now, batch))
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own

    threads = [threading.Thread(target=walk, name=f"sweep-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return {key: sum(r[key] for r in results) for key in ("checked", "changed")}


def _walk(now: datetime, batch: int) -> dict[str, int]:
    """One walk over the due items, a batch per transaction."""
    checked = changed = 0
    after: tuple[datetime, int] | None = None
    while True:
        due = _due(now, after)
        if not due.exists():  # the usual minute: one query, no transaction
            break
        with transaction.atomic():
            items = _claim(due, batch)
            if not items:  # what is left is being swept by another process right now
                break
            last = items[-1]
            assert last.next_check_at is not None
            after = (last.next_check_at, last.pk)
            changed += _sweep_batch(items, now)
            checked += len(items)
    return {"checked": checked, "changed": changed}


def _due(now: datetime, after: tuple[datetime, int] | None) -> Any:
    """Open items whose next check has come, after the keyset `after` (next_check_at, id)."""
    qs = WorkItem.objects.filter(closed_at__isnull=True, next_check_at__isnull=False, next_check_at__lte=now)
    if after is not None:
        # (next_check_at, id) > after; the first condition bounds the index range, the second breaks ties.
        qs = qs.filter(next_check_at__gte=after[0]).filter(Q(next_check_at__gt=after[0]) | Q(pk__gt=after[1]))
    return qs


def _claim(due: Any, batch: int) -> list[WorkItem]:
    """The next `batch` due items, locked for this transaction; rows another transaction holds (another sweep, a
    person acting on the item) are skipped, to be swept next time."""
    qs = due.order_by("next_check_at", "pk").annotate(
        # Most items have neither: their pauses and extensions are then not asked for at all.
        sweep_paused=Exists(Pause.objects.filter(item=OuterRef("pk"))),
        sweep_extended=Exists(
            Extension.objects.filter(item=OuterRef("pk"), status=ExtensionStatus.APPROVED).filter(
                Q(decided_at__isnull=True) | Q(decided_at__gte=OuterRef("started_at"))
            )
        ),
    )
    if connection.features.has_select_for_update_skip_locked:
        # NO KEY UPDATE: excludes another sweep and a person's transition (FOR UPDATE), yet lets rows that
        # refer to the item (a report, a message) be inserted meanwhile.
        qs = qs.select_for_update(skip_locked=True, no_key=True, of=("self",))
    return list(qs[:batch])


def _clock_inputs(items: list[WorkItem]) -> tuple[dict[int, list], dict[int, list[str]]]:
    """The pauses ((start, end) pairs) and approved extension limits (in request order) of a claimed batch: a
    query each, for the items that have any."""
    pauses: dict[int, list] = defaultdict(list)
    paused = [item.pk for item in items if getattr(item, "sweep_paused", True)]
    if paused:
        for item_id, start, end in (
            Pause.objects.filter(item_id__in=paused)
            .order_by("item_id", "started_at", "id")
            .values_list("item_id", "started_at", "ended_at")
        ):
            pauses[item_id].append((start, end))
    extensions: dict[int, list[str]] = defaultdict(list)
    extended = [item.pk for item in items if getattr(item, "sweep_extended", True)]
    if extended:
        for item_id, limit in (
            # This phase's: approved since the clock last started (as clock_service.evaluate reads them).
            Extension.objects.filter(item_id__in=extended, status=ExtensionStatus.APPROVED)
            .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=F("item__started_at")))
            .order_by("item_id", "requested_at", "id")
            .values_list("item_id", "limit")
        ):
            extensions[item_id].append(limit)
    return pauses, extensions


def _sweep_batch(items: list[WorkItem], now: datetime) -> int:
    """Evaluate one claimed batch and write what follows from it, in the caller's transaction. Returns how many
    items changed stage."""
    import logging

    from . import bulk

    pauses, extensions = _clock_inputs(items)
    swept: list[_Swept] = []
    dirty: list[WorkItem] = []
    for item in items:
        before = (item.deadline, item.provisional, item.stage, item.next_check_at)
        try:
            evaluation = refresh_clock(
                item, now, pauses=pauses.get(item.pk, ()), extensions=extensions.get(item.pk, ())
            )
        except (RuntimeError, TransitionRefused) as exc:  # an unregistered kind, a limit the clock refuses
            logging.getLogger(__name__).error("deadline sweep: work item %s not evaluated: %s", item.pk, exc)
            continue
        if (item.deadline, item.provisional, item.stage, item.next_check_at) != before:
            dirty.append(item)
        if evaluation is not None:
            swept.append(_Swept(item, before[2], evaluation))
    bulk.update(WorkItem, dirty, CLOCK_FIELDS)
    moved = [s for s in swept if s.item.stage != s.old_stage]
    system = gettext("系统")
    bulk.insert(
        TimelineEvent,
        [
            {
                "item_id": s.item.pk,
                "at": now,
                "actor_name": system,
                "action": "stage_changed",
                "before": {"stage": s.old_stage},
                "after": {"stage": s.item.stage},
            }
            for s in moved
        ],
    )
    cards = record_cards(swept, now)
    notify_stages([s.item for s in swept if s.item.stage in ANNOUNCED])
    _run_hooks(moved)
    if moved or cards:
        audit.record(
            AuditEventType.STAGES_SWEPT,
            actor_name="deadline_sweep",
            data={
                "at": now.isoformat(),
                "checked": len(items),
                "changed": len(moved),
                "to": dict(Counter(s.item.stage for s in moved)),
                "cards": dict(Counter(c["stage"] for c in cards)),
            },
        )
    return len(moved)


def record_cards(swept: list[_Swept], now: datetime) -> list[dict[str, Any]]:
    """The cards these items have earned and do not hold yet (黄牌 when overdue, 红牌 when seriously overdue —
    both when an item went straight to red), on the record of the unit that owns the item now. Each is dated
    when the clock put the item in that stage; its year is that date's. Once per item and colour: a card the
    item holds already is skipped by the unique constraint. Returns the cards written (as dicts)."""
    from . import bulk
    from .models import CardRecord

    years: dict[datetime, int] = {}
    cards = []
    for s in swept:
        item = s.item
        if item.stage not in CARD_STAGES:
            continue
        for colour in CARD_STAGES[: CARD_STAGES.index(item.stage) + 1]:
            reached = s.evaluation.deadline if colour == Stage.YELLOW else s.evaluation.red_at
            at = min(reached or now, now)
            if at not in years:
                years[at] = timezone.localtime(at).year
            cards.append(
                {
                    "work_item_id": item.pk,
                    "unit_id": item.owner_unit_id,
                    "region_path": item.region_path,
                    "kind": item.kind,
                    "stage": str(colour),
                    "at": at,
                    "year": years[at],
                }
            )
    return bulk.insert(CardRecord, cards, skip_existing=("work_item", "stage"))


def _run_hooks(moved: list[_Swept]) -> None:
    """Each kind's reaction to its items' stage changes: the bulk hook once per batch where the kind has one,
    else the per-item hook."""
    by_kind: dict[str, list[tuple[WorkItem, str, str]]] = defaultdict(list)
    for s in moved:
        by_kind[s.item.kind].append((s.item, s.old_stage, s.item.stage))
    for code, changes in by_kind.items():
        kind = _kinds[code]
        if kind.on_stage_changes is not None:
            kind.on_stage_changes(changes)
        elif kind.on_stage_change is not None:
            for item, old, new in changes:
                kind.on_stage_change(item, old, new)


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


_URL_PROBE = 918273645546372819  # an id no item has, to find where a kind's page puts the item's id


def _item_urls() -> Callable[[WorkItem], str]:
    """`item_url` for many items: resolving a URL costs ~50 µs, so for a kind whose page is a pure function of
    the item's id the URL is resolved once per kind (for a probe id) and the id put in place of the probe. The
    shortcut is taken only after it reproduced the first item's own URL; otherwise each URL is resolved."""
    makers: dict[str, Callable[[WorkItem], str]] = {}

    def url(item: WorkItem) -> str:
        maker = makers.get(item.kind)
        if maker is not None:
            return maker(item)
        exact = item_url(item)
        probe = str(_URL_PROBE)
        try:
            template = item_url(WorkItem(pk=_URL_PROBE, kind=item.kind))
        except Exception:  # a page that needs more of the item than its id
            template = ""
        if template.count(probe) == 1 and template.replace(probe, str(item.pk)) == exact:
            makers[item.kind] = lambda it: template.replace(probe, str(it.pk))
        else:
            makers[item.kind] = item_url
        return exact

    return url


def notify_stage(item: WorkItem) -> None:
    """Tell the owning unit's liaisons when an item reaches warning, yellow or red (once per item and stage)."""
    notify_stages([item])


def notify_stages(items: list[WorkItem]) -> int:
    """`notify_stage` for a batch: the owning units' active liaisons read in one query, one inbox message per
    liaison, item and stage (key `stage:<id>:<stage>`, so a message already sent is never sent again), and an
    SMS and a 政务钉钉 delivery each, written in bulk (`notify.notify_many`). Returns how many messages were new."""
    from xiaoneng.org.models import User
    from xiaoneng.org.roles import Role

    from . import notify

    items = [i for i in items if i.stage in STAGE_MESSAGES]
    if not items:
        return 0
    liaisons: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for unit_id, user_id, person_id in User.objects.filter(
        unit_id__in={i.owner_unit_id for i in items}, role=Role.LIAISON, is_active=True
    ).values_list("unit_id", "pk", "person_id"):
        liaisons[unit_id].append((user_id, person_id))
    # 回避: a liaison the item names personally (the official a complaint is about) is never told about it, as
    # the work-item scope rule never shows it to him; a kind that narrows its items further (an accountability
    # case) is asked per recipient.
    recused: dict[int, set[int]] = defaultdict(set)
    for item_id, person_id in Recusal.objects.filter(
        work_item_id__in=[i.pk for i in items], person_id__isnull=False
    ).values_list("work_item_id", "person_id"):
        recused[item_id].add(person_id)
    narrowed_kinds = {code for code, k in _kinds.items() if k.extra.get("visible") is not None}
    visible = _visible_among([i for i in items if i.kind in narrowed_kinds], liaisons)
    messages = []
    urls = _item_urls()
    templates = {stage: str(message) for stage, message in STAGE_MESSAGES.items()}
    labels: dict[datetime, str] = {}  # a batch shares a few deadlines (a midnight's items: one)
    for item in items:
        recipients = liaisons.get(item.owner_unit_id)
        if not recipients:
            continue
        deadline = ""
        if item.deadline is not None:
            deadline = labels.get(item.deadline) or labels.setdefault(
                item.deadline, timezone.localtime(item.deadline).strftime("%Y-%m-%d %H:%M")
            )
        title = templates[item.stage] % {"title": item.title, "deadline": deadline}
        url = urls(item)
        key = f"stage:{item.pk}:{item.stage}"
        for user_id, person_id in recipients:
            if person_id is not None and person_id in recused.get(item.pk, ()):
                continue
            if item.kind in narrowed_kinds and (item.pk, user_id) not in visible:
                continue
            messages.append(notify.Message(user_id, key, title, url=url, item_id=item.pk))
    return len(notify.notify_many(messages, channels=("sms", "dingtalk")))


def _visible_among(
    items: list[WorkItem], liaisons: dict[int, list[tuple[int, int | None]]]
) -> set[tuple[int, int]]:
    """(item id, user id) for each item of a narrowing kind that a liaison of its unit may open — the scope
    layer's answer, one query per such liaison for all of the batch's items (there are few of them)."""
    from xiaoneng.org.models import User

    from . import scope

    if not items:
        return set()
    ids = {uid for i in items for uid, _person in liaisons.get(i.owner_unit_id, ())}
    pks = [i.pk for i in items]
    out: set[tuple[int, int]] = set()
    for user in User.objects.filter(pk__in=ids):
        out.update(
            (pk, user.pk)
            for pk in scope.restrict(WorkItem, user).filter(pk__in=pks).values_list("pk", flat=True)
        )
    return out


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
            _refresh(item, now)
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
STAGE_RANK = {str(stage): rank for rank, stage in enumerate(STAGE_ORDER)}
