"""Scoped reads of supervised work (the ledger 台帐)."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from xiaoneng.core import paging, scope
from xiaoneng.core.models import WorkItemUnit

from .models import SupervisedItem

STAGES = ("normal", "warning", "yellow", "red")

# The ledger's order: nearest deadline first, items without a deadline last, the id breaking ties; pages by key
# on it (core/paging.py) walk the (deadline, id) index of core_workitem — or, for one unit's items, the
# (owner_unit, deadline, id) index and the unit's co-unit rows as two streams (`_unit_cover`).
LEDGER_ORDER = paging.Keyset("work_item__deadline", "pk", nullable_first=True)


def ledger(
    user,
    *,
    q: str = "",
    source: str = "",
    state: str = "",
    stage: str = "",
    unit: str = "",
    due_within: str = "",
) -> "scope.ScopedQuerySet":
    """督办台帐: the items the user may see, filtered by source, state, stage, unit and deadline window, in
    LEDGER_ORDER. Every filter keeps one row per item (no join to a to-many table), so no DISTINCT."""
    from xiaoneng.org.roles import UNIT_ROLES

    qs = scope.restrict(SupervisedItem, user).select_related("work_item__owner_unit")
    # A unit's liaison or head sees the items the unit owns or takes part in (core/rules.py): two streams.
    cover_unit = user.unit_id if user.role in UNIT_ROLES else None
    if q:
        qs = qs.filter(Q(work_item__title__icontains=q) | Q(reference_no__icontains=q))
    if source:
        qs = qs.filter(source=source)
    if state == "open":
        qs = qs.filter(work_item__closed_at__isnull=True)
    elif state:
        qs = qs.filter(work_item__state=state)
    if stage in STAGES:
        qs = qs.filter(work_item__stage=stage, work_item__closed_at__isnull=True)
    if (unit_id := _number(unit, digits=18)) is not None:
        # Lead unit or co-unit: no join that would list an item twice. Pages and the capped count read the two
        # halves as separate streams (`_unit_cover`), each from its own index.
        # EXISTS, not `IN (subquery)`: inside an OR, PostgreSQL guesses a hashed IN subplan keeps half the rows
        # and may scan the table for it (core/rules.py work_item_q says more).
        co = WorkItemUnit.objects.filter(unit_id=unit_id, workitem_id=OuterRef("pk"))
        qs = qs.filter(Q(work_item__owner_unit_id=unit_id) | Q(Exists(co)))
        cover_unit = unit_id
    if (days := _number(due_within, digits=5)) is not None:
        now = timezone.now()
        qs = qs.filter(work_item__closed_at__isnull=True, work_item__deadline__lt=now + timedelta(days=days))
    if cover_unit is not None:
        qs = _unit_cover(qs, cover_unit)
    return LEDGER_ORDER.order(qs)


def _unit_cover(qs, unit_id: int):
    """`qs` (all of whose items the unit owns or takes part in) paged as two keyset streams merged
    (core/paging.py `covered_by`): the items the unit owns, a range of core_workitem's (owner_unit, deadline,
    id) index wherever the page is, and the items it takes part in, keyed by its rows of the co-unit table in
    their (unit, deadline, workitem) order (the deadline there is the item's, copied by the database, migration
    core.0011), then read by id. One query with the OR would make the database walk the whole ledger's order
    testing it, or collect the unit's items and sort them."""
    co = WorkItemUnit.objects.filter(unit_id=unit_id)
    co_unit = paging.Keyed(Q(work_item_id__in=co.values("workitem_id")), co, ("deadline", "workitem_id"))
    return paging.covered_by(qs, Q(work_item__owner_unit_id=unit_id), co_unit)


def _number(text: str, *, digits: int) -> int | None:
    """A filter's whole number, or None when it is not one or too long to mean anything (no overflow)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def ledger_from_params(user, params) -> "scope.ScopedQuerySet":
    """The ledger filtered by query parameters (q, source, state, stage, unit, due): pages, export and API alike."""
    return ledger(
        user,
        q=params.get("q", ""),
        source=params.get("source", ""),
        state=params.get("state", ""),
        stage=params.get("stage", ""),
        unit=params.get("unit", ""),
        due_within=params.get("due", ""),
    )


def rollup(parent) -> dict[str, int]:
    """The parent's progress from its children: how many, closed, overdue (yellow or red), open."""
    from django.db.models import Count, Q

    return parent.children.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(work_item__state="closed")),
        overdue=Count(
            "pk", filter=Q(work_item__closed_at__isnull=True, work_item__stage__in=["yellow", "red"])
        ),
        open=Count("pk", filter=Q(work_item__closed_at__isnull=True)),
    )


def dispatch_board(parent, day=None) -> dict:
    """日调度: for a campaign (a parent item) on `day`, each open task with its lead unit, whether it reported that
    day, and a generated summary the office can paste into its daily bulletin."""
    from django.utils import timezone

    day = day or timezone.localdate()
    tasks = list(
        parent.children.filter(work_item__closed_at__isnull=True)
        .select_related("work_item__owner_unit")
        .prefetch_related("reports")
        .order_by("pk")
    )
    rows, missing = [], []
    for t in tasks:
        today = [r for r in t.reports.all() if timezone.localtime(r.created_at).date() == day]
        rows.append({"task": t, "reports": today})
        if not today:
            missing.append(t.work_item.owner_unit.name)
    reported = [r for r in rows if r["reports"]]
    lines = [
        f"{day.year}年{day.month}月{day.day}日调度情况：应报 {len(rows)} 项，已报 {len(reported)} 项，未报 {len(missing)} 项。"
    ]
    if missing:
        lines.append("未报单位：" + "、".join(dict.fromkeys(missing)) + "。")
    for i, r in enumerate(reported, start=1):
        lines.append(
            f"{i}. {r['task'].work_item.title}（{r['task'].work_item.owner_unit.name}）：{r['reports'][-1].text}"
        )
    return {
        "day": day,
        "rows": rows,
        "missing": missing,
        "reported": len(reported),
        "summary": "\n".join(lines),
    }


def home_cards(user) -> list[dict]:
    """What waits for this user in 督查督办: completion requests to verify, items to sign, reports overdue."""
    from django.db.models import Count, F, Q
    from django.utils.translation import gettext_lazy as _

    from xiaoneng.org.roles import Role

    if user.role == Role.SUPERVISOR:
        n = scope.restrict(SupervisedItem, user).filter(work_item__state="completion_requested").count()
        return [
            {
                "label": _("待验收督办事项"),
                "value": n,
                "url": "supervision",
                "query": "state=completion_requested",
                "tone": "primary",
            }
        ]
    if user.role in (Role.LIAISON, Role.UNIT_LEADER):
        mine = scope.restrict(SupervisedItem, user).filter(work_item__owner_unit_id=user.unit_id)
        agg = mine.aggregate(
            to_sign=Count("pk", filter=Q(work_item__state="issued")),
            reports=Count("pk", filter=Q(work_item__state="signed", report_flagged=F("report_due"))),
        )
        return [
            {
                "label": _("待签收督办事项"),
                "value": agg["to_sign"],
                "url": "supervision",
                "query": "state=issued",
                "tone": "primary",
            },
            {
                "label": _("进展报送逾期"),
                "value": agg["reports"],
                "url": "supervision",
                "query": "state=signed",
                "tone": "warning",
            },
        ]
    return []


def review_cards(user) -> list[dict]:
    """单位负责人: the unit's completion requests waiting for the head's approval (待审核的办结申请)."""
    from django.utils.translation import gettext_lazy as _

    from xiaoneng.org.roles import Role

    if user.role != Role.UNIT_LEADER:
        return []
    n = (
        scope.restrict(SupervisedItem, user)
        .filter(work_item__owner_unit_id=user.unit_id, work_item__state="unit_review")
        .count()
    )
    return [
        {
            "label": _("待审核的办结申请"),
            "value": n,
            "url": "supervision",
            "query": "state=unit_review",
            "tone": "primary",
        }
    ]
