"""Deadlines (期限届满): the scalar path of the clock.

Rules (docs/clock.md has worked examples):

- ``Nwd`` working days (行政许可法 art. 82). The start day does not count (民法典 art. 201: 开始的当日不计入，
  自下一日开始计算); the limit ends at 24:00 of the Nth working day after the start day (art. 203: 期间的最后
  一日的截止时间为二十四时). A start on a rest day therefore counts from the next working day: that day is
  day 1.
- ``Nd`` natural days: ends at 24:00 of the Nth day after the start day; when that day is a rest day
  (weekend or holiday) the limit ends on the first working day after it (民法典 art. 203: 期间的最后一日是
  法定休假日的，以法定休假日结束的次日为期间的最后一日).
- ``Nwh`` working hours: N hours of office time on working days, counted from the start instant
  (民法典 art. 201 para. 2: 按照小时计算期间的，自法律规定或者当事人约定的时间开始计算).
- ``Nh`` plain hours: exactly N hours after the start.

Convention: a deadline is an *instant* with an exclusive end — "24:00 of 2026-02-27" is the instant
2026-02-28T00:00:00+08:00, and an item is overdue when ``now >= deadline.at``. ``Deadline.last_day`` and
``Deadline.label()`` give the reading for people ("2026-02-27 24:00", "2026年2月27日24时").
``office_close=True`` ends a day-counted limit at the close of office hours of its last day instead (民法典
art. 203: 有业务时间的，停止业务活动的时间为截止时间).

Pauses (行政许可法 art. 45: 听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审所需时间不计算在期限内; 补正):
for day-counted limits the days from the suspension day up to the day before resumption do not count (the
resumption day counts; suspending and resuming on one day removes nothing); for hour-counted limits the exact
overlap with working time (``wh``) or with time (``h``) does not count. Pauses may overlap; they are merged.

Extensions (延期): each approved extension is counted after the previous deadline in its own unit, as if the
previous deadline's last day were its start day (days) or the previous deadline its start instant (hours).
``20wd`` + ``10wd`` therefore equals ``30wd``, pauses included.

Internally instants are integers: microseconds since 2000-01-01 00:00 *local* time ("local µs"); days are
indices since 2000-01-01.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from .calendars import N_DAYS, ORDINAL0, Calendar, CalendarIndex
from .errors import ClockError, OpenPauseError
from .limits import Limit, Unit

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
_EPOCH0 = datetime(2000, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_LAST_US = (N_DAYS - 1) * DAY_US
_LAST_DAY = N_DAYS - 1
_END_US = N_DAYS * DAY_US  # 24:00 of 2099-12-31, the latest deadline
_LAST_START_US = (N_DAYS - 1) * DAY_US  # a start must leave at least its next day inside the range
_WD = Unit.WORKDAYS
_D = Unit.DAYS
_WH = Unit.WORK_HOURS
_H = Unit.HOURS

DayRanges = Sequence[tuple[int, int]]
"""Merged pause days, half-open ``[suspension day, resumption day)`` day indices, sorted, disjoint."""
Spans = Sequence[tuple[int, int]]
"""Merged pause instants, half-open ``[start, end)`` in local µs, sorted, disjoint."""


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause (暂停计时 / 中止): from ``start`` to ``end``; ``end=None`` while it is still running.

    Typical reasons (行政许可法 art. 45 and practice): 补正 supplementation, 听证 hearing, 招标 tender, 拍卖
    auction, 检验 inspection, 检测 testing, 检疫 quarantine, 鉴定 appraisal, 专家评审 expert review.
    """

    start: datetime
    end: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        require_aware(self.start, "暂停开始 pause start")
        if self.end is not None:
            require_aware(self.end, "暂停结束 pause end")
            if self.end < self.start:
                raise ClockError(
                    f"暂停结束时间 {self.end.isoformat()} 早于开始时间 {self.start.isoformat()}",
                    f"the pause ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})",
                )

    @property
    def is_open(self) -> bool:
        return self.end is None


PauseLike = Pause | tuple[datetime, datetime | None]


class Deadline(NamedTuple):
    """When a limit runs out: ``at`` (exclusive end, in the calendar's time zone) and whether it is
    ``provisional`` (its counting range touches a year without a State Council notice). ``paused`` is True
    when an open pause was counted as ending at ``now``. (A named tuple: immutable and cheap to make.)"""

    at: datetime
    provisional: bool
    paused: bool = False

    @property
    def last_day(self) -> date:
        """The last day of the limit (the day whose 24:00 — or office close — ``at`` is)."""
        return (self.at - _ONE_US).date()

    def label(self) -> str:
        """``"2026-02-27 24:00"`` for an end of day, ``"2026-02-27 17:30"`` otherwise (local time)."""
        if self.at.hour == 0 and self.at.minute == 0 and self.at.second == 0 and self.at.microsecond == 0:
            return f"{self.last_day.isoformat()} 24:00"
        return self.at.strftime("%Y-%m-%d %H:%M")

    def label_zh(self) -> str:
        """``"2026年2月27日24时"`` / ``"2026年2月27日17时30分"``; ``（暂定）`` appended when provisional."""
        at = self.at
        if at.hour == 0 and at.minute == 0 and at.second == 0 and at.microsecond == 0:
            day, hour, minute = self.last_day, 24, 0
        else:
            day, hour, minute = at.date(), at.hour, at.minute
        text = f"{day.year}年{day.month}月{day.day}日{hour}时" + (f"{minute}分" if minute else "")
        return text + ("（暂定）" if self.provisional else "")


_new_deadline = tuple.__new__  # Deadline(...) without the named tuple's Python-level __new__


def require_aware(value: object, what: str) -> datetime:
    """Refuse anything but a timezone-aware ``datetime`` (a naive one has no defined instant)."""
    if not isinstance(value, datetime):
        zh, en = what.split(" ", 1)
        raise ClockError(f"{zh}必须是 datetime，而不是 {value!r}", f"{en} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        zh, en = what.split(" ", 1)
        raise ClockError(
            f"{zh} {value.isoformat()} 没有时区（请带上 +08:00 这样的偏移）",
            f"{en} {value.isoformat()} is naive (give a UTC offset such as +08:00)",
        )
    return value


# -- conversions ------------------------------------------------------------------------------------------


def to_local_us(ix: CalendarIndex, value: datetime, what: str = "时间 instant") -> int:
    """Local µs since 2000-01-01 00:00 (local) for an aware datetime."""
    if value.__class__ is datetime and value.tzinfo is ix.tz:
        # Already in the calendar's zone (fixed offset over the range): subtracting a datetime with the same
        # tzinfo is plain wall-clock arithmetic, the fastest exact conversion.
        delta = value - ix.base
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if value.__class__ is datetime and value.tzinfo is UTC:  # what Django hands out (USE_TZ = True)
        delta = value - _EPOCH0
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds + ix.offset_us
    require_aware(value, what)
    try:
        return (value - _EPOCH0) // _ONE_US + ix.offset_us
    except TypeError:  # a naive datetime subclass or a tzinfo whose utcoffset() is None
        require_aware(value, what)
        raise


def from_local_us(ix: CalendarIndex, local_us: int) -> datetime:
    """The aware datetime (in the calendar's zone) of a local µs instant; midnights come from a cache."""
    day, rest = divmod(local_us, DAY_US)
    midnight = ix.midnights.get(day)
    if midnight is None:
        midnight = ix.midnights[day] = datetime.fromtimestamp(day * 86_400 + ix.epoch_shift_s, ix.tz)
    # Wall-clock arithmetic on an aware datetime; exact because the zone's offset is fixed over the range.
    return midnight + timedelta(microseconds=rest) if rest else midnight


def check_in_range(local_us: int, what: str) -> None:
    if not DAY_US <= local_us < _LAST_START_US:
        zh, en = what.split(" ", 1)
        raise ClockError(
            f"{zh}超出日历支持范围（2000-01-02 至 2099-12-30）",
            f"{en} is outside the calendar's range (2000-01-02 to 2099-12-30)",
        )


def out_of_range() -> ClockError:
    return ClockError(
        "期限超出日历支持范围（至 2099-12-31）", "the deadline falls past the calendar's range (2099-12-31)"
    )


# -- pauses -----------------------------------------------------------------------------------------------


def prepare_pauses(
    ix: CalendarIndex,
    pauses: Iterable[PauseLike],
    now_us: int | None,
    want_days: bool = True,
    want_spans: bool = True,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], bool]:
    """Merged pause day ranges and instant spans (only those wanted). Open pauses end at ``now_us``.

    Day ranges are ``[suspension day, resumption day)``; nothing outside the calendar's range can move a
    deadline inside it, so everything is clipped to the range.
    """
    day_list: list[tuple[int, int]] = []
    span_list: list[tuple[int, int]] = []
    has_open = False
    tz = ix.tz
    for pause in pauses:
        if pause.__class__ is not Pause:
            pause = Pause(*pause)  # type: ignore[misc]
        start_dt = pause.start
        end_dt = pause.end
        if not want_spans and end_dt is not None and start_dt.tzinfo is tz and end_dt.tzinfo is tz:
            # Day ranges only, already in the calendar's zone: the local dates are all we need.
            a = start_dt.toordinal() - ORDINAL0
            b = end_dt.toordinal() - ORDINAL0
            if b > a:
                if a < 0 or b > _LAST_DAY:
                    a = min(max(a, 0), _LAST_DAY)
                    b = min(max(b, 0), _LAST_DAY)
                    if b <= a:
                        continue
                day_list.append((a, b))
            continue
        start = to_local_us(ix, start_dt, "暂停开始 pause start")
        if end_dt is None:
            if now_us is None:
                raise OpenPauseError(
                    "暂停尚未结束，期限未定；请传入 now，按此刻恢复计算",
                    "a pause is still open, so the deadline is not known; pass now= to compute it as if "
                    "the pause ended now",
                )
            has_open = True
            end = now_us if now_us > start else start
        else:
            end = to_local_us(ix, end_dt, "暂停结束 pause end")
        if start < 0 or end > _LAST_US:
            start = min(max(start, 0), _LAST_US)
            end = min(max(end, 0), _LAST_US)
        if want_days and end // DAY_US > start // DAY_US:
            day_list.append((start // DAY_US, end // DAY_US))
        if want_spans and end > start:
            span_list.append((start, end))
    if len(day_list) > 1:
        day_list.sort()
        day_list = merge(day_list)
    if len(span_list) > 1:
        span_list.sort()
        span_list = merge(span_list)
    return day_list, span_list, has_open


def merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge sorted half-open intervals that overlap or touch."""
    merged: list[tuple[int, int]] = []
    for a, b in intervals:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


# -- days -------------------------------------------------------------------------------------------------


def nth_workday(ix: CalendarIndex, k0: int, n: int, days: DayRanges) -> int:
    """The ``n``-th (≥ 1) working day after day ``k0`` that is not paused."""
    count = ix.count_before_l
    workdays = ix.workdays_l
    rank = count[k0 + 1] + n - 1
    for a, b in days:
        if b <= k0 + 1:
            continue
        if a <= k0:
            a = k0 + 1
        if workdays[rank] < a:
            break
        rank += count[b] - count[a]
    return workdays[rank]


def nth_day(k0: int, n: int, days: DayRanges) -> int:
    """The ``n``-th (≥ 1) day after day ``k0`` that is not paused."""
    day = k0 + n
    for a, b in days:
        if b <= k0 + 1:
            continue
        if a <= k0:
            a = k0 + 1
        if day < a:
            break
        day += b - a
    return day


def roll_to_workday(ix: CalendarIndex, day: int, days: DayRanges) -> int:
    """The first working day on or after ``day`` that is not paused (民法典 art. 203)."""
    count = ix.count_before_l
    workdays = ix.workdays_l
    day = workdays[count[day]]
    for a, b in days:
        if day < a:
            break
        if day < b:
            day = workdays[count[b]]
    return day


def last_day(ix: CalendarIndex, unit: Unit, k0: int, n: int, days: DayRanges) -> int:
    """The last day of an ``n``-day limit (``wd`` or ``d``) started on day ``k0``."""
    if unit is _WD:
        return nth_workday(ix, k0, n, days) if n else nth_workday(ix, k0 - 1, 1, days)
    day = nth_day(k0, n, days) if n else k0
    return roll_to_workday(ix, day, days)


def counted_days(ix: CalendarIndex, workdays_only: bool, a: int, b: int, days: DayRanges) -> int:
    """Counted days in ``[a, b)``: working (for ``wd``) and not paused."""
    if b <= a:
        return 0
    count = ix.count_before_l
    n = count[b] - count[a] if workdays_only else b - a
    for pa, pb in days:
        lo = pa if pa > a else a
        hi = pb if pb < b else b
        if lo < hi:
            n -= count[hi] - count[lo] if workdays_only else hi - lo
    return n


def _day_counted(ix: CalendarIndex, workdays_only: bool, k: int, days: DayRanges) -> bool:
    if workdays_only and not ix.work_l[k]:
        return False
    return not any(a <= k < b for a, b in days)


# -- hours ------------------------------------------------------------------------------------------------


def work_measure(ix: CalendarIndex, t: int) -> int:
    """Working µs from 2000-01-01 00:00 local up to instant ``t``."""
    k, sod = divmod(t, DAY_US)
    m: int = ix.count_before_l[k] * ix.day_work_us
    if ix.work_l[k]:
        for start, end in ix.office_us:
            if sod <= start:
                break
            m += (sod if sod < end else end) - start
    return m


def work_instant(ix: CalendarIndex, x: int) -> int:
    """The earliest instant at which :func:`work_measure` reaches ``x`` (> 0)."""
    rank, within = divmod(x - 1, ix.day_work_us)
    within += 1
    day: int = ix.workdays_l[rank]
    for start, end in ix.office_us:
        if within <= end - start:
            return day * DAY_US + start + within
        within -= end - start
    raise AssertionError("unreachable: within ≤ the day's working time")


def _measure_h(ix: CalendarIndex, wh: bool, t: int) -> int:
    return work_measure(ix, t) if wh else t


def _instant_h(ix: CalendarIndex, wh: bool, x: int) -> int:
    return work_instant(ix, x) if wh else x


def hours_end(ix: CalendarIndex, wh: bool, s0: int, amount_us: int, spans: Spans) -> int:
    """The earliest instant by which ``amount_us`` (> 0) of counted time has passed since ``s0``."""
    target = _measure_h(ix, wh, s0) + amount_us
    for a, b in spans:
        if b <= s0:
            continue
        if a < s0:
            a = s0
        if _instant_h(ix, wh, target) <= a:
            break
        target += _measure_h(ix, wh, b) - _measure_h(ix, wh, a)
    return _instant_h(ix, wh, target)


# -- generic measure (elapsed time in a unit) -------------------------------------------------------------


def measure(ix: CalendarIndex, unit: Unit, s0: int, t: int, days: DayRanges, spans: Spans) -> int:
    """Counted time in ``unit`` from the start ``s0`` up to ``t``, in µs.

    For ``wd``/``d`` each counted day after the start day weighs 24 h (so 3 working days = 72 h); for
    ``wh`` it is working time, for ``h`` time — pauses excluded.
    """
    if unit.is_days:
        k0 = s0 // DAY_US
        k, sod = divmod(t, DAY_US)
        if k <= k0:
            return 0
        workdays_only = unit is _WD
        m = counted_days(ix, workdays_only, k0 + 1, k, days) * DAY_US
        if _day_counted(ix, workdays_only, k, days):
            m += sod
        return m
    if t <= s0:
        return 0
    wh = unit is _WH
    m = _measure_h(ix, wh, t) - _measure_h(ix, wh, s0)
    for a, b in spans:
        if a >= t:
            break
        lo = a if a > s0 else s0
        hi = b if b < t else t
        if lo < hi:
            m -= _measure_h(ix, wh, hi) - _measure_h(ix, wh, lo)
    return m


def instant_at(ix: CalendarIndex, unit: Unit, s0: int, x: int, days: DayRanges, spans: Spans) -> int:
    """The earliest instant at which :func:`measure` reaches ``x``; the start ``s0`` when ``x`` ≤ 0."""
    if x <= 0:
        return s0
    if unit.is_days:
        n, rem = divmod(x - 1, DAY_US)
        k0 = s0 // DAY_US
        day = nth_workday(ix, k0, n + 1, days) if unit is _WD else nth_day(k0, n + 1, days)
        return day * DAY_US + rem + 1
    return hours_end(ix, unit is _WH, s0, x, spans)


def unit_us(unit: Unit) -> int:
    return DAY_US if unit.is_days else HOUR_US


# -- the chain: a limit and its extensions ----------------------------------------------------------------


def chain_end(
    ix: CalendarIndex, s0: int, limits: Sequence[Limit], days: DayRanges, spans: Spans, office_close: bool
) -> tuple[int, int]:
    """(deadline in local µs, its last day) for a limit followed by its extensions."""
    day = s0 // DAY_US
    t = s0
    for limit in limits:
        unit = limit.unit
        if unit is _WD or unit is _D:
            day = last_day(ix, unit, day, limit.amount, days)
            t = (day + 1) * DAY_US
        else:
            if limit.amount:
                t = hours_end(ix, unit is _WH, t, limit.amount * HOUR_US, spans)
            day = (t - 1) // DAY_US
    if office_close and limits[-1].unit.is_days:
        t = day * DAY_US + ix.close_us
    return t, day


def is_provisional(ix: CalendarIndex, limits: Sequence[Limit], first_day: int, final_day: int) -> bool:
    """Provisional: a day from the start day through the last day lies in a year without a notice
    (plain-hour limits never are: they do not look at the calendar)."""
    unknown = ix.unknown_before_l
    if final_day < first_day:  # 0wh/0h started at midnight end "yesterday": the start day still counts
        final_day = first_day
    if unknown[final_day + 1] - unknown[first_day] <= 0:
        return False
    return any(limit.unit is not _H for limit in limits)


def as_limits(limit: Limit | str, extensions: Iterable[Limit | str]) -> tuple[Limit, ...]:
    first = limit if isinstance(limit, Limit) else Limit.parse(limit)
    if not extensions:
        return (first,)
    return (first, *(Limit.parse(e) for e in extensions))


# -- the public function ----------------------------------------------------------------------------------


def deadline(
    cal: Calendar,
    start: datetime,
    limit: Limit | str,
    pauses: Iterable[PauseLike] = (),
    extensions: Iterable[Limit | str] = (),
    office_close: bool = False,
    *,
    now: datetime | None = None,
) -> Deadline:
    """When ``limit`` (plus approved ``extensions``), started at ``start``, runs out.

    ``start`` and every pause instant must be timezone-aware. An open pause (``end=None``) needs ``now``:
    the deadline is then computed as if the pause ended at ``now`` and ``Deadline.paused`` is True; without
    ``now`` it raises :class:`OpenPauseError` — while paused the deadline is not known.
    ``office_close=True`` ends a day-counted limit at the close of office hours of its last day.
    """
    # This is the hot path of every list page and sweep: the single-limit case is written out (same
    # logic as chain_end/is_provisional, which the extension case uses).
    ix = cal._index or cal.index  # the property costs a call
    if limit.__class__ is not Limit:
        limit = Limit.parse(limit)
    if start.__class__ is datetime and start.tzinfo is ix.tz:  # to_local_us, inlined
        delta = start - ix.base
        s0 = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    else:
        s0 = to_local_us(ix, start, "开始时间 start")
    if not DAY_US <= s0 < _LAST_START_US:
        check_in_range(s0, "开始时间 start")
    paused = False
    days: DayRanges = ()
    spans: Spans = ()
    now_us = None if now is None else to_local_us(ix, now, "当前时间 now")
    if pauses:
        if extensions:
            days, spans, paused = prepare_pauses(ix, pauses, now_us)
        else:
            days_unit = limit.unit is _WD or limit.unit is _D
            days, spans, paused = prepare_pauses(ix, pauses, now_us, days_unit, not days_unit)
    k0 = s0 // DAY_US
    try:
        if extensions:
            limits = as_limits(limit, extensions)
            t, day = chain_end(ix, s0, limits, days, spans, office_close)
            provisional = is_provisional(ix, limits, k0, day)
        else:
            unit = limit.unit
            n = limit.amount
            if unit is _WD:
                if days:
                    day = nth_workday(ix, k0, n, days) if n else nth_workday(ix, k0 - 1, 1, days)
                else:  # nth_workday without pauses, inlined
                    day = ix.workdays_l[ix.count_before_l[k0 + 1] + n - 1 if n else ix.count_before_l[k0]]
                t = day * DAY_US + ix.close_us if office_close else (day + 1) * DAY_US
            elif unit is _D:
                day = roll_to_workday(ix, nth_day(k0, n, days) if n else k0, days)
                t = day * DAY_US + ix.close_us if office_close else (day + 1) * DAY_US
            elif unit is _H and not spans:
                t = s0 + n * HOUR_US
                day = (t - 1) // DAY_US
            else:
                t = hours_end(ix, unit is _WH, s0, n * HOUR_US, spans) if n else s0
                day = (t - 1) // DAY_US
            unknown = ix.unknown_before_l
            provisional = unit is not _H and unknown[(day if day > k0 else k0) + 1] - unknown[k0] > 0
    except IndexError:
        raise out_of_range() from None
    if t > _END_US:  # plain hours never index the calendar: check the range here
        raise out_of_range()
    at = ix.midnights.get(t // DAY_US) if t % DAY_US == 0 else None
    return _new_deadline(Deadline, (at or from_local_us(ix, t), provisional, paused))
