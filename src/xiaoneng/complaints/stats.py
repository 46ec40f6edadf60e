"""效能投诉统计: volume and rates by unit complained about, category, channel and month (SPEC §2).

Every number is read from `scope.restrict(Complaint, user)` — a user counts only the complaints they may see —
and no identity field is ever read. For complaints submitted in [start, end]:

- volume: how many;
- acceptance rate: accepted (or any state beyond) ÷ decided (accepted or beyond, plus not accepted);
- on-time reply rate: replied to the complainant (`replied_at`) no later than the work item's clock deadline ÷
  replied (deadlines come from the clock — nothing here adds days);
- 属实率: 属实 + 部分属实 ÷ with a finding;
- satisfaction: 满意 + 基本满意 ÷ rated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import scope

from .models import Channel, Complaint, Finding, Rating

UNDECIDED = ("received",)
NOT_ACCEPTED = ("not_accepted",)
DIMENSIONS = {
    "unit": ("subject_unit_id", _("被投诉单位")),
    "category": ("category_id", _("类别")),
    "channel": ("channel", _("渠道")),
    "month": ("month", _("月份")),
}


@dataclass
class Row:
    key: object
    label: str
    volume: int = 0
    decided: int = 0
    accepted: int = 0
    replied: int = 0
    on_time: int = 0
    with_finding: int = 0
    true: int = 0
    rated: int = 0
    satisfied: int = 0
    extra: dict = field(default_factory=dict)

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(100 * num / den, 1) if den else None

    @property
    def acceptance_rate(self):
        return self._rate(self.accepted, self.decided)

    @property
    def on_time_rate(self):
        return self._rate(self.on_time, self.replied)

    @property
    def true_rate(self):
        return self._rate(self.true, self.with_finding)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)


def default_period(today: date | None = None) -> tuple[date, date]:
    """This year: 1 January to today."""
    today = today or timezone.localdate()
    return date(today.year, 1, 1), today


def _aggregates() -> dict:
    state = "work_item__state"
    return {
        "volume": Count("pk"),
        "decided": Count("pk", filter=~Q(**{f"{state}__in": UNDECIDED})),
        "accepted": Count("pk", filter=~Q(**{f"{state}__in": UNDECIDED + NOT_ACCEPTED})),
        "replied": Count("pk", filter=Q(replied_at__isnull=False)),
        "on_time": Count(
            "pk",
            filter=Q(replied_at__isnull=False, work_item__deadline__isnull=False)
            & Q(replied_at__lte=F("work_item__deadline")),
        ),
        "with_finding": Count("pk", filter=~Q(finding="")),
        "true": Count("pk", filter=Q(finding__in=[Finding.TRUE, Finding.PARTLY])),
        "rated": Count("pk", filter=~Q(rating="")),
        "satisfied": Count("pk", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
    }


def base(user, start: date, end: date):
    """The complaints `user` may see, submitted from `start` to `end` (inclusive, local days)."""
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return scope.restrict(Complaint, user).filter(submitted_at__gte=lo, submitted_at__lt=hi)


def _counts(qs, key: str) -> list[dict]:
    qs = qs.order_by()
    if key == "month":
        qs = qs.annotate(month=TruncMonth("submitted_at", tzinfo=timezone.get_current_timezone()))
    return list(qs.values(key).annotate(**_aggregates()).order_by(key))


def table(user, dimension: str, start: date, end: date) -> list[Row]:
    """One row per value of `dimension` ("unit", "category", "channel", "month") with a complaint in the period,
    then a total row (key None)."""
    key = DIMENSIONS[dimension][0]
    qs = base(user, start, end)
    counts = _counts(qs, key)
    labels = _labels(dimension, [c[key] for c in counts])
    rows = []
    for c in counts:
        k = c.pop(key)
        if dimension == "month" and isinstance(k, datetime):
            k = timezone.localtime(k).date().replace(day=1) if timezone.is_aware(k) else k.date()
        label = k.strftime("%Y-%m") if dimension == "month" else labels.get(k, str(k))
        rows.append(Row(key=k, label=label, **c))
    if dimension == "month":
        rows.sort(key=lambda r: r.key)
    else:
        rows.sort(key=lambda r: (-r.volume, r.label))
    total = qs.order_by().aggregate(**_aggregates())
    rows.append(Row(key=None, label=str(_("合计")), **total))
    return rows


def _labels(dimension: str, keys: list) -> dict:
    if dimension == "unit":
        from xiaoneng.org.models import Unit

        return {u.pk: u.name for u in Unit.objects.filter(pk__in=[k for k in keys if k is not None])}
    if dimension == "category":
        from .models import Category

        return {c.pk: c.name for c in Category.objects.filter(pk__in=[k for k in keys if k is not None])}
    if dimension == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    return {}


def statistics(user, start: date, end: date) -> dict[str, list[Row]]:
    """All four tables."""
    return {d: table(user, d, start, end) for d in DIMENSIONS}
