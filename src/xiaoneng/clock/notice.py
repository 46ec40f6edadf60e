"""A small text format for importing a year's holiday notice (节假日安排通知).

::

    # 国务院办公厅关于2027年部分节假日安排的通知
    year: 2027
    放假 2027-01-01
    放假 2027-02-05..2027-02-11   # 春节
    上班 2027-02-14

- ``#`` starts a comment (whole line or end of line); blank lines are ignored.
- ``year: YYYY`` (or ``年份: YYYY``; ASCII or full-width colon) comes once, before the days.
- ``放假`` / ``holiday`` followed by a date or a range ``FIRST..LAST`` (both included): days off.
- ``上班`` / ``workday`` followed by a date or a range: weekend days that are working days (调休上班).
- Dates are ISO ``YYYY-MM-DD`` in that year (or the adjacent December / January).

Every mistake is reported with its line number, in Chinese and English. Nothing here needs a new dependency.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .calendars import YearNotice
from .errors import ClockError

_KEYWORDS = {"放假": "holiday", "holiday": "holiday", "上班": "workday", "workday": "workday"}
_YEAR = re.compile(r"^(?:year|年份)\s*[:：]\s*(\d{4})$", re.IGNORECASE)
_ENTRY = re.compile(r"^(\S+)\s+(\S+?)(?:\s*\.\.\s*(\S+))?$")
_MAX_RANGE_DAYS = 31


def _error(line_no: int, zh: str, en: str) -> ClockError:
    return ClockError(f"第 {line_no} 行：{zh}", f"line {line_no}: {en}")


def _date(text: str, line_no: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _error(
            line_no,
            f"无法识别的日期 {text!r}（应为 YYYY-MM-DD）",
            f"cannot read the date {text!r} (expected YYYY-MM-DD)",
        ) from None


def parse_notice(text: str) -> YearNotice:
    """Parse a notice in the format above into a :class:`YearNotice` (``cal.with_notice(notice)``)."""
    year: int | None = None
    holidays: dict[date, int] = {}
    workdays: dict[date, int] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        year_match = _YEAR.match(line)
        if year_match:
            if year is not None:
                raise _error(line_no, "年份只能写一次", "the year is given twice")
            if holidays or workdays:
                raise _error(line_no, "年份必须写在日期之前", "the year must come before the days")
            year = int(year_match.group(1))
            continue
        entry = _ENTRY.match(line)
        kind = _KEYWORDS.get(entry.group(1).lower()) if entry else None
        if entry is None or kind is None:
            raise _error(
                line_no,
                f"无法识别 {line!r}（应为“放假 日期”“上班 日期”或“year: 年份”）",
                f"cannot read {line!r} (expected 'holiday DATE', 'workday DATE' or 'year: YYYY')",
            )
        if year is None:
            raise _error(line_no, "请先写“year: 年份”", "give 'year: YYYY' first")
        first = _date(entry.group(2), line_no)
        last = _date(entry.group(3), line_no) if entry.group(3) else first
        if last < first:
            raise _error(
                line_no,
                f"日期范围 {first}..{last} 结束早于开始",
                f"the range {first}..{last} ends before it starts",
            )
        if (last - first).days >= _MAX_RANGE_DAYS:
            raise _error(
                line_no,
                f"日期范围 {first}..{last} 超过 {_MAX_RANGE_DAYS} 天，可能写错了",
                f"the range {first}..{last} is longer than {_MAX_RANGE_DAYS} days; likely a typo",
            )
        day = first
        while day <= last:
            if not (
                day.year == year
                or (day.year == year - 1 and day.month == 12)
                or (day.year == year + 1 and day.month == 1)
            ):
                raise _error(line_no, f"{day} 不属于 {year} 年", f"{day} is not in {year}")
            own, other, other_kind = (
                (holidays, workdays, "上班 workday")
                if kind == "holiday"
                else (workdays, holidays, "放假 holiday")
            )
            if day in other:
                raise _error(
                    line_no,
                    f"{day} 已在第 {other[day]} 行列为{other_kind.split()[0]}",
                    f"{day} is already a {other_kind.split()[1]} on line {other[day]}",
                )
            if kind == "workday" and day.weekday() < 5:
                raise _error(
                    line_no,
                    f"{day} 是星期{'一二三四五'[day.weekday()]}，本来就上班，无需调休",
                    f"{day} is a weekday, a working day anyway (调休上班 is for weekend days)",
                )
            own.setdefault(day, line_no)
            day += timedelta(days=1)
    if year is None:
        raise ClockError("通知中没有“year: 年份”", "the notice has no 'year: YYYY' line")
    return YearNotice(year, frozenset(holidays), frozenset(workdays))


def format_notice(notice: YearNotice, title: str = "") -> str:
    """The text form of a notice (consecutive days written as ranges); ``parse_notice`` reads it back."""
    lines = [f"# {title}"] if title else []
    lines.append(f"year: {notice.year}")
    for keyword, days in (("放假", notice.holidays), ("上班", notice.workdays)):
        runs: list[list[date]] = []
        for day in sorted(days):
            if runs and day == runs[-1][-1] + timedelta(days=1):
                runs[-1].append(day)
            else:
                runs.append([day])
        lines.extend(f"{keyword} {run[0]}" + (f"..{run[-1]}" if len(run) > 1 else "") for run in runs)
    return "\n".join(lines) + "\n"
