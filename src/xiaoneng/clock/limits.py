"""Limits (时限): an amount and a unit — ``5wd``, ``30d``, ``16wh``, ``48h``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .errors import ClockError


class Unit(StrEnum):
    """The four units a limit is counted in.

    - ``wd`` 工作日 working days — the legal default (行政许可法 art. 82: 以工作日计算，不含法定节假日).
    - ``d`` 自然日 natural days (民法典 art. 200–203).
    - ``wh`` 工作小时 working hours, inside the calendar's office hours on working days.
    - ``h`` 小时 plain hours, exact (民法典 art. 201 para. 2).
    """

    WORKDAYS = "wd"
    DAYS = "d"
    WORK_HOURS = "wh"
    HOURS = "h"

    @property
    def code(self) -> int:
        """Small integer code used by the NumPy bulk path (``wd`` 0, ``d`` 1, ``wh`` 2, ``h`` 3)."""
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> Unit:
        return _UNITS[code]

    @property
    def is_days(self) -> bool:
        """True for the units whose deadline falls at the end of a day (``wd``, ``d``)."""
        return self in (Unit.WORKDAYS, Unit.DAYS)

    @property
    def uses_calendar(self) -> bool:
        """Only plain hours (``h``) do not look at the calendar."""
        return self is not Unit.HOURS

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]


_UNITS: tuple[Unit, ...] = (Unit.WORKDAYS, Unit.DAYS, Unit.WORK_HOURS, Unit.HOURS)
_CODES: dict[Unit, int] = {unit: i for i, unit in enumerate(_UNITS)}
_LABELS_ZH: dict[Unit, str] = {
    Unit.WORKDAYS: "个工作日",
    Unit.DAYS: "日",
    Unit.WORK_HOURS: "个工作小时",
    Unit.HOURS: "小时",
}

_LIMIT_RE = re.compile(r"^\s*(\d+)\s*([a-zA-Z]+)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    """A time limit: ``amount`` ≥ 0 whole units. ``Limit.parse("5wd") == Limit(5, Unit.WORKDAYS)``.

    A zero limit (即办件) ends at the end of the start day (``0wd``: of the first working day on or after
    it; ``0d``: of the start day, moved to the next working day when that is a rest day), or at the start
    instant itself for hours.
    """

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ClockError(
                f"时限数量必须是非负整数，而不是 {self.amount!r}",
                f"a limit's amount must be a non-negative integer, not {self.amount!r}",
            )
        if not isinstance(self.unit, Unit):
            raise ClockError(f"未知的时限单位 {self.unit!r}", f"unknown limit unit {self.unit!r}")

    @staticmethod
    def parse(text: str | Limit) -> Limit:
        """``"5wd"`` → ``Limit(5, Unit.WORKDAYS)``; units ``wd``, ``d``, ``wh``, ``h`` (case-insensitive)."""
        if isinstance(text, Limit):
            return text
        return _parse(text)

    @property
    def code(self) -> int:
        return self.unit.code

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"

    @property
    def label_zh(self) -> str:
        """``"5个工作日"``, ``"30日"``, ``"16个工作小时"``, ``"48小时"``."""
        return f"{self.amount}{self.unit.label_zh}"


@lru_cache(maxsize=1024)
def _parse(text: str) -> Limit:
    if not isinstance(text, str):
        raise ClockError(
            f'时限必须是文本，如 "5wd"，而不是 {text!r}', f'a limit is text like "5wd", not {text!r}'
        )
    match = _LIMIT_RE.match(text)
    if match is None:
        raise ClockError(
            f"无法识别的时限 {text!r}（应为数量加单位，如 5wd、30d、16wh、48h）",
            f"cannot read the limit {text!r} (expected an amount and a unit: 5wd, 30d, 16wh, 48h)",
        )
    amount, unit_text = match.groups()
    try:
        unit = Unit(unit_text.lower())
    except ValueError:
        raise ClockError(
            f"未知的时限单位 {unit_text!r}（可用 wd 工作日、d 自然日、wh 工作小时、h 小时）",
            f"unknown limit unit {unit_text!r} (use wd working days, d days, wh working hours, h hours)",
        ) from None
    return Limit(int(amount), unit)
