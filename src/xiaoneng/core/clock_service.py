"""The Django side of the clock: loads the calendar in force (the shipped data, administrators' versions,
regional overlays) and asks the pure engine in `xiaoneng.clock` for deadlines and stages. No module adds days to
dates by itself: everything goes through here."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils.translation import gettext as _gettext

from xiaoneng import clock

from .workflow import TransitionRefused

if TYPE_CHECKING:
    from .models import WorkItem
    from .workitem import Kind

_CACHE_SECONDS = 5.0
_lock = threading.Lock()
_cache: dict[str, Any] = {"checked": 0.0, "version": None, "calendars": {}}


def parse_limit(text: str) -> clock.Limit:
    """A limit like "5wd", "30d", "8wh", "48h"; a clear 400 otherwise."""
    try:
        return clock.Limit.parse(text)
    except clock.ClockError as exc:
        raise TransitionRefused(str(exc), status=400, code="bad_limit") from None


def _version() -> int:
    from .models import CalendarVersion

    return CalendarVersion.objects.aggregate(v=Max("id"))["v"] or 0


def invalidate() -> None:
    with _lock:
        _cache.update(checked=0.0, version=None, calendars={})


def calendar(region_path: str = "") -> clock.Calendar:
    """The calendar in force for a region (national when empty): the shipped notices, then each year's
    newest national version, then the newest local overlays of the region and its ancestors."""
    now = time.monotonic()
    with _lock:
        if now - _cache["checked"] > _CACHE_SECONDS:
            v = _version()
            if v != _cache["version"]:
                _cache.update(version=v, calendars={})
            _cache["checked"] = now
        cached = _cache["calendars"].get(region_path)
    if cached is not None:
        return cached
    cal = _build(region_path)
    with _lock:
        _cache["calendars"][region_path] = cal
    return cal


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


def evaluate(item: WorkItem, kind: Kind, now: datetime) -> Evaluation:
    """Deadline and stage of `item` at `now` from its start, limit, pauses and approved extensions."""
    from .models import ExtensionStatus

    cal = calendar(_calendar_region(item))
    pauses = [(p.started_at, p.ended_at) for p in item.pauses.all()] if item.pk else []
    extensions = (
        [parse_limit(e.limit) for e in item.extensions.filter(status=ExtensionStatus.APPROVED)]
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
            extensions=extensions,
            office_close=item.office_close,
        )
    except clock.ClockError as exc:
        raise TransitionRefused(
            _gettext("时限计算失败：%(e)s") % {"e": exc}, status=400, code="clock_error"
        ) from None
    return Evaluation(info.deadline, info.provisional, str(info.stage.value), info.next_change)


def _calendar_region(item: WorkItem) -> str:
    return item.region_path or ""
