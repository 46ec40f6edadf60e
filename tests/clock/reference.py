"""A deliberately naive reference for the clock: steps day by day and walks office intervals one by one,
with aware datetimes and nothing precomputed. Slow and obviously right; the engine must agree with it.

Its idea of a working day comes from ``chinese-calendar`` for 2004–2026 (the package the shipped data was
built from) and from the statutory rule for later years.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

from xiaoneng.clock.statutory import statutory_holidays

SH = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
OFFICE = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))


@cache
def is_workday(day: date) -> bool:
    if 2004 <= day.year <= 2026:
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day not in statutory_holidays(day.year)


def local_date(t: datetime) -> date:
    return t.astimezone(SH).date()


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SH)


@dataclass(frozen=True)
class RefLimit:
    amount: int
    unit: str  # wd, d, wh, h


def paused_days(pauses: Sequence[tuple[datetime, datetime]]) -> set[date]:
    """Days from the suspension day up to the day before resumption, for every pause."""
    days: set[date] = set()
    for start, end in pauses:
        day = local_date(start)
        while day < local_date(end):
            days.add(day)
            day += ONE_DAY
    return days


def merged_spans(pauses: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sorted(p for p in pauses if p[1] > p[0]):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _minus(
    piece: tuple[datetime, datetime], spans: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    start, end = piece
    for a, b in spans:
        if b <= start or a >= end:
            continue
        if a > start:
            yield (start, a)
        start = max(start, b)
        if start >= end:
            return
    if start < end:
        yield (start, end)


def counted_pieces(
    unit: str, t0: datetime, spans: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """Counted time from ``t0`` on, piece by piece: office intervals (wh) or all time (h), minus pauses."""
    if unit == "h":
        far = t0 + timedelta(days=365 * 30)
        yield from _minus((t0, far), spans)
        return
    day = local_date(t0)
    while True:
        if is_workday(day):
            for open_, close in OFFICE:
                a = datetime.combine(day, open_, tzinfo=SH)
                b = datetime.combine(day, close, tzinfo=SH)
                a = max(a, t0)
                if a < b:
                    yield from _minus((a, b), spans)
        day += ONE_DAY


def hours_end(unit: str, t0: datetime, amount: int, spans: list[tuple[datetime, datetime]]) -> datetime:
    left = timedelta(hours=amount)
    if not left:
        return t0
    for a, b in counted_pieces(unit, t0, spans):
        if left <= b - a:
            return a + left
        left -= b - a
    raise AssertionError("unreachable")


def day_counted(unit: str, day: date, paused: set[date]) -> bool:
    return day not in paused and (unit == "d" or is_workday(day))


def deadline(
    start: datetime,
    limits: Sequence[RefLimit],
    pauses: Sequence[tuple[datetime, datetime]] = (),
    office_close: bool = False,
) -> tuple[datetime, date]:
    """(deadline instant, its last day), stepping one day at a time."""
    paused = paused_days(pauses)
    spans = merged_spans(pauses)
    day = local_date(start)
    t = start
    for limit in limits:
        n = limit.amount
        if limit.unit == "wd":
            if n == 0:
                while not day_counted("wd", day, paused):
                    day += ONE_DAY
            else:
                counted = 0
                while counted < n:
                    day += ONE_DAY
                    if day_counted("wd", day, paused):
                        counted += 1
            t = midnight(day + ONE_DAY)
        elif limit.unit == "d":
            counted = 0
            while counted < n:
                day += ONE_DAY
                if day not in paused:
                    counted += 1
            while not day_counted("wd", day, paused):  # 民法典 art. 203
                day += ONE_DAY
            t = midnight(day + ONE_DAY)
        else:
            t = hours_end(limit.unit, t, n, spans)
            day = local_date(t - timedelta(microseconds=1))
    if office_close and limits[-1].unit in ("wd", "d"):
        t = datetime.combine(day, OFFICE[-1][1], tzinfo=SH)
    return t, day


def measure(
    unit: str, start: datetime, t: datetime, pauses: Sequence[tuple[datetime, datetime]]
) -> timedelta:
    """Counted time in ``unit`` from ``start`` to ``t`` (days weigh 24 h each, the start day excluded)."""
    if t <= start:
        return timedelta(0)
    if unit in ("wd", "d"):
        paused = paused_days(pauses)
        total = timedelta(0)
        day = local_date(start) + ONE_DAY
        while midnight(day) < t:
            if day_counted(unit, day, paused):
                total += min(t, midnight(day + ONE_DAY)) - midnight(day)
            day += ONE_DAY
        return total
    total = timedelta(0)
    for a, b in counted_pieces(unit, start, merged_spans(pauses)):
        if a >= t:
            break
        total += min(b, t) - a
    return total


def at(text: str) -> datetime:
    """``at("2026-02-13 10:00")`` → that wall time in Asia/Shanghai (aware)."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)
