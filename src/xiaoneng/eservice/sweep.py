"""The case sweep (scheduled every minute): raises the stage of open cases as their boundaries pass, and turns
every condition found on a case (overdue, seriously overdue, a fee above the standard, suspected off-system
handling, a 差评) into its alert, once. A case entering its warning stage (the last unit of its limit) is no alert —
there is nothing to explain yet — but its department's liaisons hear of it (预警提醒, one message a day).

It reads only cases whose next check has come (partial index case_due), in batches, one transaction each, claimed
FOR UPDATE SKIP LOCKED on PostgreSQL so two sweeps share the work. The stage is a comparison with the boundaries
the intake stored (no clock call here); cases are updated in one statement per batch; alerts are work items,
created one by one (they are few: a case raises at most a handful in its life).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import alerts, store
from .ingest import Counts, write_counts
from .models import AlertType, Case, CaseAlert, Flag

BATCH = 500
RANK = {"normal": 0, "warning": 1, "yellow": 2, "red": 3}
# The alert each condition raises (OVERDUE and OVERDUE_RED together: one red alert).
ALERT_OF_FLAG = [
    (Flag.FEE, AlertType.FEE),
    (Flag.LATE_ACCEPTANCE, AlertType.LATE_ACCEPTANCE),
    (Flag.QUICK_COMPLETION, AlertType.QUICK_COMPLETION),
    (Flag.BAD_RATING, AlertType.BAD_RATING),
]
COUNTER = {
    AlertType.OVERDUE: "yellow",
    AlertType.OVERDUE_RED: "red",
    AlertType.FEE: "fee_alerts",
    AlertType.LATE_ACCEPTANCE: "offsystem_alerts",
    AlertType.QUICK_COMPLETION: "offsystem_alerts",
}


def stage_of(case: Case, now: datetime) -> str:
    """Where an open, running case stands at `now` against its boundaries."""
    if case.red_at is not None and now >= case.red_at:
        return "red"
    if case.deadline is not None and now >= case.deadline:
        return "yellow"
    if case.warning_at is not None and now >= case.warning_at:
        return "warning"
    return "normal"


def next_boundary(case: Case, now: datetime) -> datetime | None:
    for boundary in (case.warning_at, case.deadline, case.red_at):
        if boundary is not None and boundary > now:
            return boundary
    return None


def sweep(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Sweep every due case (see the module's docstring). Idempotent: a swept case's next check moves past
    `now` (or to none), and alerts are unique per case and type."""
    now = now or timezone.now()
    checked = raised = 0
    after: tuple[datetime, int] | None = None
    while True:
        due = Case.objects.filter(next_check_at__isnull=False, next_check_at__lte=now)
        if after is not None:
            due = due.filter(next_check_at__gte=after[0]).filter(
                Q(next_check_at__gt=after[0]) | Q(pk__gt=after[1])
            )
        if not due.exists():
            break
        with transaction.atomic():
            qs = due.order_by("next_check_at", "pk").select_related("matter")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            cases = list(qs[:batch])
            if not cases:
                break
            after = (cases[-1].next_check_at, cases[-1].pk)
            raised += _sweep_batch(cases, now)
            checked += len(cases)
    return {"checked": checked, "raised": raised}


def _sweep_batch(cases: list[Case], now: datetime) -> int:
    counts = Counts()
    wanted: list[tuple[Case, str]] = []
    warned: dict[int, list[Case]] = {}
    for c in cases:
        if c.completed_at is None and not c.paused and c.deadline is not None:
            stage = stage_of(c, now)
            if RANK[stage] > RANK.get(c.stage, 0):
                if stage == "warning":
                    warned.setdefault(c.department_id, []).append(c)
                c.stage = stage
            if c.stage in ("yellow", "red"):
                c.flags |= Flag.OVERDUE
            if c.stage == "red":
                c.flags |= Flag.OVERDUE_RED
            c.next_check_at = next_boundary(c, now)
        else:
            if c.completed_at is not None and c.on_time is False:
                c.stage = "red" if c.flags & Flag.OVERDUE_RED else "yellow"
            c.next_check_at = None
        new = c.flags & ~c.alerted
        if new & Flag.OVERDUE_RED:
            wanted.append((c, AlertType.OVERDUE_RED))
        elif new & Flag.OVERDUE:
            wanted.append((c, AlertType.OVERDUE))
        for flag, alert_type in ALERT_OF_FLAG:
            if new & flag:
                wanted.append((c, alert_type))
        c.alerted |= new
    existing = alerts.by_case(
        list(
            CaseAlert.objects.filter(case__in=[c for c, _t in wanted]).select_related("work_item")
            if wanted
            else []
        )
    )
    units = alerts.departments({c.department_id for c, _t in wanted})
    made = 0
    for c, alert_type in wanted:
        have = existing.get(c.pk, {})
        if alert_type in have:
            continue
        if alert_type == AlertType.OVERDUE_RED and AlertType.OVERDUE in have:
            alerts.supersede(have[AlertType.OVERDUE])
        alerts.raise_alert(c, alert_type, units[c.department_id], now)
        made += 1
        if alert_type in COUNTER:
            counts.add(now, c, COUNTER[alert_type])
    store.update(Case, cases, ["stage", "next_check_at", "flags", "alerted"])
    write_counts(counts)
    if warned:
        alerts.warn_departments(warned, now)
    return made
