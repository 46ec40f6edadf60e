"""Changes to the catalog and the ladder (系统管理员): one function, validated, each change on the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role

from .models import ApprovalLevel, Behaviour, BehaviourCategory, EscalationRule, Sanction


def _bad(message: str) -> TransitionRefused:
    return TransitionRefused(message, status=400, code="invalid")


def _int(value: Any, *, low: int, high: int, what: str) -> int:
    text = str(value or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise _bad(
            _("%(what)s须为 %(low)d–%(high)d 的整数 (a whole number is required)")
            % {"what": what, "low": low, "high": high}
        )
    return int(text)


def _sanction(value: Any) -> Sanction:
    s = Sanction.objects.filter(pk=int(value) if str(value).isdigit() else 0).first()
    if s is None:
        raise _bad(_("请选择处理方式 (choose the sanction)"))
    return s


@transaction.atomic
def change(actor: Any, data: Any) -> None:
    """Apply one change from the catalog page: a sanction's approval level, effect period, rank or activity; a
    behaviour's range or activity, or a new behaviour; an escalation rule's numbers, suggestion or activity."""
    if getattr(actor, "role", None) != Role.SYSADMIN:
        raise TransitionRefused(
            _("只有系统管理员可以修改 (only the system administrator)"), status=403, code="role_not_allowed"
        )
    op = data.get("op", "")
    active = data.get("active") == "on"
    if op == "sanction":
        s = _sanction(data.get("id"))
        if data.get("approval_level") not in ApprovalLevel.values:
            raise _bad(_("请选择审批层级 (choose the approval level)"))
        months = str(data.get("effect_months", "")).strip()
        s.approval_level = data["approval_level"]
        s.effect_months = _int(months, low=1, high=120, what=_("影响期")) if months else None
        s.rank = _int(data.get("rank"), low=1, high=999, what=_("轻重顺序"))
        s.active = active
        s.save()
        obj, what = (
            s,
            {"sanction": s.code, "approval_level": s.approval_level, "rank": s.rank, "active": s.active},
        )
    elif op in ("behaviour", "behaviour_new"):
        lightest, heaviest = _sanction(data.get("min_sanction")), _sanction(data.get("max_sanction"))
        if lightest.rank > heaviest.rank:
            raise _bad(_("一般最轻处理不能重于一般最重处理 (the lightest is heavier than the heaviest)"))
        if op == "behaviour":
            b = Behaviour.objects.filter(
                pk=int(data.get("id")) if str(data.get("id")).isdigit() else 0
            ).first()
            if b is None:
                raise _bad(_("请选择问责行为 (choose the behaviour)"))
            b.active = active
        else:
            category = BehaviourCategory.objects.filter(
                pk=int(data.get("category")) if str(data.get("category")).isdigit() else 0
            ).first()
            name = str(data.get("name", "")).strip()
            if category is None or not name:
                raise _bad(_("请填写类别和行为 (category and behaviour are required)"))
            b = Behaviour(
                category=category,
                name=name[:120],
                code=f"b{Behaviour.objects.count() + 1}-{category.code}"[:40],
            )
            b.order = 1000 + Behaviour.objects.count()
        b.min_sanction, b.max_sanction = lightest, heaviest
        b.save()
        obj, what = b, {"behaviour": b.name, "min": lightest.code, "max": heaviest.code, "active": b.active}
    elif op == "rule":
        r = EscalationRule.objects.filter(
            pk=int(data.get("id")) if str(data.get("id")).isdigit() else 0
        ).first()
        if r is None:
            raise _bad(_("请选择规则 (choose the rule)"))
        r.count = _int(data.get("count"), low=2, high=20, what=_("次数"))
        r.window_days = _int(data.get("window_days"), low=1, high=1830, what=_("期间（日）"))
        r.suggest = _sanction(data.get("suggest"))
        r.active = active
        r.save()
        obj, what = (
            r,
            {
                "rule": r.name,
                "count": r.count,
                "window_days": r.window_days,
                "suggest": r.suggest.code,
                "active": r.active,
            },
        )
    else:
        raise _bad(_("没有这个操作 (no such action)"))
    audit.record(AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED, actor=actor, obj=obj, data={"op": op, **what})
