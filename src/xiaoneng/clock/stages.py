"""Stages (预警 / 黄牌 / 红牌): where an item stands against its deadline at a given instant.

A kind of work configures a :class:`StagePolicy`:

- ``warning`` (预警): the item enters *warning* when what is left is at most this much — a limit in any
  unit (``"1wd"``: one working day left) or a fraction of the limit (``"20%"`` / ``0.2``);
- *yellow* (黄牌): overdue, from the deadline instant on (``now >= deadline``);
- ``red`` (红牌): overdue by at least this much (``"3wd"``), counted after the deadline in that unit exactly
  like an extension would be. ("Red after repeated yellow cards" is a count the Django side keeps.)

``stage_at`` answers the stage at ``now``, the time elapsed and remaining (in the limit's own measure), and
``next_change``: the instant of the next stage change, so a periodic sweep only revisits items whose
``next_change`` has come. "Done" is not the clock's business.

Pauses are taken as known at ``now``: a pause that starts after ``now`` is ignored, one still running at
``now`` is counted as ending at ``now``. While paused the stage is frozen: ``paused`` is True and
``next_change`` is None — revisit the item when the pause ends (an event the caller sees).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .calendars import Calendar
from .engine import (
    DAY_US,
    Pause,
    PauseLike,
    as_limits,
    chain_end,
    check_in_range,
    from_local_us,
    instant_at,
    is_provisional,
    measure,
    out_of_range,
    prepare_pauses,
    to_local_us,
    unit_us,
)
from .errors import ClockError
from .limits import Limit, Unit

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class Stage(StrEnum):
    """正常 normal → 预警 warning → 黄牌 yellow (overdue) → 红牌 red (overdue beyond the threshold)."""

    NORMAL = "normal"
    WARNING = "warning"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label_zh(self) -> str:
        return {"normal": "正常", "warning": "预警", "yellow": "黄牌", "red": "红牌"}[self.value]


Threshold = Limit | float


def parse_threshold(value: Limit | float | str | None, what: str) -> Threshold | None:
    """``"1wd"`` → ``Limit``; ``"20%"``, ``"0.2"`` or ``0.2`` → the fraction 0.2; ``None`` → none."""
    if value is None or isinstance(value, Limit):
        return value
    if isinstance(value, bool):
        raise ClockError(f"无法识别的{what}阈值 {value!r}", f"cannot read the {what} threshold {value!r}")
    if isinstance(value, int | float):
        fraction = float(value)
    else:
        match = _PERCENT.match(value)
        if match:
            fraction = float(match.group(1)) / 100
        else:
            try:
                fraction = float(value)
            except ValueError:
                return Limit.parse(value)
    if not 0.0 <= fraction <= 1.0 or math.isnan(fraction):
        raise ClockError(
            f"{what}比例须在 0 到 1（0% 到 100%）之间，而不是 {value!r}",
            f"a {what} fraction must be between 0 and 1 (0% and 100%), not {value!r}",
        )
    return fraction


@dataclass(frozen=True, slots=True)
class StagePolicy:
    """Thresholds for one kind of work. ``StagePolicy(warning="1wd", red="3wd")``,
    ``StagePolicy(warning="20%")``. ``warning`` may be a limit left or a fraction of the limit left;
    ``red`` is how far past the deadline an item turns red (a limit; fractions are not accepted)."""

    warning: Threshold | None = None
    red: Limit | None = None

    def __init__(self, warning: Limit | float | str | None = None, red: Limit | str | None = None) -> None:
        object.__setattr__(self, "warning", parse_threshold(warning, "预警 warning"))
        red_limit = None if red is None else Limit.parse(red)
        object.__setattr__(self, "red", red_limit)

    def to_data(self) -> dict[str, str | None]:
        """``{"warning": "1wd" | "20%" | None, "red": "3wd" | None}`` (what the constructor accepts)."""
        warning = self.warning
        if isinstance(warning, float):
            warning_text: str | None = f"{warning * 100:g}%"
        else:
            warning_text = None if warning is None else str(warning)
        return {"warning": warning_text, "red": None if self.red is None else str(self.red)}


@dataclass(frozen=True, slots=True)
class StageInfo:
    """The answer of :func:`stage_at`.

    ``elapsed`` and ``remaining`` are measured in the limit's unit: for ``wd``/``d`` one counted day weighs
    24 h (``remaining == timedelta(days=2)`` reads "2 working days left"), for ``wh`` working time, for
    ``h`` time. ``remaining`` goes negative once overdue (by the counted time past the deadline).
    ``warning_at`` / ``deadline`` / ``red_at`` are the stage boundaries; ``next_change`` is the first of
    them after ``now`` (None when red, or while paused).
    """

    stage: Stage
    elapsed: timedelta
    remaining: timedelta
    next_change: datetime | None
    deadline: datetime
    provisional: bool
    paused: bool
    unit: Unit
    warning_at: datetime | None
    red_at: datetime | None
    # The deadline alone depends on a year without a notice (``provisional`` also covers the red boundary).
    deadline_provisional: bool = False

    @property
    def overdue(self) -> bool:
        return self.stage in (Stage.YELLOW, Stage.RED)

    @property
    def remaining_units(self) -> float:
        """``remaining`` as a number of the limit's units (days for ``wd``/``d``, hours for ``wh``/``h``)."""
        return self.remaining / timedelta(microseconds=unit_us(self.unit))

    @property
    def elapsed_units(self) -> float:
        return self.elapsed / timedelta(microseconds=unit_us(self.unit))


def stage_at(
    cal: Calendar,
    start: datetime,
    limit: Limit | str,
    now: datetime,
    policy: StagePolicy = StagePolicy(),  # noqa: B008 — immutable
    pauses: Iterable[PauseLike] = (),
    extensions: Iterable[Limit | str] = (),
    office_close: bool = False,
) -> StageInfo:
    """The stage of an item at ``now``, with elapsed/remaining time and the next stage change.

    Stage boundaries (``remaining`` measured in the threshold's unit):
    warning when ``remaining ≤ policy.warning`` (or ≤ the fraction × the whole limit),
    yellow when ``now ≥ deadline``, red when ``now ≥ deadline + policy.red``.
    """
    ix = cal.index
    limits = as_limits(limit, extensions)
    s0 = to_local_us(ix, start, "开始时间 start")
    check_in_range(s0, "开始时间 start")
    now_us = to_local_us(ix, now, "当前时间 now")
    check_in_range(now_us, "当前时间 now")

    known: list[Pause] = []
    paused = False
    for pause in pauses:
        if not isinstance(pause, Pause):
            pause = Pause(*pause)
        if pause.start > now:
            continue  # not begun at `now`
        if pause.end is None or pause.end > now:
            paused = True
            pause = Pause(pause.start, now)
        known.append(pause)
    days, spans, _ = prepare_pauses(ix, known, now_us)

    unit = limits[0].unit
    try:
        t_end, final = chain_end(ix, s0, limits, days, spans, office_close)
        provisional = is_provisional(ix, limits, s0 // DAY_US, final)
        deadline_provisional = provisional
        total = measure(ix, unit, s0, t_end, days, spans)
        elapsed = measure(ix, unit, s0, now_us, days, spans)

        warning = policy.warning
        if warning is None:
            w_at: int | None = None
        elif isinstance(warning, Limit):
            u = warning.unit
            w_at = instant_at(
                ix, u, s0, measure(ix, u, s0, t_end, days, spans) - warning.amount * unit_us(u), days, spans
            )
        else:
            w_at = instant_at(ix, unit, s0, total - math.floor(total * warning), days, spans)
        if w_at is not None and w_at > t_end:
            w_at = t_end

        red = policy.red
        if red is None:
            r_at: int | None = None
        elif red.amount == 0:
            r_at = t_end
        else:
            u = red.unit
            r_at = instant_at(
                ix, u, s0, measure(ix, u, s0, t_end, days, spans) + red.amount * unit_us(u), days, spans
            )
            provisional = provisional or is_provisional(ix, (red,), s0 // DAY_US, (r_at - 1) // DAY_US)
    except IndexError:
        raise out_of_range() from None

    if r_at is not None and now_us >= r_at:
        stage = Stage.RED
    elif now_us >= t_end:
        stage = Stage.YELLOW
    elif w_at is not None and now_us >= w_at:
        stage = Stage.WARNING
    else:
        stage = Stage.NORMAL

    next_change: int | None = None
    if not paused:
        for boundary in (w_at, t_end, r_at):
            if boundary is not None and boundary > now_us:
                next_change = boundary
                break

    return StageInfo(
        stage=stage,
        elapsed=timedelta(microseconds=elapsed),
        remaining=timedelta(microseconds=total - elapsed),
        next_change=None if next_change is None else from_local_us(ix, next_change),
        deadline=from_local_us(ix, t_end),
        provisional=provisional,
        paused=paused,
        unit=unit,
        warning_at=None if w_at is None else from_local_us(ix, w_at),
        red_at=None if r_at is None else from_local_us(ix, r_at),
        deadline_provisional=deadline_provisional,
    )
