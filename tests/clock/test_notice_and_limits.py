"""The notice import format and limit parsing."""

from __future__ import annotations

from datetime import date

import pytest

from xiaoneng.clock import Calendar, ClockError, Limit, Unit, parse_notice
from xiaoneng.clock.notice import format_notice

EXAMPLE = """\
# 国务院办公厅关于2027年部分节假日安排的通知
year: 2027
放假 2027-01-01
放假 2027-02-05..2027-02-11   # 春节
上班 2027-02-14
"""


def test_the_example_notice() -> None:
    notice = parse_notice(EXAMPLE)
    assert notice.year == 2027
    assert notice.holidays == {date(2027, 1, 1)} | {date(2027, 2, d) for d in range(5, 12)}
    assert notice.workdays == {date(2027, 2, 14)}


def test_english_keywords_full_width_colon_and_blank_lines() -> None:
    notice = parse_notice("\n  year：2027\n\nholiday 2027-10-01..2027-10-07\nWORKDAY 2027-10-09\n")
    assert len(notice.holidays) == 7
    assert notice.workdays == {date(2027, 10, 9)}


def test_a_parsed_notice_makes_the_year_known() -> None:
    cal = Calendar.builtin().with_notice(parse_notice(EXAMPLE))
    assert 2027 in cal.known_years
    assert cal.is_workday(date(2027, 2, 14))  # Sunday, 调休上班
    assert not cal.is_workday(date(2027, 2, 11))


def test_format_and_parse_round_trip() -> None:
    notice = parse_notice(EXAMPLE)
    text = format_notice(notice, title="2027")
    assert "放假 2027-02-05..2027-02-11" in text
    assert parse_notice(text) == notice


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("year: 2027\n放假 2027-02-30", 2, "cannot read the date"),
        ("year: 2027\n休息 2027-02-03", 2, "cannot read"),
        ("放假 2027-01-01", 1, "give 'year: YYYY' first"),
        ("year: 2027\nyear: 2028", 2, "the year is given twice"),
        ("year: 2027\n放假 2027-02-11..2027-02-05", 2, "ends before it starts"),
        ("year: 2027\n放假 2027-02-01..2027-05-01", 2, "longer than 31 days"),
        ("year: 2027\n放假 2025-10-01", 2, "is not in 2027"),
        ("year: 2027\n上班 2027-02-15", 2, "is a weekday"),
        ("# t\nyear: 2027\n放假 2027-02-06\n\n上班 2027-02-06", 5, "already a holiday on line 3"),
        ("year: 2027\n放假 2027-02-06 2027-02-07", 2, "cannot read"),
    ],
)
def test_bad_lines_name_their_line_number(text: str, line: int, message: str) -> None:
    with pytest.raises(ClockError, match=message) as err:
        parse_notice(text)
    assert f"第 {line} 行" in str(err.value)
    assert f"line {line}:" in str(err.value)


def test_a_notice_without_a_year_is_refused() -> None:
    with pytest.raises(ClockError, match="no 'year: YYYY' line"):
        parse_notice("# nothing here\n")


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("5wd", Limit(5, Unit.WORKDAYS)),
        ("30d", Limit(30, Unit.DAYS)),
        ("16wh", Limit(16, Unit.WORK_HOURS)),
        ("48h", Limit(48, Unit.HOURS)),
        (" 0 WD ", Limit(0, Unit.WORKDAYS)),
    ],
)
def test_limits_parse(text: str, limit: Limit) -> None:
    assert Limit.parse(text) == limit
    assert Limit.parse(limit) is limit


def test_limit_text_forms() -> None:
    assert str(Limit(20, Unit.WORKDAYS)) == "20wd"
    assert Limit(20, Unit.WORKDAYS).label_zh == "20个工作日"
    assert Limit(48, Unit.HOURS).label_zh == "48小时"
    assert [u.code for u in Unit] == [0, 1, 2, 3]
    assert Unit.from_code(2) is Unit.WORK_HOURS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5w", "unknown limit unit 'w'"),
        ("5 weeks", "unknown limit unit"),
        ("wd", "cannot read the limit"),
        ("-1wd", "cannot read the limit"),
        ("1.5wd", "cannot read the limit"),
        ("", "cannot read the limit"),
    ],
)
def test_bad_limits_are_refused_in_both_languages(text: str, message: str) -> None:
    with pytest.raises(ClockError, match=message) as err:
        Limit.parse(text)
    assert err.value.zh and err.value.en
    assert isinstance(err.value, ValueError)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ClockError, match="non-negative integer"):
        Limit(-1, Unit.DAYS)
