"""Scoped reads of 政务服务电子监察."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from xiaoneng.core import paging, scope

from .models import BAD_RATINGS, Case, DataAnomaly, Matter

TZ = ZoneInfo("Asia/Shanghai")


def matters(user, params) -> scope.ScopedQuerySet:
    """The catalog the user may see, filtered by q (code or name), department, level, type, instant."""
    qs = scope.restrict(Matter, user).select_related("department")
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if (department := number(params.get("department"))) is not None:
        qs = qs.filter(department_id=department)
    for field in ("level", "type"):
        if params.get(field):
            qs = qs.filter(**{field: params[field]})
    if params.get("instant") in ("1", "0"):
        qs = qs.filter(instant=params["instant"] == "1")
    return qs.order_by("code")


def number(text: Any, digits: int = 18) -> int | None:
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """A period of local days as instants [first 00:00, last + 1 00:00)."""
    start = datetime.combine(first, time(), tzinfo=TZ) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=TZ) if last else None
    return start, end


# The cases behind each number of the metrics: (the time field the period applies to, the extra condition).
MEASURES: dict[str, tuple[str, Q]] = {
    "applied": ("applied_at", Q()),
    "accepted": ("accepted_at", Q(accepted_at__isnull=False)),
    "completed": ("completed_at", Q(completed_at__isnull=False)),
    "on_time": ("completed_at", Q(on_time=True)),
    "late": ("completed_at", Q(on_time=False)),
    "early": ("completed_at", Q(early=True)),
    "onsite": ("completed_at", Q(onsite=True)),
    "rated": ("rated_at", Q(rating__isnull=False)),
    "satisfied": ("rated_at", Q(rating__gte=3)),
    "bad": ("rated_at", Q(rating__in=list(BAD_RATINGS))),
    "rectified": ("rated_at", Q(rating__in=list(BAD_RATINGS), rectified=True)),
    "open": ("applied_at", Q(completed_at__isnull=True)),
    "warning": ("applied_at", Q(completed_at__isnull=True, stage="warning")),
    "overdue": ("applied_at", Q(completed_at__isnull=True, stage__in=["yellow", "red"])),
    "paused": ("applied_at", Q(completed_at__isnull=True, paused=True)),
}
CASE_ORDER = paging.Keyset("pk")


def cases(user, params) -> scope.ScopedQuerySet:
    """The cases the user may see: by department, matter, window, level, case number, and the measure of a
    period (the drill-down behind a number of the metrics)."""
    qs = scope.restrict(Case, user)
    for field in ("department", "matter", "window"):
        if (value := number(params.get(field))) is not None:
            qs = qs.filter(**{f"{field}_id": value})
    if params.get("level"):
        qs = qs.filter(level=params["level"])
    if q := (params.get("q") or "").strip():
        qs = qs.filter(case_no__icontains=q)
    measure = params.get("measure") or ""
    field, condition = MEASURES.get(measure, ("applied_at", Q()))
    qs = qs.filter(condition)
    start, end = bounds(day(params.get("from")), day(params.get("to")))
    if start:
        qs = qs.filter(**{f"{field}__gte": start})
    if end:
        qs = qs.filter(**{f"{field}__lt": end})
    return CASE_ORDER.order(qs)


def anomalies(user, params) -> scope.ScopedQuerySet:
    """Data anomalies the user may see, newest first: by code, disposition, department, matter, period."""
    qs = scope.restrict(DataAnomaly, user)
    if params.get("code"):
        qs = qs.filter(code=params["code"])
    if params.get("disposition"):
        qs = qs.filter(disposition=params["disposition"])
    for field in ("department", "matter", "source"):
        if (value := number(params.get(field))) is not None:
            qs = qs.filter(**{f"{field}_id": value})
    if (window := number(params.get("window"))) is not None:
        qs = qs.filter(case__window_id=window) if window else qs.filter(case__window__isnull=True)
    if params.get("level"):
        qs = qs.filter(matter__level=params["level"])
    start, end = bounds(day(params.get("from")), day(params.get("to")))
    if start:
        qs = qs.filter(detected_at__gte=start)
    if end:
        qs = qs.filter(detected_at__lt=end)
    return qs.order_by("-id")


def case_alerts(user, params) -> scope.ScopedQuerySet:
    """Alerts the user may see, newest first: by type, state ("open": not decided), department, colour."""
    from .models import CaseAlert

    qs = scope.restrict(CaseAlert, user).select_related("work_item", "case__matter", "department")
    if params.get("type"):
        qs = qs.filter(type=params["type"])
    state = params.get("state") or ""
    if state == "open":
        qs = qs.filter(work_item__closed_at__isnull=True)
    elif state:
        qs = qs.filter(work_item__state=state)
    if (department := number(params.get("department"))) is not None:
        qs = qs.filter(department_id=department)
    for field in ("matter", "window"):
        if (value := number(params.get(field))) is not None:
            qs = qs.filter(**{f"case__{field}_id": value})
    if params.get("level"):
        qs = qs.filter(case__level=params["level"])
    if params.get("types"):
        qs = qs.filter(type__in=params["types"].split(","))
    if (case := number(params.get("case"))) is not None:
        qs = qs.filter(case_id=case)
    start, end = bounds(day(params.get("from")), day(params.get("to")))
    if start:
        qs = qs.filter(raised_at__gte=start)
    if end:
        qs = qs.filter(raised_at__lt=end)
    return qs.order_by("-pk")


def home_cards(user) -> list[dict]:
    """What waits for this user in 政务服务电子监察: explanations to review (supervisors); alerts to explain and
    差评 to rectify (a department)."""
    from django.db.models import Count, Q
    from django.utils.translation import gettext_lazy as _

    from xiaoneng.org.roles import Role

    from .models import CaseAlert

    if user.role == Role.SUPERVISOR:
        n = scope.restrict(CaseAlert, user).filter(work_item__state__in=["explained", "revisited"]).count()
        return [
            {
                "label": _("待审核监察告警"),
                "value": n,
                "url": "eservice_alerts",
                "query": "state=open",
                "tone": "primary",
            }
        ]
    if user.role in (Role.LIAISON, Role.UNIT_LEADER):
        agg = (
            scope.restrict(CaseAlert, user)
            .filter(department_id=user.unit_id)
            .aggregate(
                explain=Count("pk", filter=Q(work_item__state="awaiting")),
                rectify=Count("pk", filter=Q(work_item__state="pending")),
            )
        )
        return [
            {
                "label": _("待说明监察告警"),
                "value": agg["explain"],
                "url": "eservice_alerts",
                "query": "state=awaiting",
                "tone": "warning",
            },
            {
                "label": _("待整改差评"),
                "value": agg["rectify"],
                "url": "eservice_alerts",
                "query": "state=pending",
                "tone": "warning",
            },
        ]
    return []
