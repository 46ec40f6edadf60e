"""Statutory holidays (法定节假日) for years whose State Council notice is not out yet.

The notice for year Y comes out around November of Y−1. Until then the clock does not pretend Y is plain
weekends: it applies what the law itself fixes, 《全国年节及纪念日放假办法》 as revised by the State Council
on 2024-11-10 (in force 2025-01-01):

- art. 2: 元旦 1 day (Jan 1); 春节 4 days (农历除夕 and 正月初一–初三); 清明节 1 day (the day of the 清明 solar
  term); 劳动节 2 days (May 1–2); 端午节 1 day (lunar 5/5); 中秋节 1 day (lunar 8/15); 国庆节 3 days (Oct 1–3).
- art. 6: a holiday for all citizens that falls on a Saturday or Sunday is made up on a working day
  (应当在工作日补假). The notice decides where; the clock takes the next weekdays after the festival.

The 调休 swaps the notice adds (weekend days that become working days) cannot be known in advance. Every
deadline whose counting range touches such a year is marked *provisional*.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunardate import LunarDate  # type: ignore[import-untyped]

from .errors import ClockError

FIRST_YEAR = 2000
"""The clock's range starts 2000-01-01 …"""
LAST_YEAR = 2099
"""… and ends 2099-12-31 (the range of the ``lunardate`` tables)."""

_ONE_DAY = timedelta(days=1)


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def qingming(year: int) -> date:
    """The day of the 清明 solar term (sun at apparent longitude 15°), Beijing time, 2000–2099.

    The well-known 寿星 formula for the 21st century: day of April = ⌊Y·0.2422 + 4.81⌋ − ⌊Y/4⌋ with
    Y = year mod 100 (no exception years for 清明 in 2000–2099). The tests check it against the 清明
    holidays of the notices 2008–2026 and against an astronomical computation for every year.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ClockError(
            f"清明日期只支持 2000–2099 年，不支持 {year}", f"清明 is computed for 2000–2099, not {year}"
        )
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


@lru_cache(maxsize=256)
def statutory_festivals(year: int) -> dict[date, str]:
    """The 13 days off of art. 2 for ``year``, each with its festival's name (元旦, 春节, …)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ClockError(
            f"法定节假日只能计算 {FIRST_YEAR}–{LAST_YEAR} 年，不支持 {year}",
            f"statutory holidays are computed for {FIRST_YEAR}–{LAST_YEAR} only, not {year}",
        )
    spring = _lunar(year, 1, 1)  # 正月初一
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):  # 除夕 (the last day of lunar month 12, 29th or 30th) … 初三
        days[spring + offset * _ONE_DAY] = "春节"
    days[qingming(year)] = "清明节"
    days[date(year, 5, 1)] = "劳动节"
    days[date(year, 5, 2)] = "劳动节"
    for day, name in (
        (_lunar(year, 5, 5), "端午节"),
        (_lunar(year, 8, 15), "中秋节"),
        (date(year, 10, 1), "国庆节"),
        (date(year, 10, 2), "国庆节"),
        (date(year, 10, 3), "国庆节"),
    ):
        days[day] = f"{days[day]}、{name}" if day in days else name  # 2028: 中秋 is Oct 3
    return dict(sorted(days.items()))


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> frozenset[date]:
    """Days off by law in ``year``: art. 2's festivals plus art. 6's make-up days (补假).

    Each festival day on a Saturday or Sunday adds one day off on the next weekday after its festival
    block that is not already a day off. (Two festivals on one day, as 中秋 = 国庆 in 2028, add nothing:
    the law gives no make-up for that; the notice usually does — the year is provisional anyway.)
    """
    festivals = statutory_festivals(year)
    off = set(festivals)
    for day in sorted(festivals):
        if day.weekday() >= 5:
            make_up = day + _ONE_DAY
            while make_up.weekday() >= 5 or make_up in off:
                make_up += _ONE_DAY
            off.add(make_up)
    return frozenset(off)
