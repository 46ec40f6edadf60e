"""What each role's home page counts: real figures, all through the scope layer."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import rules, scope, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent, CardRecord, Heartbeat, Stage, WorkItem
from xiaoneng.org.models import Person, Region, Unit, User
from xiaoneng.org.roles import Role


def item_figures(user) -> dict:
    items = scope.restrict(WorkItem, user)
    now = timezone.now()
    aggregates = dict(
        open=Count("id", filter=Q(closed_at__isnull=True)),
        warning=Count("id", filter=Q(closed_at__isnull=True, stage=Stage.WARNING)),
        yellow=Count("id", filter=Q(closed_at__isnull=True, stage=Stage.YELLOW)),
        red=Count("id", filter=Q(closed_at__isnull=True, stage=Stage.RED)),
        due_week=Count(
            "id", filter=Q(closed_at__isnull=True, deadline__gte=now, deadline__lt=now + timedelta(days=7))
        ),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
    )
    halves = rules.unit_halves(user)
    if halves is None:
        return items.aggregate(**aggregates)
    # A unit's items: the counts over what it owns plus what it only takes part in, each from its own index.
    parts = [items.filter(half).aggregate(**aggregates) for half in halves]
    return {name: sum(part[name] for part in parts) for name in aggregates}


def unit_cards(user, unit, year: int) -> dict:
    """The cards (红黄牌) on `unit`'s record in `year` that `user` may see: yellow and red counted per kind of
    work, and the cards themselves, newest first, with their items."""
    cards = scope.restrict(CardRecord, user).filter(unit=unit, year=year)
    kinds = workitem.kinds()
    per_kind: dict[str, dict] = {}
    for row in cards.order_by().values("kind", "stage").annotate(n=Count("id")):
        code = row["kind"]
        entry = per_kind.setdefault(
            code, {"label": kinds[code].label if code in kinds else code, "yellow": 0, "red": 0}
        )
        entry[row["stage"]] = row["n"]
    by_kind = sorted(per_kind.values(), key=lambda e: str(e["label"]))
    return {
        "year": year,
        "by_kind": by_kind,
        "yellow": sum(e["yellow"] for e in by_kind),
        "red": sum(e["red"] for e in by_kind),
        "list": cards.select_related("work_item").order_by("-at", "-id"),
    }


# Capabilities add their own cards: functions (user) -> list of card dicts, registered in their AppConfig.ready.
HOME_CARDS: list = []


def home_figures(user) -> list[dict]:
    """The cards on the home page: label, number, and where the number leads."""
    role = user.role
    cards: list[dict] = []
    if role in (Role.SUPERVISOR, Role.LEADER, Role.DISCIPLINE, Role.NPC, Role.LIAISON, Role.UNIT_LEADER):
        f = item_figures(user)
        cards += [
            {"label": _("在办事项"), "value": f["open"], "url": "items", "query": "open=1"},
            {
                "label": _("预警"),
                "value": f["warning"],
                "url": "items",
                "query": "stage=warning",
                "tone": "warning",
            },
            {
                "label": _("黄牌（逾期）"),
                "value": f["yellow"],
                "url": "items",
                "query": "stage=yellow",
                "tone": "warning",
            },
            {"label": _("红牌"), "value": f["red"], "url": "items", "query": "stage=red", "tone": "danger"},
            {"label": _("7日内到期"), "value": f["due_week"], "url": "items", "query": "due=7"},
            {"label": _("已办结"), "value": f["closed"], "url": "items", "query": "closed=1"},
        ]
    if role in (Role.SUPERVISOR, Role.LEADER, Role.DISCIPLINE, Role.NPC, Role.SYSADMIN):
        cards.append({"label": _("单位"), "value": scope.restrict(Unit, user).count(), "url": "units"})
        cards.append({"label": _("人员"), "value": scope.restrict(Person, user).count(), "url": "people"})
    if role in (Role.LIAISON, Role.UNIT_LEADER):
        cards.append(
            {"label": _("本单位人员"), "value": scope.restrict(Person, user).count(), "url": "people"}
        )
    if role == Role.SYSADMIN:
        cards.append({"label": _("行政区划"), "value": scope.restrict(Region, user).count(), "url": None})
        beats = {h.name: h.beat_at for h in Heartbeat.objects.all()}
        for name, label in (("scheduler", _("调度器心跳")), ("worker", _("任务执行器心跳"))):
            at = beats.get(name)
            alive = at is not None and timezone.now() - at < timedelta(minutes=3)
            cards.append(
                {
                    "label": label,
                    "value": _("正常") if alive else _("无心跳"),
                    "url": None,
                    "tone": None if alive else "danger",
                }
            )
    if role == Role.SECADMIN:
        users = scope.restrict(User, user)
        cards += [
            {"label": _("账号"), "value": users.filter(is_active=True).count(), "url": "accounts"},
            {"label": _("停用账号"), "value": users.filter(is_active=False).count(), "url": "accounts"},
            {
                "label": _("须改密账号"),
                "value": users.filter(must_change_password=True, is_active=True).count(),
                "url": "accounts",
            },
        ]
        from axes.models import AccessAttempt

        cards.append(
            {
                "label": _("登录失败记录"),
                "value": AccessAttempt.objects.count(),
                "url": None,
                "tone": "warning",
            }
        )
    if role == Role.AUDITOR:
        events = scope.restrict(AuditEvent, user)
        since = timezone.now() - timedelta(days=1)
        cards += [
            {"label": _("审计事件（24小时）"), "value": events.filter(at__gte=since).count(), "url": "audit"},
            {
                "label": _("登录失败（24小时）"),
                "value": events.filter(at__gte=since, event_type=AuditEventType.LOGIN_FAILED).count(),
                "url": "audit",
                "query": f"type={int(AuditEventType.LOGIN_FAILED)}",
                "tone": "warning",
            },
            {
                "label": _("敏感信息查看（24小时）"),
                "value": events.filter(at__gte=since, event_type=AuditEventType.SENSITIVE_VIEWED).count(),
                "url": "audit",
                "query": f"type={int(AuditEventType.SENSITIVE_VIEWED)}",
            },
            {"label": _("审计事件总数"), "value": events.count(), "url": "audit"},
        ]
    for provider in HOME_CARDS:
        cards += provider(user)
    cards.append(
        {
            "label": _("未读消息"),
            "value": user.notifications.filter(read_at__isnull=True).count(),
            "url": "inbox",
        }
    )
    return cards
