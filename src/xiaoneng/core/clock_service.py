"""The Django side of the clock: loads the calendar in force (the shipped data, administrators' versions,
regional overlays) and asks the pure engine in `xiaoneng.clock` for deadlines and stages. No module adds days to
dates by itself: everything goes through here."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils.translation import gettext

from xiaoneng import clock

from .i18n import clock_message
from .workflow import TransitionRefused

if TYPE_CHECKING:
    from .models import WorkItem
    from .workitem import Kind

_CACHE_SECONDS = 5.0
_lock = threading.Lock()
_cache: dict[str, Any] = {"checked": 0.0, "version": None, "calendars": {}, "local": None}


def parse_limit(text: str) -> clock.Limit:
    """A limit like "5wd", "30d", "8wh", "48h"; a clear 400 otherwise."""
    try:
        return clock.Limit.parse(text)
    except clock.ClockError as exc:
        raise TransitionRefused(clock_message(exc), status=400, code="bad_limit") from None


def _version() -> int:
    from .models import CalendarVersion

    return CalendarVersion.objects.aggregate(v=Max("id"))["v"] or 0


def invalidate() -> None:
    with _lock:
        _cache.update(checked=0.0, version=None, calendars={}, local=None)


def calendar(region_path: str = "") -> clock.Calendar:
    """The calendar in force for a region (national when empty): the shipped notices, then each year's
    newest national version, then the newest local overlays of the region and its ancestors."""
    now = time.monotonic()
    with _lock:
        if now - _cache["checked"] > _CACHE_SECONDS:
            v = _version()
            if v != _cache["version"]:
                _cache.update(version=v, calendars={}, local=None)
            _cache["checked"] = now
        cached = _cache["calendars"].get(region_path)
    if cached is not None:
        return cached
    codes = [c for c in region_path.strip("/").split("/") if c]
    if region_path and not set(codes) & _local_regions():
        cal = calendar("")  # no local overlay on the way up: the national calendar itself (built once)
    else:
        cal = _build(region_path)
    with _lock:
        _cache["calendars"][region_path] = cal
    return cal


def _local_regions() -> set[str]:
    """The codes of the regions with a local overlay of their own (read once per calendar version)."""
    from .models import CalendarVersion

    with _lock:
        known = _cache["local"]
    if known is None:
        known = set(
            CalendarVersion.objects.filter(region__isnull=False).values_list("region__code", flat=True)
        )
        with _lock:
            _cache["local"] = known
    return known


def _build(region_path: str) -> clock.Calendar:
    from .models import CalendarVersion

    cal = clock.Calendar.builtin()
    national: dict[int, CalendarVersion] = {}
    for v in CalendarVersion.objects.filter(region__isnull=True).order_by("id"):
        national[v.year] = v
    for year, v in sorted(national.items()):
        cal = cal.with_year(year, v.holidays, v.workdays)
    if region_path:
        codes = [c for c in region_path.strip("/").split("/") if c]
        local: dict[tuple[int, str], CalendarVersion] = {}
        for v in (
            CalendarVersion.objects.filter(region__code__in=codes).select_related("region").order_by("id")
        ):
            local[(v.year, v.region.code)] = v
        if local:
            holidays: list[Any] = []
            workdays: list[Any] = []
            for v in local.values():
                holidays += v.holidays
                workdays += v.workdays
            cal = cal.overlay(holidays=holidays, workdays=workdays)
    return cal


@dataclass(frozen=True)
class Evaluation:
    deadline: datetime | None
    provisional: bool
    stage: str
    next_change: datetime | None
    # Where red begins (the clock's red boundary), for the card a red stage leaves on the unit's record.
    red_at: datetime | None = None


def evaluate(
    item: WorkItem,
    kind: Kind,
    now: datetime,
    *,
    pauses: Sequence[tuple[datetime, datetime | None]] | None = None,
    extensions: Sequence[str] | None = None,
) -> Evaluation:
    """Deadline and stage of `item` at `now` from its start, limit, pauses and approved extensions.

    The item's pauses and extensions are read through `.all()` (a caller that prefetched them asks the database
    nothing here), unless the caller hands them in, read for many items at once (the sweep): `pauses` as
    (start, end) pairs, `extensions` as the limits approved since the item's start, in the order requested."""
    from .models import ExtensionStatus

    cal = calendar(_calendar_region(item))
    if pauses is None:
        pauses = [(p.started_at, p.ended_at) for p in item.pauses.all()] if item.pk else []
    if extensions is None:
        # The extensions of the current phase only: one approved before the clock last (re)started (a complaint
        # sent back for re-handling, reopened) lengthened a limit that is over.
        extensions = (
            [
                e.limit
                for e in item.extensions.all()
                if e.status == ExtensionStatus.APPROVED
                and (e.decided_at is None or e.decided_at >= item.started_at)
            ]
            if item.pk
            else []
        )
    policy = clock.StagePolicy(warning=kind.warning, red=kind.red_after)
    try:
        info = clock.stage_at(
            cal,
            item.started_at,
            parse_limit(item.limit),
            now,
            policy,
            pauses=pauses,
            extensions=[parse_limit(e) for e in extensions],
            office_close=item.office_close,
        )
    except clock.ClockError as exc:
        raise TransitionRefused(
            gettext("时限计算失败：%(e)s") % {"e": exc}, status=400, code="clock_error"
        ) from None
    # The item's mark says whether its deadline may still move; a red boundary in an unknown year does not
    # make the deadline itself provisional.
    return Evaluation(
        info.deadline, info.deadline_provisional, str(info.stage.value), info.next_change, info.red_at
    )


def deadline_for(start: datetime, limit: str, region_path: str = "") -> datetime:
    """A secondary deadline of a work item (a sign-for limit, the next report due) from the same clock."""
    try:
        return clock.deadline(calendar(region_path), start, parse_limit(limit)).at
    except clock.ClockError as exc:
        raise TransitionRefused(clock_message(exc), status=400, code="clock_error") from None


def _calendar_region(item: WorkItem) -> str:
    return item.region_path or ""


# --- administrators' calendar versions ---------------------------------------------------------------------


def _iso_dates(values: Any, year: int, what: str) -> list[str]:
    from datetime import date

    out = set()
    for v in values:
        try:
            d = v if isinstance(v, date) else date.fromisoformat(str(v).strip())
        except ValueError:
            raise TransitionRefused(
                gettext("无法识别的日期 %(v)s (cannot read the date)") % {"v": v},
                status=400,
                code="bad_date",
            ) from None
        if abs(d.year - year) > 1 or (d.year != year and d.month not in (1, 12)):
            raise TransitionRefused(
                gettext("%(what)s %(d)s 不在 %(y)s 年 (not in that year)")
                % {"what": what, "d": d, "y": year},
                status=400,
                code="bad_date",
            )
        out.add(d.isoformat())
    return sorted(out)


def save_year(
    *,
    actor: Any,
    year: int,
    holidays: Any,
    workdays: Any,
    region: Any = None,
    note: str = "",
    source: str = "grid",
) -> Any:
    """A new version of `year`'s calendar (national, or a region's local overlay). Validated before anything is
    written; the audit row and the version commit together; after commit every open deadline touching the year
    is recomputed in the background and the change is logged on each item's timeline."""
    from django.db import transaction

    from . import audit
    from .audit import AuditEventType
    from .models import CalendarVersion

    if not 1949 <= int(year) <= 2100:
        raise TransitionRefused(gettext("年度超出范围 (year out of range)"), status=400, code="bad_year")
    hol = _iso_dates(holidays, year, gettext("放假日期"))
    work = _iso_dates(workdays, year, gettext("上班日期"))
    both = set(hol) & set(work)
    if both:
        raise TransitionRefused(
            gettext("同一天不能既放假又上班：%(d)s (a day cannot be both off and working)")
            % {"d": ", ".join(sorted(both))},
            status=400,
            code="conflict",
        )
    if region is not None:
        # A region stores only what differs from the national calendar (its local overlay).
        national = year_view(year)
        nat_hol, nat_work = set(national["holidays"]), set(national["workdays"])
        hol, work = sorted(set(hol) - nat_hol), sorted((set(work) - nat_work) | (nat_hol - set(hol)))
    with transaction.atomic():
        previous = CalendarVersion.objects.filter(year=year, region=region).order_by("-id").first()
        version = CalendarVersion.objects.create(
            year=year,
            region=region,
            holidays=hol,
            workdays=work,
            note=note[:200],
            source=source,
            created_by=actor,
        )
        audit.record(
            AuditEventType.CALENDAR_CHANGED,
            actor=actor,
            obj=version,
            data={
                "year": year,
                "region": region.code if region else None,
                "added_holidays": sorted(set(hol) - set(previous.holidays if previous else [])),
                "removed_holidays": sorted(set(previous.holidays if previous else []) - set(hol)),
                "added_workdays": sorted(set(work) - set(previous.workdays if previous else [])),
                "removed_workdays": sorted(set(previous.workdays if previous else []) - set(work)),
                "note": note,
            },
        )
        transaction.on_commit(invalidate)
        transaction.on_commit(lambda: _enqueue_recompute(version.pk))
    invalidate()
    return version


def _enqueue_recompute(version_id: int) -> None:
    from .tasks import recompute_after_calendar_change

    recompute_after_calendar_change.enqueue(version_id)


def year_view(year: int, region_path: str = "") -> dict[str, Any]:
    """What the year grid shows: every day of `year` with its mark, and whether the year is known."""
    import calendar as pycal

    cal = calendar(region_path)
    notice = cal.notice(year)
    known = notice is not None
    holidays = set(notice.holidays) if notice else set(clock.statutory_holidays(year))
    workdays = set(notice.workdays) if notice else set()
    holidays = (holidays - set(cal.local_workdays)) | set(cal.local_holidays)
    workdays = (workdays - set(cal.local_holidays)) | {d for d in cal.local_workdays if d.weekday() >= 5}
    from django.utils import timezone

    today = timezone.localdate()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row = []
            for d in week:
                if d.month != month:
                    row.append(None)
                    continue
                mark = "holiday" if d in holidays else "workday" if d in workdays else ""
                row.append(
                    {
                        "date": d,
                        "iso": d.isoformat(),
                        "weekend": d.weekday() >= 5,
                        "mark": mark,
                        "working": cal.is_workday(d),
                        "today": d == today,
                    }
                )
            weeks.append(row)
        months.append({"month": month, "weeks": weeks})
    return {
        "year": year,
        "known": known,
        "statutory_only": not known,
        "months": months,
        "holidays": sorted(d.isoformat() for d in holidays if d.year == year),
        "workdays": sorted(d.isoformat() for d in workdays if d.year == year),
    }
