"""The calendar: shipped data, plain-data round trips, overlays, new notices, office hours, time zones."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from xiaoneng.clock import Calendar, ClockError, YearNotice, deadline

from .reference import at

DATA = Path(__file__).resolve().parents[2] / "src" / "xiaoneng" / "clock" / "data" / "cn.json"


def test_builtin_knows_2004_to_2026(cal: Calendar) -> None:
    assert cal.known_years == tuple(range(2004, 2027))
    assert cal.knows(date(2026, 12, 31))
    assert not cal.knows(date(2027, 1, 1))


def test_builtin_agrees_with_chinese_calendar_on_every_day_2004_2026(cal: Calendar) -> None:
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_the_data_file_is_what_the_build_script_makes() -> None:
    from chinese_calendar.constants import holidays, workdays

    years = json.loads(DATA.read_text(encoding="utf-8"))["years"]
    assert sorted(d for y in years.values() for d in y["holidays"]) == sorted(d.isoformat() for d in holidays)
    assert sorted(d for y in years.values() for d in y["workdays"]) == sorted(d.isoformat() for d in workdays)


def test_is_workday_examples(cal: Calendar) -> None:
    assert cal.is_workday(date(2026, 2, 14))  # Saturday, 调休上班
    assert not cal.is_workday(date(2026, 2, 16))  # 春节
    assert not cal.is_workday(date(2026, 3, 1))  # Sunday
    assert cal.is_workday(datetime(2026, 3, 2, 10))
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 2, 27)) == 6
    assert cal.workdays_between(date(2026, 2, 27), date(2026, 2, 13)) == 0


def test_round_trip_through_plain_data(cal: Calendar) -> None:
    data = cal.to_data()
    assert Calendar.from_data(**data) == cal
    as_json = json.loads(json.dumps(data))  # string year keys, as stored in a JSON column
    rebuilt = Calendar.from_data(**as_json)
    assert rebuilt == cal
    assert rebuilt.fingerprint == cal.fingerprint
    assert rebuilt.is_workday(date(2026, 2, 14))


def test_from_data_accepts_dates_and_strings() -> None:
    cal = Calendar.from_data({2026: {"holidays": [date(2026, 3, 3)], "workdays": ["2026-03-07"]}})
    assert not cal.is_workday(date(2026, 3, 3))
    assert cal.is_workday(date(2026, 3, 7))
    assert cal.known_years == (2026,)
    assert cal.is_workday(date(2026, 2, 16))  # not in this calendar's 2026 data


def test_overlay_adds_a_regions_own_days(cal: Calendar) -> None:
    # e.g. 广西 三月三 (民族自治地方, 全国年节及纪念日放假办法 art. 4): 2026-04-20/21 off locally.
    local = cal.overlay(holidays=["2026-04-20", "2026-04-21"])
    assert not local.is_workday(date(2026, 4, 20))
    assert cal.is_workday(date(2026, 4, 20))  # the national calendar is unchanged
    assert deadline(local, at("2026-04-17 10:00"), "1wd").last_day == date(2026, 4, 22)
    assert deadline(cal, at("2026-04-17 10:00"), "1wd").last_day == date(2026, 4, 20)
    assert local != cal
    assert local.fingerprint != cal.fingerprint
    undone = local.overlay(workdays=["2026-04-20"])
    assert undone.is_workday(date(2026, 4, 20))
    assert Calendar.from_data(**local.to_data()) == local


def test_with_year_adds_a_notice_and_without_year_removes_it(cal: Calendar) -> None:
    new = cal.with_year(2027, holidays=["2027-01-01"], workdays=[])
    assert 2027 in new.known_years
    assert 2027 not in cal.known_years
    assert new.without_year(2027) == cal
    assert new.notice(2027) == YearNotice(2027, frozenset({date(2027, 1, 1)}), frozenset())


def test_a_notice_may_not_name_a_day_both_off_and_on() -> None:
    with pytest.raises(ClockError, match="both a holiday and a working day"):
        Calendar.from_data({2027: {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}})


def test_a_notice_may_not_name_days_of_a_far_year() -> None:
    with pytest.raises(ClockError, match="does not belong to the 2027 notice"):
        Calendar.from_data({2027: {"holidays": ["2025-05-01"]}})
    # The adjacent December is fine (元旦 arrangements straddle the new year).
    Calendar.from_data({2027: {"holidays": ["2026-12-31"]}})


def test_unknown_fields_and_bad_dates_are_refused() -> None:
    with pytest.raises(ClockError, match="unknown fields"):
        Calendar.from_data({2027: {"holiday": ["2027-01-01"]}})
    with pytest.raises(ClockError, match="cannot read the date"):
        Calendar.from_data({2027: {"holidays": ["2027-13-01"]}})
    with pytest.raises(ClockError, match="cannot read the year"):
        Calendar.from_data({"next": {"holidays": []}})


def test_office_hours_are_configurable(cal: Calendar) -> None:
    hall = cal.with_office_hours([("08:30", "12:00"), ("14:00", "18:00")])
    assert hall.office_hours == (("08:30", "12:00"), ("14:00", "18:00"))
    assert deadline(hall, at("2026-03-02 08:00"), "4wh").at == at("2026-03-02 14:30")
    assert deadline(hall, at("2026-03-02 08:00"), "1wd", office_close=True).at == at("2026-03-03 18:00")
    assert cal.office_hours == (("09:00", "12:00"), ("13:30", "17:30"))
    round_the_clock = cal.with_office_hours(["00:00-24:00"])
    assert deadline(round_the_clock, at("2026-03-06 20:00"), "4wh").at == at("2026-03-07 00:00")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([("12:00", "09:00")], "does not end after it starts"),
        ([("09:00", "12:00"), ("11:00", "13:00")], "overlaps"),
        ([("9am", "12:00")], "cannot read the office time"),
        ([], "at least one office period"),
        ([("09:00", "24:30")], "past 24:00"),
    ],
)
def test_bad_office_hours_are_refused(hours: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ClockError, match=message):
        Calendar.from_data({}, office_hours=hours)


def test_time_zone_default_and_choice() -> None:
    assert Calendar.from_data({}).tz_name == "Asia/Shanghai"
    urumqi = Calendar.from_data({}, tz="Asia/Urumqi")  # UTC+6 local time
    d = deadline(urumqi, at("2026-03-02 10:00"), "1wd")
    assert d.at.utcoffset() == timedelta(hours=6)
    with pytest.raises(ClockError, match="daylight saving"):
        Calendar.from_data({}, tz="Europe/Berlin")
    with pytest.raises(ClockError, match="unknown time zone"):
        Calendar.from_data({}, tz="Mars/Olympus")


def test_an_empty_calendar_is_provisional_everywhere() -> None:
    bare = Calendar.from_data({})
    assert bare.known_years == ()
    assert deadline(bare, at("2026-03-02 10:00"), "1wd").provisional
    assert not bare.is_workday(date(2026, 10, 1))  # statutory 国庆
    assert bare.is_workday(date(2026, 2, 14)) is False  # no notice: a Saturday is a Saturday


def test_dates_outside_the_range_are_refused(cal: Calendar) -> None:
    with pytest.raises(ClockError, match="outside the calendar's range"):
        cal.is_workday(date(1999, 12, 31))
    with pytest.raises(ClockError, match="outside the calendar's range"):
        cal.overlay(holidays=["2100-01-01"])


def test_a_calendar_pickles_as_plain_data(cal: Calendar) -> None:
    import pickle

    local = cal.overlay(holidays=["2026-04-20"])
    local.is_workday(date(2026, 4, 20))  # builds the index, which is not pickled
    data = pickle.dumps(local)
    assert len(data) < 50_000
    assert pickle.loads(data) == local


def test_repr_and_hash(cal: Calendar) -> None:
    assert "2004–2026" in repr(cal)
    assert hash(cal) == hash(Calendar.from_data(**cal.to_data()))
    assert len(cal.fingerprint) == 64
