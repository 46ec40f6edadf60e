"""Working-day calendars (工作日历): weekends, the State Council's notices, local holidays, office hours.

A :class:`Calendar` is immutable and built from plain data, so the Django side can keep versions of it in
its database and hand one in: ``Calendar.from_data(years, office_hours=..., tz=...)``. ``to_data()`` gives
the same plain data back (``Calendar.from_data(**cal.to_data()) == cal``).

What a day is, in order of precedence:

1. a region's local holiday / working day (民族自治地方, 全国年节及纪念日放假办法 art. 4), from ``overlay``;
2. the State Council's notice (国务院办公厅关于 Y 年部分节假日安排的通知): 放假 days off and 调休上班 weekend
   days that are working days;
3. for a year without a notice, the statutory holidays of the law itself (:mod:`.statutory`);
4. otherwise Monday–Friday work, Saturday and Sunday rest.

Each calendar lazily precomputes, once, arrays over every day 2000-01-01 … 2099-12-31: the working-day
ordinals, a prefix count of working days and of days in unknown years. "The Nth working day after d" is
then one index lookup; this is what makes the scalar and the bulk paths fast.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from .errors import ClockError
from .statutory import FIRST_YEAR, LAST_YEAR, statutory_holidays

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_OFFICE_HOURS: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:30", "17:30"))

FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)
ORDINAL0 = FIRST_DAY.toordinal()
N_DAYS = LAST_DAY.toordinal() - ORDINAL0 + 1
EPOCH0_S = 946_684_800  # 2000-01-01T00:00:00Z in Unix seconds
DAY_S = 86_400

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

DateLike = date | str
YearData = Mapping[str, Any]  # {"holidays": [dates], "workdays": [dates]}; checked at run time


@dataclass(frozen=True, slots=True)
class YearNotice:
    """One year's State Council notice: the 放假 days and the 调休上班 (weekend) working days.

    Dates are normally in ``year``; a notice may also name days of the adjacent December / January
    (元旦 arrangements straddle the new year).
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise ClockError(
                f"年份 {self.year} 超出日历支持范围（{FIRST_YEAR}–{LAST_YEAR}）",
                f"year {self.year} is outside the calendar's range ({FIRST_YEAR}–{LAST_YEAR})",
            )
        both = self.holidays & self.workdays
        if both:
            day = min(both)
            raise ClockError(f"{day} 既是放假日又是上班日", f"{day} is both a holiday and a working day")
        for day in self.holidays | self.workdays:
            if not _belongs_to(day, self.year):
                raise ClockError(
                    f"{day} 不属于 {self.year} 年的通知（只能是该年或相邻的十二月/一月）",
                    f"{day} does not belong to the {self.year} notice (only that year or the adjacent "
                    "December/January)",
                )

    def to_data(self) -> dict[str, list[str]]:
        return {
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }


def _belongs_to(day: date, year: int) -> bool:
    return (
        day.year == year
        or (day.year == year - 1 and day.month == 12)
        or (day.year == year + 1 and day.month == 1)
    )


def parse_date(value: DateLike, what: str = "日期 date") -> date:
    """An ISO date (``"2026-02-14"``) or a ``date`` (not a ``datetime``)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ClockError(
            f"无法识别的{what.split()[0]} {value!r}（应为 YYYY-MM-DD）",
            f"cannot read the {what.split()[-1]} {value!r} (expected YYYY-MM-DD)",
        ) from None


def _dates(values: Iterable[DateLike]) -> frozenset[date]:
    if isinstance(values, str | bytes):
        raise ClockError("日期列表不能是单个字符串", "a list of dates cannot be a single string")
    return frozenset(parse_date(v) for v in values)


def _check_range(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ClockError(
            f"{day} 超出日历支持范围（{FIRST_DAY}–{LAST_DAY}）",
            f"{day} is outside the calendar's range ({FIRST_DAY}–{LAST_DAY})",
        )


def _parse_hhmm(text: str) -> int:
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ClockError(
            f"无法识别的办公时间 {text!r}（应为 HH:MM）",
            f"cannot read the office time {text!r} (expected HH:MM)",
        )
    seconds = int(match.group(1)) * 3600 + int(match.group(2)) * 60
    if seconds > DAY_S:
        raise ClockError(f"办公时间 {text!r} 超过 24:00", f"office time {text!r} is past 24:00")
    return seconds


def _office_seconds(office_hours: Iterable[Sequence[str]]) -> tuple[tuple[int, int], ...]:
    intervals: list[tuple[int, int]] = []
    for item in office_hours:
        if isinstance(item, str):
            parts = item.replace("–", "-").split("-")
        else:
            parts = list(item)
        if len(parts) != 2:
            raise ClockError(
                f"办公时间段应为 [开始, 结束]，而不是 {item!r}",
                f"an office period is [start, end], not {item!r}",
            )
        start, end = _parse_hhmm(parts[0]), _parse_hhmm(parts[1])
        if end <= start:
            raise ClockError(
                f"办公时间段 {item!r} 结束不晚于开始", f"office period {item!r} does not end after it starts"
            )
        if intervals and start < intervals[-1][1]:
            raise ClockError(
                f"办公时间段 {item!r} 与前一段重叠或顺序颠倒",
                f"office period {item!r} overlaps the previous one or is out of order",
            )
        intervals.append((start, end))
    if not intervals:
        raise ClockError("至少需要一个办公时间段", "at least one office period is needed")
    return tuple(intervals)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@lru_cache(maxsize=32)
def _fixed_offset(tz_name: str) -> tuple[ZoneInfo, int]:
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClockError(f"未知的时区 {tz_name!r}", f"unknown time zone {tz_name!r}") from None
    offsets = {
        datetime(year, month, 15, 12, tzinfo=tz).utcoffset()
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        raise ClockError(
            f"时区 {tz_name!r} 在 {FIRST_YEAR}–{LAST_YEAR} 年间的 UTC 偏移不固定（如夏令时），日历不支持",
            f"time zone {tz_name!r} changes its UTC offset within {FIRST_YEAR}–{LAST_YEAR} (daylight saving); "
            "the clock needs a fixed offset",
        )
    offset = offsets.pop()
    assert offset is not None
    return tz, int(offset.total_seconds())


IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class CalendarIndex:
    """The precomputed arrays of one calendar (internal; shared by the scalar and the bulk paths).

    Day index ``k`` = days since 2000-01-01 (local). Local seconds/microseconds count from 2000-01-01 00:00
    local time.
    """

    __slots__ = (
        "work",
        "workdays",
        "count_before",
        "unknown_before",
        "offset_s",
        "office_s",
        "day_work_s",
        "close_s",
        "work_l",
        "workdays_l",
        "count_before_l",
        "unknown_before_l",
        "offset_us",
        "office_us",
        "day_work_us",
        "close_us",
        "tz",
        "epoch_shift_s",
        "midnights",
        "base",
    )

    def __init__(
        self,
        work: BoolArray,
        unknown: BoolArray,
        tz: ZoneInfo,
        offset_s: int,
        office_s: tuple[tuple[int, int], ...],
    ) -> None:
        self.work = work
        self.workdays: IntArray = np.flatnonzero(work).astype(np.int64)
        count = np.zeros(N_DAYS + 1, dtype=np.int64)
        np.cumsum(work, out=count[1:])
        self.count_before = count  # count_before[k] = working days with index < k
        unknown_count = np.zeros(N_DAYS + 1, dtype=np.int64)
        np.cumsum(unknown, out=unknown_count[1:])
        self.unknown_before = unknown_count
        self.offset_s = offset_s
        self.office_s = office_s
        self.day_work_s = sum(end - start for start, end in office_s)
        self.close_s = office_s[-1][1]
        # Python lists for the scalar path: indexing a list is several times faster than a NumPy scalar.
        self.work_l: list[bool] = work.tolist()
        self.workdays_l: list[int] = self.workdays.tolist()
        self.count_before_l: list[int] = count.tolist()
        self.unknown_before_l: list[int] = unknown_count.tolist()
        self.offset_us = offset_s * 1_000_000
        self.office_us = tuple((start * 1_000_000, end * 1_000_000) for start, end in office_s)
        self.day_work_us = self.day_work_s * 1_000_000
        self.close_us = self.close_s * 1_000_000
        self.tz = tz
        self.epoch_shift_s = EPOCH0_S - offset_s  # local seconds + this = Unix seconds
        self.midnights: dict[int, datetime] = {}  # day index → aware local midnight (filled on use)
        self.base = datetime(FIRST_YEAR, 1, 1, tzinfo=tz)  # index 0, local midnight


class Calendar:
    """An immutable working-day calendar. Build with :meth:`from_data` or :meth:`builtin`."""

    __slots__ = (
        "_notices",
        "_local_holidays",
        "_local_workdays",
        "_office_s",
        "_tz_name",
        "_tz",
        "_offset_s",
        "_index",
        "_known",
    )

    def __init__(
        self,
        notices: Iterable[YearNotice] = (),
        *,
        office_hours: Iterable[Sequence[str]] = DEFAULT_OFFICE_HOURS,
        tz: str = DEFAULT_TZ,
        local_holidays: Iterable[DateLike] = (),
        local_workdays: Iterable[DateLike] = (),
    ) -> None:
        by_year: dict[int, YearNotice] = {}
        for notice in notices:
            if notice.year in by_year:
                raise ClockError(f"{notice.year} 年的通知重复", f"two notices for {notice.year}")
            by_year[notice.year] = notice
        self._notices = dict(sorted(by_year.items()))
        self._local_holidays = _dates(local_holidays)
        self._local_workdays = _dates(local_workdays)
        both = self._local_holidays & self._local_workdays
        if both:
            day = min(both)
            raise ClockError(
                f"{day} 既是地方放假日又是地方上班日",
                f"{day} is both a local holiday and a local working day",
            )
        for day in self._local_holidays | self._local_workdays:
            _check_range(day)
        self._office_s = _office_seconds(office_hours)
        self._tz_name = tz
        self._tz, self._offset_s = _fixed_offset(tz)
        self._index: CalendarIndex | None = None
        self._known = frozenset(self._notices)

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def from_data(
        cls,
        years: Mapping[Any, YearData],
        *,
        office_hours: Iterable[Sequence[str]] = DEFAULT_OFFICE_HOURS,
        tz: str = DEFAULT_TZ,
        local_holidays: Iterable[DateLike] = (),
        local_workdays: Iterable[DateLike] = (),
    ) -> Calendar:
        """A calendar from plain data: ``{2026: {"holidays": ["2026-01-01", …], "workdays": [...]}, …}``.

        Year keys may be ints or strings (JSON); dates ISO strings or ``date``. ``office_hours`` is a list of
        ``["HH:MM", "HH:MM"]`` periods (default 09:00–12:00, 13:30–17:30); ``tz`` an IANA zone with a fixed UTC
        offset (default Asia/Shanghai). ``local_holidays``/``local_workdays`` are a region's own days.
        """
        notices = []
        for key, data in years.items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise ClockError(f"无法识别的年份 {key!r}", f"cannot read the year {key!r}") from None
            unknown_keys = set(data) - {"holidays", "workdays"}
            if unknown_keys:
                raise ClockError(
                    f"{year} 年数据含未知字段 {sorted(unknown_keys)}（只能是 holidays、workdays）",
                    f"{year}: unknown fields {sorted(unknown_keys)} (only holidays, workdays)",
                )
            notices.append(
                YearNotice(year, _dates(data.get("holidays", ())), _dates(data.get("workdays", ())))
            )
        return cls(
            notices,
            office_hours=office_hours,
            tz=tz,
            local_holidays=local_holidays,
            local_workdays=local_workdays,
        )

    @staticmethod
    def builtin() -> Calendar:
        """The shipped national calendar: the State Council's notices 2004–2026 (``data/cn.json``)."""
        return _builtin()

    def overlay(self, *, holidays: Iterable[DateLike] = (), workdays: Iterable[DateLike] = ()) -> Calendar:
        """A new calendar with a region's local holidays / working days on top (民族自治地方, e.g. 古尔邦节).

        Local days win over the national notice and over earlier local days for the same date.
        """
        new_holidays, new_workdays = _dates(holidays), _dates(workdays)
        local_holidays = (self._local_holidays - new_workdays) | new_holidays
        local_workdays = (self._local_workdays - new_holidays) | new_workdays
        return self._replace(local_holidays=local_holidays, local_workdays=local_workdays)

    def with_year(self, year: int, holidays: Iterable[DateLike], workdays: Iterable[DateLike]) -> Calendar:
        """A new calendar with ``year``'s notice added or replaced (an administrator enters a new notice)."""
        notice = YearNotice(year, _dates(holidays), _dates(workdays))
        notices = {**self._notices, year: notice}
        return self._replace(notices=notices.values())

    def with_notice(self, notice: YearNotice) -> Calendar:
        """Same as :meth:`with_year` for a parsed notice (:func:`xiaoneng.clock.parse_notice`)."""
        return self.with_year(notice.year, notice.holidays, notice.workdays)

    def without_year(self, year: int) -> Calendar:
        """A new calendar that no longer knows ``year`` (statutory holidays apply again, provisionally)."""
        return self._replace(notices=[n for y, n in self._notices.items() if y != year])

    def with_office_hours(self, office_hours: Iterable[Sequence[str]]) -> Calendar:
        """A new calendar with other office hours (e.g. a service hall open 08:30–12:00, 14:00–18:00)."""
        return self._replace(office_hours=office_hours)

    def _replace(self, **changes: Any) -> Calendar:
        args: dict[str, Any] = {
            "notices": self._notices.values(),
            "office_hours": self.office_hours,
            "tz": self._tz_name,
            "local_holidays": self._local_holidays,
            "local_workdays": self._local_workdays,
        }
        args.update(changes)
        notices = args.pop("notices")
        return Calendar(notices, **args)

    # -- questions ------------------------------------------------------------------------------------

    @property
    def known_years(self) -> tuple[int, ...]:
        """Years whose State Council notice the calendar has; other years are provisional."""
        return tuple(self._notices)

    def knows(self, day: date) -> bool:
        """True when ``day``'s year has a notice (a deadline touching an unknown year is provisional)."""
        return day.year in self._known

    def is_workday(self, day: date) -> bool:
        """Is ``day`` a working day (工作日)? ``datetime`` values are taken as their own local date."""
        if isinstance(day, datetime):
            day = day.date()
        _check_range(day)
        return bool(self.index.work_l[day.toordinal() - ORDINAL0])

    def workdays_between(self, first: date, last: date) -> int:
        """The number of working days from ``first`` to ``last``, both included (0 when last < first)."""
        _check_range(first)
        _check_range(last)
        if last < first:
            return 0
        count = self.index.count_before_l
        return count[last.toordinal() - ORDINAL0 + 1] - count[first.toordinal() - ORDINAL0]

    def notice(self, year: int) -> YearNotice | None:
        return self._notices.get(year)

    @property
    def office_hours(self) -> tuple[tuple[str, str], ...]:
        return tuple((_hhmm(start), _hhmm(end)) for start, end in self._office_s)

    @property
    def tz_name(self) -> str:
        return self._tz_name

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def utc_offset(self) -> timezone:
        return timezone(timedelta(seconds=self._offset_s))

    @property
    def local_holidays(self) -> frozenset[date]:
        return self._local_holidays

    @property
    def local_workdays(self) -> frozenset[date]:
        return self._local_workdays

    def to_data(self) -> dict[str, Any]:
        """Plain, JSON-ready data; ``Calendar.from_data(**cal.to_data())`` rebuilds an equal calendar."""
        return {
            "years": {year: notice.to_data() for year, notice in self._notices.items()},
            "office_hours": [list(period) for period in self.office_hours],
            "tz": self._tz_name,
            "local_holidays": [d.isoformat() for d in sorted(self._local_holidays)],
            "local_workdays": [d.isoformat() for d in sorted(self._local_workdays)],
        }

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical data: the same rules give the same fingerprint (for versioning)."""
        canonical = json.dumps(self.to_data(), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calendar):
            return NotImplemented
        return self.to_data() == other.to_data()

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        """Pickle as plain data (for a cache); the arrays are rebuilt on first use."""
        return (_from_plain_data, (self.to_data(),))

    def __repr__(self) -> str:
        years = self.known_years
        known = f"{years[0]}–{years[-1]}" if years else "none"
        local = len(self._local_holidays) + len(self._local_workdays)
        return f"<Calendar known={known} tz={self._tz_name} office={self.office_hours} local_days={local}>"

    # -- the index ------------------------------------------------------------------------------------

    @property
    def index(self) -> CalendarIndex:
        """The precomputed arrays (built on first use, then cached on this calendar)."""
        index = self._index
        if index is None:
            index = self._index = self._build_index()
        return index

    def _build_index(self) -> CalendarIndex:
        ordinals = np.arange(ORDINAL0, ORDINAL0 + N_DAYS, dtype=np.int64)
        work: BoolArray = (ordinals + 6) % 7 < 5  # date.weekday() == (ordinal + 6) % 7
        unknown = np.ones(N_DAYS, dtype=np.bool_)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            first = date(year, 1, 1).toordinal() - ORDINAL0
            last = date(year, 12, 31).toordinal() - ORDINAL0
            if year in self._known:
                unknown[first : last + 1] = False
            else:
                for day in statutory_holidays(year):
                    work[day.toordinal() - ORDINAL0] = False
        for notice in self._notices.values():
            for day in notice.holidays:
                if FIRST_DAY <= day <= LAST_DAY:
                    work[day.toordinal() - ORDINAL0] = False
            for day in notice.workdays:
                if FIRST_DAY <= day <= LAST_DAY:
                    work[day.toordinal() - ORDINAL0] = True
        for day in self._local_holidays:
            work[day.toordinal() - ORDINAL0] = False
        for day in self._local_workdays:
            work[day.toordinal() - ORDINAL0] = True
        return CalendarIndex(work, unknown, self._tz, self._offset_s, self._office_s)


def _from_plain_data(data: dict[str, Any]) -> Calendar:
    return Calendar.from_data(**data)


@lru_cache(maxsize=1)
def _builtin() -> Calendar:
    text = resources.files("xiaoneng.clock").joinpath("data/cn.json").read_text(encoding="utf-8")
    return Calendar.from_data(json.loads(text)["years"])
