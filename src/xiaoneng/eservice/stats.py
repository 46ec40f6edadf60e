"""The metrics of 政务服务电子监察, read from the rollup counters (never from the cases):

- 按时办结率 = on time ÷ completed;  现场办结率 = on site (an instant matter completed the day it was applied
  for) ÷ completed;  提前办结率 = early ÷ completed;  平均用时占比 = Σ share of the limit used ÷ completed cases
  with a limit (instant matters have none);  满意率 = (非常满意 + 满意 + 基本满意) ÷ rated;
  差评整改率 = 差评 rectified ÷ 差评;  anomalies and alerts as counts.
- Each figure belongs to the day of its event: completions to the completion day, ratings (and their
  rectification) to the rating day, anomalies to the day they were found, alerts to the day they were raised.

A period of whole months reads the monthly table; the partial months at its ends read the daily table, so any
period costs at most a few thousand rows whatever the number of cases. `recount` computes the same figures from
the raw rows (tests compare the two; `manage.py eservice_rebuild_stats` rebuilds the counters from them).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import scope
from xiaoneng.org.models import RegionLevel, Unit

from . import presets, selectors
from .models import DailyStat, Matter, MonthlyStat, StatCounters, Window

COUNTERS = StatCounters.COUNTERS
GROUPS = {
    "department": _("实施部门"),
    "matter": _("事项"),
    "window": _("窗口"),
    "level": _("服务层级"),
    "month": _("月份"),
}
# The rates, each as (numerator counter, denominator counter, target key or None).
RATES = {
    "on_time_rate": ("on_time", "completed", "on_time"),
    "onsite_rate": ("onsite", "completed", "onsite"),
    "early_rate": ("early", "completed", None),
    "used_share": ("used_share_sum", "limited", None),
    "satisfaction": ("satisfied", "rated", "satisfaction"),
    "rectification_rate": ("rectified", "bad", "rectification"),
}


@dataclass
class Query:
    """What the metrics page asks: a period of local days, a grouping and filters."""

    start: date
    end: date
    group: str = "department"
    department: int | None = None
    matter: int | None = None
    window: int | None = None
    level: str = ""

    @classmethod
    def from_params(cls, params: Any, today: date | None = None) -> Query:
        today = today or timezone.localdate()
        start = selectors.day(params.get("from")) or today.replace(day=1)
        end = selectors.day(params.get("to")) or today
        if end < start:
            start, end = end, start
        group = params.get("group") if params.get("group") in GROUPS else "department"
        return cls(
            start=start,
            end=end,
            group=group,
            department=selectors.number(params.get("department")),
            matter=selectors.number(params.get("matter")),
            window=selectors.number(params.get("window")),
            level=params.get("level") if params.get("level") in RegionLevel.values else "",
        )

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.department is not None:
            out["department_id"] = self.department
        if self.matter is not None:
            out["matter_id"] = self.matter
        if self.window is not None:
            out["window_id"] = self.window
        if self.level:
            out["level"] = self.level
        return out

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for links that keep it)."""
        out = {"from": self.start.isoformat(), "to": self.end.isoformat(), "group": self.group}
        for key in ("department", "matter", "window"):
            if getattr(self, key) is not None:
                out[key] = str(getattr(self, key))
        if self.level:
            out["level"] = self.level
        return out


def split(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The period as (first, last) whole months (as first days) and the partial day ranges around them."""
    first_full = start if start.day == 1 else _next_month(start)
    last_day_of_end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    last_full = end.replace(day=1) if end == last_day_of_end else end.replace(day=1) - timedelta(days=1)
    last_full = last_full.replace(day=1)
    if first_full > last_full:
        return None, [(start, end)]
    days = []
    if start < first_full:
        days.append((start, first_full - timedelta(days=1)))
    after = _next_month(last_full)
    if after <= end:
        days.append((after, end))
    return (first_full, last_full), days


def _next_month(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def _key_field(group: str, table: type) -> str:
    if group == "month":
        return "month" if table is MonthlyStat else "day"
    return {"department": "department_id", "matter": "matter_id", "window": "window_id", "level": "level"}[
        group
    ]


def _sums(qs, key: str) -> list[dict[str, Any]]:
    return list(qs.order_by().values(key).annotate(**{f"s_{c}": Sum(c) for c in COUNTERS}))


@dataclass
class Row:
    key: Any
    label: str = ""
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    def rate(self, name: str) -> float | None:
        num, den, _target = RATES[name]
        d = self.counts[den]
        return self.counts[num] / d if d else None

    @property
    def rates(self) -> dict[str, float | None]:
        return {name: self.rate(name) for name in RATES}


def metrics(user, query: Query) -> dict[str, Any]:
    """The metrics of `query` in `user`'s scope: one row per group and the total, with the targets."""
    months, day_ranges = split(query.start, query.end)
    rows: dict[Any, Row] = {}

    def fold(table: type, qs) -> None:
        key = _key_field(query.group, table)
        for r in _sums(qs, key):
            k = r[key]
            if query.group == "month" and table is DailyStat:
                k = k.replace(day=1)
            row = rows.setdefault(k, Row(k))
            for c in COUNTERS:
                row.counts[c] += r[f"s_{c}"] or 0

    f = query.filters()
    if months:
        fold(
            MonthlyStat,
            scope.restrict(MonthlyStat, user).filter(month__gte=months[0], month__lte=months[1], **f),
        )
    for first, last in day_ranges:
        fold(DailyStat, scope.restrict(DailyStat, user).filter(day__gte=first, day__lte=last, **f))
    total = Row("total", str(_("合计")))
    for row in rows.values():
        for c in COUNTERS:
            total.counts[c] += row.counts[c]
    ordered = sorted(rows.values(), key=lambda r: str(r.key) if query.group != "month" else r.key)
    _label(ordered, query.group)
    if query.group != "month":
        ordered.sort(key=lambda r: (-r.counts["completed"], r.label))
    return {"rows": ordered, "total": total, "targets": presets.get("targets"), "query": query}


def _label(rows: list[Row], group: str) -> None:
    keys = [r.key for r in rows]
    if group == "department":
        names = dict(Unit.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group == "matter":
        names = {
            pk: f"{code} {name}"
            for pk, code, name in Matter.objects.filter(pk__in=keys).values_list("pk", "code", "name")
        }
    elif group == "window":
        names = dict(Window.objects.filter(pk__in=keys).values_list("pk", "name"))
        names[0] = str(_("未报送窗口"))
    elif group == "level":
        names = {k: str(v) for k, v in RegionLevel.choices}
    else:
        names = {k: f"{k:%Y-%m}" for k in keys}
    for r in rows:
        r.label = names.get(r.key, str(r.key))


def drill_params(query: Query, row_key: Any) -> dict[str, str]:
    """The case list's parameters for one row of the metrics (its group value added to the query's filters)."""
    params = query.params()
    params.pop("group", None)
    if row_key == "total":
        return params
    if query.group == "month":
        first = row_key
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        params["from"] = max(first, query.start).isoformat()
        params["to"] = min(last, query.end).isoformat()
    elif query.group == "level":
        params["level"] = row_key
    else:
        params[query.group] = str(row_key)
    return params


# --- the brute-force recount (tests, repair) ---------------------------------------------------------------------


def recount(start: date, end: date) -> dict[tuple[date, int, int], dict[str, float]]:
    """Every counter per (day, matter, window) from the raw rows: cases, anomalies, alerts. What the rollups must
    hold; slow (it reads everything of the period)."""
    from .models import BAD_RATINGS, AlertType, Case, CaseAlert, DataAnomaly

    lo, hi = selectors.bounds(start, end)
    out: dict[tuple[date, int, int], dict[str, float]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))

    def day(dt) -> date:
        return timezone.localtime(dt).date()

    fields = (
        "matter_id",
        "window_id",
        "applied_at",
        "accepted_at",
        "completed_at",
        "on_time",
        "early",
        "onsite",
        "used_share",
        "rating",
        "rated_at",
        "rectified",
    )
    for c in Case.objects.values(*fields).iterator():
        key = (c["matter_id"], c["window_id"] or 0)
        if lo <= c["applied_at"] < hi:
            out[(day(c["applied_at"]), *key)]["applied"] += 1
        if c["accepted_at"] and lo <= c["accepted_at"] < hi:
            out[(day(c["accepted_at"]), *key)]["accepted"] += 1
        if c["completed_at"] and lo <= c["completed_at"] < hi:
            row = out[(day(c["completed_at"]), *key)]
            row["completed"] += 1
            row["on_time"] += bool(c["on_time"])
            row["early"] += bool(c["early"])
            row["onsite"] += bool(c["onsite"])
            if c["used_share"] is not None:
                row["limited"] += 1
                row["used_share_sum"] += c["used_share"]
        if c["rated_at"] and lo <= c["rated_at"] < hi:
            row = out[(day(c["rated_at"]), *key)]
            row["rated"] += 1
            bad = c["rating"] in BAD_RATINGS
            row["bad" if bad else "satisfied"] += 1
            row["rectified"] += bool(bad and c["rectified"])
    for a in DataAnomaly.objects.filter(detected_at__gte=lo, detected_at__lt=hi, matter__isnull=False).values(
        "detected_at", "matter_id", "case__window_id"
    ):
        out[(day(a["detected_at"]), a["matter_id"], a["case__window_id"] or 0)]["anomalies"] += 1
    counter = {
        AlertType.OVERDUE: "yellow",
        AlertType.OVERDUE_RED: "red",
        AlertType.FEE: "fee_alerts",
        AlertType.LATE_ACCEPTANCE: "offsystem_alerts",
        AlertType.QUICK_COMPLETION: "offsystem_alerts",
    }
    for a in CaseAlert.objects.filter(raised_at__gte=lo, raised_at__lt=hi).values(
        "raised_at", "type", "case__matter_id", "case__window_id"
    ):
        if a["type"] in counter:
            out[(day(a["raised_at"]), a["case__matter_id"], a["case__window_id"] or 0)][
                counter[a["type"]]
            ] += 1
    return {(d, m, w): v for (d, m, w), v in out.items()}


def rebuild(actor: Any = None) -> int:
    """Rebuild every rollup counter from the raw rows, in one transaction, with database aggregates (a repair
    after a bug or a restore; the bench loads its ten million cases this way). On PostgreSQL the counter tables
    are locked first: an intake running meanwhile waits, then adds its own increments on top. Returns the
    number of daily rows written."""
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(
                    f"LOCK TABLE {DailyStat._meta.db_table}, {MonthlyStat._meta.db_table} IN EXCLUSIVE MODE"
                )
        return _rebuild(actor)


def _rebuild(actor: Any) -> int:
    from django.db import transaction
    from django.db.models import Count, F, Q
    from django.db.models.functions import TruncDate

    from xiaoneng.core import audit
    from xiaoneng.core.audit import AuditEventType

    from .models import BAD_RATINGS, AlertType, Case, CaseAlert, DataAnomaly

    tz = timezone.get_current_timezone()
    agg: dict[tuple[date, int, int], dict[str, float]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))

    def add(qs, field: str, window: str, **exprs) -> None:
        rows = qs.annotate(d=TruncDate(field, tzinfo=tz)).order_by().values("d", "m", "w").annotate(**exprs)
        for r in rows:
            target = agg[(r["d"], r["m"], r["w"] or 0)]
            for name in exprs:
                target[name] += r[name] or 0

    cases = Case.objects.annotate(m=F("matter_id"), w=F("window_id"))
    add(cases, "applied_at", "w", applied=Count("id"))
    add(cases.filter(accepted_at__isnull=False), "accepted_at", "w", accepted=Count("id"))
    add(
        cases.filter(completed_at__isnull=False),
        "completed_at",
        "w",
        completed=Count("id"),
        on_time=Count("id", filter=Q(on_time=True)),
        early=Count("id", filter=Q(early=True)),
        onsite=Count("id", filter=Q(onsite=True)),
        limited=Count("id", filter=Q(used_share__isnull=False)),
        used_share_sum=Sum("used_share"),
    )
    bad = Q(rating__in=list(BAD_RATINGS))
    add(
        cases.filter(rated_at__isnull=False),
        "rated_at",
        "w",
        rated=Count("id"),
        satisfied=Count("id", filter=~bad),
        bad=Count("id", filter=bad),
        rectified=Count("id", filter=bad & Q(rectified=True)),
    )
    add(
        DataAnomaly.objects.filter(matter__isnull=False).annotate(m=F("matter_id"), w=F("case__window_id")),
        "detected_at",
        "w",
        anomalies=Count("id"),
    )
    alerts = CaseAlert.objects.annotate(m=F("case__matter_id"), w=F("case__window_id"))
    add(
        alerts,
        "raised_at",
        "w",
        yellow=Count("pk", filter=Q(type=AlertType.OVERDUE)),
        red=Count("pk", filter=Q(type=AlertType.OVERDUE_RED)),
        fee_alerts=Count("pk", filter=Q(type=AlertType.FEE)),
        offsystem_alerts=Count(
            "pk", filter=Q(type__in=[AlertType.LATE_ACCEPTANCE, AlertType.QUICK_COMPLETION])
        ),
    )
    attrs = {
        pk: (dept, level, path)
        for pk, dept, level, path in Matter.objects.values_list("pk", "department_id", "level", "region_path")
    }
    daily, monthly = [], defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for (d, m, w), counts in agg.items():
        dept, level, path = attrs[m]
        daily.append(
            DailyStat(
                day=d, matter_id=m, window_id=w, department_id=dept, level=level, region_path=path, **counts
            )
        )
        month = monthly[(d.replace(day=1), m, w)]
        for c in COUNTERS:
            month[c] += counts[c]
    monthly_rows = []
    for (first, m, w), counts in monthly.items():
        dept, level, path = attrs[m]
        monthly_rows.append(
            MonthlyStat(
                month=first,
                matter_id=m,
                window_id=w,
                department_id=dept,
                level=level,
                region_path=path,
                **counts,
            )
        )
    with transaction.atomic():
        DailyStat.objects.all().delete()
        MonthlyStat.objects.all().delete()
        DailyStat.objects.bulk_create(daily, batch_size=2000)
        MonthlyStat.objects.bulk_create(monthly_rows, batch_size=2000)
        audit.record(
            AuditEventType.ESERVICE_STATS_REBUILT,
            actor=actor,
            actor_name="" if actor else "manage.py",
            data={"daily": len(daily), "monthly": len(monthly_rows)},
        )
    return len(daily)
