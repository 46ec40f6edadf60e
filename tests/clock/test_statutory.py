"""Statutory holidays (全国年节及纪念日放假办法, 2024 revision) for years without a notice."""

from __future__ import annotations

import math
from datetime import date, timedelta

import chinese_calendar
import pytest
from chinese_calendar.constants import Holiday, holidays
from lunardate import LunarDate

from xiaoneng.clock import Calendar, ClockError, qingming, statutory_festivals, statutory_holidays


def notice_days(year: int, festival: Holiday) -> set[date]:
    return {d for d, name in holidays.items() if d.year == year and name == festival.value}


@pytest.mark.parametrize("year", range(2008, 2027))  # 清明 has been a holiday since 2008
def test_qingming_is_in_every_notices_qingming_holiday(year: int) -> None:
    assert qingming(year) in notice_days(year, Holiday.tomb_sweeping_day)


def _sun_apparent_longitude(jde: float) -> float:
    """Low-precision solar longitude (Meeus, Astronomical Algorithms ch. 25; ~0.01°, i.e. ~15 minutes)."""
    t = (jde - 2451545.0) / 36525
    mean_longitude = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
    anomaly = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)
    centre = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * anomaly)
        + 0.000289 * math.sin(3 * anomaly)
    )
    omega = math.radians(125.04 - 1934.136 * t)
    return (mean_longitude + centre - 0.00569 - 0.00478 * math.sin(omega)) % 360


def test_qingming_agrees_with_astronomy_2000_2099() -> None:
    """清明 = the day (Beijing time) the sun reaches apparent longitude 15°. Years whose instant falls within an
    hour of midnight are too close to call with a low-precision formula and are skipped (counted)."""
    jd_2000 = 2451544.5  # 2000-01-01 00:00 UT
    too_close = []
    for year in range(2000, 2100):
        lo = jd_2000 + (date(year, 4, 1) - date(2000, 1, 1)).days
        hi = lo + 7
        for _ in range(60):
            mid = (lo + hi) / 2
            if _sun_apparent_longitude(mid) < 15:
                lo = mid
            else:
                hi = mid
        delta_t = (64 + 0.4 * (year - 2000)) / 86400  # ΔT, TT − UT, roughly; far below the 1 h margin
        beijing = lo - delta_t + 8 / 24 - jd_2000
        day_fraction = beijing - math.floor(beijing)
        if min(day_fraction, 1 - day_fraction) < 1 / 24:
            too_close.append(year)
            continue
        assert qingming(year) == date(2000, 1, 1) + timedelta(days=math.floor(beijing)), year
    assert len(too_close) <= 8, too_close


def test_qingming_outside_the_range_is_refused() -> None:
    with pytest.raises(ClockError):
        qingming(2100)


@pytest.mark.parametrize("year", range(2004, 2027))
def test_lunar_festivals_are_days_off_in_every_notice(year: int) -> None:
    spring = LunarDate(year, 1, 1).to_solar_date()  # 正月初一
    for day in (spring, spring + timedelta(days=1), spring + timedelta(days=2)):
        assert not chinese_calendar.is_workday(day), day
    # 除夕 was a statutory day off 2008–2013 and again from 2025 (2007 and 2024 revisions).
    if 2008 <= year <= 2013 or year >= 2025:
        assert not chinese_calendar.is_workday(spring - timedelta(days=1))
    if year >= 2008:  # 端午 and 中秋 have been holidays since 2008
        assert not chinese_calendar.is_workday(LunarDate(year, 5, 5).to_solar_date())
        assert not chinese_calendar.is_workday(LunarDate(year, 8, 15).to_solar_date())


def test_the_2027_festivals() -> None:
    assert LunarDate(2027, 1, 1).to_solar_date() == date(2027, 2, 6)
    festivals = statutory_festivals(2027)
    assert festivals == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节",  # 除夕
        date(2027, 2, 6): "春节",
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }


def test_weekend_festival_days_are_made_up_on_the_next_weekdays() -> None:
    # art. 6: 春节 Sat 6 and Sun 7 → Tue 9, Wed 10; 劳动节 Sat 1, Sun 2 → Mon 3, Tue 4; 国庆 Sat 2, Sun 3 → Mon 4, Tue 5.
    made_up = statutory_holidays(2027) - set(statutory_festivals(2027))
    assert made_up == {
        date(2027, 2, 9),
        date(2027, 2, 10),
        date(2027, 5, 3),
        date(2027, 5, 4),
        date(2027, 10, 4),
        date(2027, 10, 5),
    }


def test_mid_autumn_on_national_day_2028() -> None:
    assert statutory_festivals(2028)[date(2028, 10, 3)] == "中秋节、国庆节"
    assert len(statutory_festivals(2028)) == 12


def test_the_calendar_applies_statutory_holidays_to_unknown_years() -> None:
    cal = Calendar.builtin()
    for day in statutory_holidays(2030):
        assert not cal.is_workday(day)
    assert not cal.is_workday(date(2027, 10, 5))
    assert cal.is_workday(date(2027, 10, 6))
