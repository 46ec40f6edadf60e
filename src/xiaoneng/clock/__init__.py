"""The clock (时限): calendars, limits, deadlines and stages for every deadline in Xiaoneng.

Framework-free (pure Python + NumPy, no Django). See docs/clock.md for the rules and the law.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> cal = Calendar.builtin()
    >>> d = deadline(cal, datetime(2026, 2, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai")), "5wd")
    >>> d.at.isoformat(), d.label(), d.provisional
    ('2026-02-28T00:00:00+08:00', '2026-02-27 24:00', False)
"""

from .bulk import OPEN_END, bulk_deadlines
from .calendars import DEFAULT_OFFICE_HOURS, DEFAULT_TZ, Calendar, YearNotice
from .engine import Deadline, Pause, deadline
from .errors import ClockError, OpenPauseError
from .limits import Limit, Unit
from .notice import format_notice, parse_notice
from .stages import Stage, StageInfo, StagePolicy, stage_at
from .statutory import qingming, statutory_festivals, statutory_holidays

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "DEFAULT_TZ",
    "OPEN_END",
    "Calendar",
    "ClockError",
    "Deadline",
    "Limit",
    "OpenPauseError",
    "Pause",
    "Stage",
    "StageInfo",
    "StagePolicy",
    "Unit",
    "YearNotice",
    "bulk_deadlines",
    "deadline",
    "format_notice",
    "parse_notice",
    "qingming",
    "stage_at",
    "statutory_festivals",
    "statutory_holidays",
]
