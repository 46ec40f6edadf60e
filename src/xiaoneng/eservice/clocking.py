"""The clock of cases, per batch: every boundary of every case whose clock inputs changed comes from the clock's
NumPy bulk path (``bulk_deadlines``), one call per boundary and calendar for the whole batch — the same rules and
answers as the scalar ``stage_at`` (tests/eservice/test_clock.py compares them).

A case's clock starts at acceptance (受理) on its promised limit; closed pauses (补正, special procedures —
行政许可法 art. 45) do not count. Boundaries, for a limit of n units of its own unit:

- deadline: the promised deadline (the first late instant);
- warning_at: the deadline of n − k units (k = the warning preset, "1": one unit left); from the start when
  n ≤ k; none for instant matters (n = 0);
- red_at: the deadline followed by the red preset ("3wd"), counted like an extension;
- early_at: the deadline of n − 1 units (提前办结: completed before its last unit began); none when n = 0.

For natural-day limits (``d``) the last unit is the natural day before the deadline (a deadline moved past rest
days by 民法典 art. 203 keeps its last day), so warning and early boundaries are the deadline less k days and
one day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from xiaoneng import clock
from xiaoneng.core import clock_service

from . import presets

DAY_S = 86_400


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def closed_pauses(pauses: Sequence[Sequence[Any]]) -> list[tuple[int, int]]:
    return [(int(p[0]), int(p[1])) for p in pauses if p[1] is not None]


def has_open_pause(pauses: Sequence[Sequence[Any]]) -> bool:
    return any(p[1] is None for p in pauses)


def _groups(cases: Sequence[Any]) -> dict[str, list[int]]:
    by_region: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_region[c.region_path].append(i)
    return by_region


def _bulk(cal, starts, amounts, units, pauses, *, ext=None):
    rows, ps, pe = [], [], []
    for i, plist in enumerate(pauses):
        for s, e in plist:
            rows.append(i)
            ps.append(s)
            pe.append(e)
    kwargs: dict[str, Any] = {}
    if rows:
        kwargs.update(pause_index=rows, pause_starts=ps, pause_ends=pe)
    if ext is not None:
        amount, unit = ext
        n = len(starts)
        kwargs.update(
            ext_index=np.arange(n), ext_amounts=np.full(n, amount), ext_units=np.full(n, unit, dtype=np.int8)
        )
    return clock.bulk_deadlines(cal, np.asarray(starts, dtype=np.int64), amounts, units, **kwargs)


def set_boundaries(cases: Sequence[Any]) -> None:
    """deadline, warning_at, red_at, early_at and provisional of accepted cases with no open pause, in bulk."""
    k = int(presets.get("warning_units"))
    red = clock.Limit.parse(presets.get("red_after"))
    for region_path, idx in _groups(cases).items():
        cal = clock_service.calendar(region_path)
        group = [cases[i] for i in idx]
        limits = [clock.Limit.parse(c.limit) for c in group]
        starts = [epoch(c.accepted_at) for c in group]
        amounts = np.array([lim.amount for lim in limits], dtype=np.int64)
        units = np.array([lim.unit.code for lim in limits], dtype=np.int8)
        pauses = [closed_pauses(c.pauses) for c in group]
        deadline, provisional = _bulk(cal, starts, amounts, units, pauses)
        red_at, _p = _bulk(cal, starts, amounts, units, pauses, ext=(red.amount, red.unit.code))
        early, _p = _bulk(cal, starts, np.maximum(amounts - 1, 0), units, pauses)
        if k == 1:
            warning = early
        else:
            warning, _p = _bulk(cal, starts, np.maximum(amounts - k, 0), units, pauses)
        days = clock.Unit.DAYS.code
        for j, c in enumerate(group):
            n = int(amounts[j])
            c.deadline = instant(deadline[j])
            c.provisional = bool(provisional[j])
            c.red_at = instant(red_at[j])
            if units[j] == days:
                # A natural-day limit that ends on a rest day runs to the next working day (民法典 art. 203); its
                # last unit is the natural day before the deadline, not the deadline of n − 1 days.
                early_s, warning_s = deadline[j] - DAY_S, deadline[j] - k * DAY_S
            else:
                early_s, warning_s = early[j], warning[j]
            c.early_at = instant(early_s) if n >= 1 else None
            if n == 0:
                c.warning_at = None
            elif n <= k:
                c.warning_at = c.accepted_at
            else:
                c.warning_at = instant(max(warning_s, epoch(c.accepted_at)))


def late_acceptance(cases: Sequence[Any]) -> list[bool]:
    """体外循环, the first sign: acceptance recorded after the late-acceptance preset ("5wd") counted from the
    application, supplementation before acceptance (补正) not counting."""
    limit = clock.Limit.parse(presets.get("late_acceptance"))
    out = [False] * len(cases)
    for region_path, idx in _groups(cases).items():
        cal = clock_service.calendar(region_path)
        group = [cases[i] for i in idx]
        starts = [epoch(c.applied_at) for c in group]
        pauses = [[(s, e) for s, e in closed_pauses(c.pauses) if s < epoch(c.accepted_at)] for c in group]
        due, _p = _bulk(cal, starts, limit.amount, limit.unit.code, pauses)
        for j, i in enumerate(idx):
            out[i] = epoch(cases[i].accepted_at) >= int(due[j])
    return out


def used_share(case: Any) -> float | None:
    """The share of the promised limit used at completion (elapsed ÷ limit, pauses excluded, in the limit's own
    measure); over 1 when late; None for instant matters (a limit of 0)."""
    limit = clock.Limit.parse(case.limit)
    if limit.amount == 0:
        return None
    cal = clock_service.calendar(case.region_path)
    info = clock.stage_at(
        cal,
        case.accepted_at,
        limit,
        case.completed_at,
        clock.StagePolicy(),
        pauses=[(instant(s), instant(e)) for s, e in closed_pauses(case.pauses)],
    )
    total = info.elapsed + info.remaining
    return info.elapsed / total if total > timedelta(0) else None


def recompute_open_cases(year: int, region_path: str = "", chunk: int = 5000) -> int:
    """After `year`'s working calendar changed (nationally, or for a region): the boundaries of every open,
    running case whose counting may touch that year again from the clock's bulk path, a chunk at a time; the
    sweep then finds each case at its new next boundary. Returns how many cases moved."""
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from . import store
    from .ingest import CASE_COLUMNS, CaseRow
    from .models import Case

    tz = ZoneInfo("Asia/Shanghai")
    # Cases due up to two months before the year can still have their red boundary in it (as core does).
    first = datetime(year, 1, 1, tzinfo=tz) - timedelta(days=62)
    after = datetime(year + 1, 1, 1, tzinfo=tz)
    qs = Case.objects.filter(
        completed_at__isnull=True,
        accepted_at__isnull=False,
        accepted_at__lt=after,
        paused=False,
        deadline__gte=first,
    )
    if region_path:
        qs = qs.filter(region_path__startswith=region_path)
    moved, last = 0, 0
    now = timezone.now()
    fields = ["deadline", "warning_at", "red_at", "early_at", "provisional", "next_check_at"]
    while True:
        with transaction.atomic():
            rows = [
                CaseRow.from_db(r)
                for r in qs.filter(pk__gt=last).order_by("pk").values_list(*CASE_COLUMNS)[:chunk]
            ]
            if not rows:
                return moved
            last = rows[-1].pk
            before = [(r.deadline, r.warning_at, r.red_at, r.provisional) for r in rows]
            set_boundaries(rows)
            changed = []
            for r, old in zip(rows, before, strict=True):
                if (r.deadline, r.warning_at, r.red_at, r.provisional) != old:
                    r.next_check_at = now  # the sweep re-reads it at once and moves it on
                    changed.append(r)
            store.copy_update(Case, changed, fields)
            moved += len(changed)
