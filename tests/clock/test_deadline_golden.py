"""Golden cases from the State Council's notices and the law, each checked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from lunardate import LunarDate

from xiaoneng.clock import Calendar, ClockError, Limit, OpenPauseError, Pause, Unit, deadline

from .reference import at


def test_the_2026_notice_is_what_the_golden_cases_assume() -> None:
    # 国务院办公厅关于2026年部分节假日安排的通知: 春节 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班.
    for day in range(15, 24):
        assert chinese_calendar.is_holiday(date(2026, 2, day))
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 28))


def test_5wd_from_friday_before_spring_festival_2026_uses_the_saturday_workday(cal: Calendar) -> None:
    # Sat 14 (调休上班) is day 1; Feb 15–23 off; Tue 24 … Fri 27 are days 2–5.
    d = deadline(cal, at("2026-02-13 10:00"), "5wd")
    assert d.at == at("2026-02-28 00:00")
    assert d.at.isoformat() == "2026-02-28T00:00:00+08:00"
    assert d.last_day == date(2026, 2, 27)
    assert d.label() == "2026-02-27 24:00"
    assert d.label_zh() == "2026年2月27日24时"
    assert d.provisional is False


def test_office_close_ends_at_the_close_of_the_last_day(cal: Calendar) -> None:
    d = deadline(cal, at("2026-02-13 10:00"), "5wd", office_close=True)
    assert d.at == at("2026-02-27 17:30")
    assert d.label() == "2026-02-27 17:30"
    assert d.label_zh() == "2026年2月27日17时30分"
    assert d.last_day == date(2026, 2, 27)


@pytest.mark.parametrize(
    ("start", "limit", "last_day"),
    [
        # 2023 中秋、国庆: Sep 29 – Oct 6 off, Sat Oct 7 and Sun Oct 8 working days.
        ("2023-09-28 10:00", "1wd", "2023-10-07"),
        ("2023-09-28 10:00", "2wd", "2023-10-08"),
        ("2023-09-28 10:00", "3wd", "2023-10-09"),
        (
            "2023-09-29 10:00",
            "1wd",
            "2023-10-07",
        ),  # started on a holiday: the first working day after is day 1
        ("2023-10-03 15:00", "1wd", "2023-10-07"),
        ("2023-10-07 10:00", "1wd", "2023-10-08"),  # started on a 调休 Saturday, a working day
    ],
)
def test_national_day_and_mid_autumn_2023(cal: Calendar, start: str, limit: str, last_day: str) -> None:
    d = deadline(cal, at(start), limit)
    assert d.last_day == date.fromisoformat(last_day)
    assert d.at == at(last_day) + timedelta(days=1)


def test_a_start_on_sunday_counts_from_monday(cal: Calendar) -> None:
    # 民法典 art. 201: the start day does not count; the first working day after it is day 1.
    assert deadline(cal, at("2026-03-01 10:00"), "1wd").last_day == date(2026, 3, 2)  # Sun → Mon
    assert deadline(cal, at("2026-02-28 10:00"), "1wd").last_day == date(2026, 3, 2)  # Sat (调休上班) → Mon
    assert deadline(cal, at("2026-03-07 23:59"), "1wd").last_day == date(2026, 3, 9)  # plain Sat → Mon
    assert deadline(cal, at("2026-03-02 08:00"), "1wd").last_day == date(2026, 3, 3)  # Mon → Tue
    assert deadline(cal, at("2026-03-01 10:00"), "5wd").last_day == date(2026, 3, 6)


def test_zero_working_days_is_the_start_day_or_the_next_working_day(cal: Calendar) -> None:
    assert deadline(cal, at("2026-03-02 10:00"), "0wd").last_day == date(2026, 3, 2)
    assert deadline(cal, at("2026-03-01 10:00"), "0wd").last_day == date(2026, 3, 2)
    assert deadline(cal, at("2026-03-02 10:00"), "0h").at == at("2026-03-02 10:00")


def test_natural_days_ending_on_a_holiday_move_to_the_next_working_day(cal: Calendar) -> None:
    # 民法典 art. 203: the 3rd day after Fri Feb 13 is Mon Feb 16, in 春节: the end moves to Tue Feb 24.
    d = deadline(cal, at("2026-02-13 10:00"), "3d")
    assert d.last_day == date(2026, 2, 24)
    assert d.at == at("2026-02-25 00:00")


def test_natural_days_ending_on_a_weekend_or_a_working_saturday(cal: Calendar) -> None:
    assert deadline(cal, at("2026-03-06 10:00"), "1d").last_day == date(2026, 3, 9)  # Sat → Mon
    assert deadline(cal, at("2026-02-13 10:00"), "1d").last_day == date(2026, 2, 14)  # Sat, 调休上班
    assert deadline(cal, at("2026-03-02 10:00"), "30d").last_day == date(2026, 4, 1)  # a plain Wednesday


def test_working_hours_count_office_time_only(cal: Calendar) -> None:
    assert deadline(cal, at("2026-02-13 10:00"), "5wh").at == at("2026-02-13 16:30")
    # Fri 16:00–17:30 (1.5 h), then Sat Feb 14 (调休上班): 09:00–12:00, 13:30–17:00.
    assert deadline(cal, at("2026-02-13 16:00"), "8wh").at == at("2026-02-14 17:00")
    # After hours: counting starts at the next opening.
    assert deadline(cal, at("2026-02-13 20:00"), "1wh").at == at("2026-02-14 10:00")
    # Ending exactly at a close stays at the close, not the next opening.
    assert deadline(cal, at("2026-03-02 09:00"), "3wh").at == at("2026-03-02 12:00")


def test_plain_hours_are_exact_and_ignore_the_calendar(cal: Calendar) -> None:
    assert deadline(cal, at("2026-02-13 10:00"), "48h").at == at("2026-02-15 10:00")
    d = deadline(cal, at("2026-12-31 10:00"), "72h")
    assert d.at == at("2027-01-03 10:00")
    assert d.provisional is False  # plain hours do not depend on any notice


def test_a_same_day_pause_removes_nothing(cal: Calendar) -> None:
    pause = Pause(at("2026-02-24 10:00"), at("2026-02-24 16:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", [pause]).at == at("2026-02-28 00:00")


def test_a_pause_removes_the_days_from_suspension_to_the_day_before_resumption(cal: Calendar) -> None:
    # Suspended Tue Feb 24, resumed Thu Feb 26: Feb 24 and 25 do not count; Feb 26 does.
    # Counting: Sat 14 (1), Thu 26 (2), Fri 27 (3), Sat 28 调休上班 (4), Mon Mar 2 (5).
    pause = Pause(at("2026-02-24 10:00"), at("2026-02-26 09:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", [pause]).last_day == date(2026, 3, 2)


def test_overlapping_pauses_merge(cal: Calendar) -> None:
    pauses = [
        Pause(at("2026-02-25 09:00"), at("2026-02-26 09:00")),
        Pause(at("2026-02-24 10:00"), at("2026-02-25 12:00")),
    ]
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", pauses).last_day == date(2026, 3, 2)


def test_a_pause_after_the_deadline_changes_nothing(cal: Calendar) -> None:
    pause = Pause(at("2026-03-02 10:00"), at("2026-03-20 10:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", [pause]).at == at("2026-02-28 00:00")


def test_a_pause_on_the_last_day_gives_the_resumption_day(cal: Calendar) -> None:
    # The suspension day (Fri 27) no longer counts; Sat 28 (调休上班, the resumption day) is day 5.
    pause = Pause(at("2026-02-27 15:00"), at("2026-02-28 09:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", [pause]).last_day == date(2026, 2, 28)


def test_pauses_for_working_hours_remove_the_exact_overlap(cal: Calendar) -> None:
    # 5wh from Fri Feb 13 10:00 ends 16:30; a pause 11:00–14:00 overlaps 1 h + 0.5 h of office time.
    pause = Pause(at("2026-02-13 11:00"), at("2026-02-13 14:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wh", [pause]).at == at("2026-02-14 09:30")
    assert deadline(cal, at("2026-02-13 10:00"), "5h", [pause]).at == at("2026-02-13 18:00")


def test_an_open_pause_has_no_deadline_until_now_is_given(cal: Calendar) -> None:
    pause = Pause(at("2026-02-24 10:00"))
    with pytest.raises(OpenPauseError, match="pause is still open"):
        deadline(cal, at("2026-02-13 10:00"), "5wd", [pause])
    d = deadline(cal, at("2026-02-13 10:00"), "5wd", [pause], now=at("2026-02-26 09:00"))
    assert d.paused is True
    assert d.last_day == date(2026, 3, 2)  # as if resumed now: the same as the closed pause above


def test_extensions_continue_from_the_deadline_in_their_own_unit(cal: Calendar) -> None:
    # 行政许可法 art. 42: 20 working days, extendable by 10 with the head's approval.
    start = at("2026-03-02 10:00")
    base = deadline(cal, start, "20wd")
    extended = deadline(cal, start, "20wd", extensions=["10wd"])
    assert extended.at == deadline(cal, start, "30wd").at
    assert extended.at > base.at
    # The original last day is Mon Mar 30; 5 natural days after it is Sat Apr 4, in 清明 (Apr 4–6): Tue Apr 7.
    assert base.last_day == date(2026, 3, 30)
    assert deadline(cal, start, "20wd", extensions=["5d"]).last_day == date(2026, 4, 7)
    # 7 working hours after 24:00 of Mar 30: Tue Mar 31 to its close.
    assert deadline(cal, start, "20wd", extensions=["7wh"]).at == at("2026-03-31 17:30")
    # Several extensions chain.
    assert deadline(cal, start, "20wd", extensions=["5wd", "5wd"]).at == extended.at


def test_a_deadline_that_reaches_2027_is_provisional(cal: Calendar) -> None:
    # Tue Dec 29 (1), Wed 30 (2), Thu 31 (3); 2027-01-01 元旦 (statutory); Mon Jan 4 (4), Tue Jan 5 (5).
    d = deadline(cal, at("2026-12-28 10:00"), "5wd")
    assert d.last_day == date(2027, 1, 5)
    assert d.provisional is True
    assert d.label_zh() == "2027年1月5日24时（暂定）"
    assert deadline(cal, at("2026-12-21 10:00"), "3wd").provisional is False


def test_2027_spring_festival_follows_the_law_until_the_notice_is_out(cal: Calendar) -> None:
    assert LunarDate(2027, 1, 1).to_solar_date() == date(2027, 2, 6)  # 初一; 除夕 is Feb 5
    # Feb 5 (除夕, Fri), 6–8 (初一–初三); 6 and 7 are a weekend → 补假 Tue 9, Wed 10 (art. 6).
    for day in range(5, 11):
        assert not cal.is_workday(date(2027, 2, day))
    assert cal.is_workday(date(2027, 2, 11))
    d = deadline(cal, at("2027-02-04 10:00"), "5wd")
    assert d.last_day == date(2027, 2, 17)  # Thu 11, Fri 12, Mon 15, Tue 16, Wed 17
    assert d.provisional is True


def test_the_new_notice_makes_2027_final(cal: Calendar) -> None:
    notice_2027 = cal.with_year(
        2027,
        holidays=[f"2027-02-{d:02d}" for d in range(5, 13)],
        workdays=["2027-02-20"],
    )
    d = deadline(notice_2027, at("2027-02-04 10:00"), "5wd")
    assert d.provisional is False
    assert d.last_day == date(2027, 2, 19)  # Mon 15, Tue 16, Wed 17, Thu 18, Fri 19


def test_start_in_another_time_zone_is_the_same_instant(cal: Calendar) -> None:
    utc_start = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    assert deadline(cal, utc_start, "5wd").at == at("2026-02-28 00:00")
    late_utc = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)  # Sat Feb 14 01:00 in Beijing
    assert deadline(cal, late_utc, "1wd").last_day == date(2026, 2, 24)


def test_limit_objects_and_strings_are_the_same(cal: Calendar) -> None:
    assert deadline(cal, at("2026-02-13 10:00"), Limit(5, Unit.WORKDAYS)) == deadline(
        cal, at("2026-02-13 10:00"), "5wd"
    )


def test_naive_datetimes_are_refused(cal: Calendar) -> None:
    with pytest.raises(ClockError, match="naive") as err:
        deadline(cal, datetime(2026, 2, 13, 10), "5wd")
    assert "没有时区" in str(err.value)
    with pytest.raises(ValueError, match="naive"):
        Pause(datetime(2026, 2, 13, 10), at("2026-02-14 10:00"))
    with pytest.raises(ClockError, match="naive"):
        deadline(
            cal, at("2026-02-13 10:00"), "5wd", [Pause(at("2026-02-14 10:00"))], now=datetime(2026, 3, 1)
        )
    with pytest.raises(ClockError, match="naive"):
        deadline(cal, at("2026-02-13 10:00"), "5wd", now=datetime(2026, 3, 1))


def test_a_pause_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ClockError, match="before it starts") as err:
        Pause(at("2026-02-14 10:00"), at("2026-02-13 10:00"))
    assert "早于开始" in str(err.value)


def test_pauses_may_be_plain_tuples(cal: Calendar) -> None:
    pause = (at("2026-02-24 10:00"), at("2026-02-26 09:00"))
    assert deadline(cal, at("2026-02-13 10:00"), "5wd", [pause]).last_day == date(2026, 3, 2)


def test_outside_the_calendar_range_is_a_clear_error(cal: Calendar) -> None:
    with pytest.raises(ClockError, match="outside the calendar's range"):
        deadline(cal, at("1999-06-01 10:00"), "5wd")
    with pytest.raises(ClockError, match="past the calendar's range"):
        deadline(cal, at("2099-12-01 10:00"), "60wd")
    with pytest.raises(ClockError, match="past the calendar's range"):
        deadline(cal, at("2099-12-29 10:00"), "72h")
    with pytest.raises(ClockError, match="must be a datetime"):
        deadline(cal, date(2026, 2, 13), "5wd")  # type: ignore[arg-type]
