"""Changes to the catalog and the ladder (系统管理员): one function, validated, each change on the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role

from .models import (
    ApprovalLevel,
    Behaviour,
    BehaviourCategory,
    EscalationKind,
    EscalationRule,
    Sanction,
    SanctionKind,
)


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


def _text(value: Any, *, what: str, max_length: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise _bad(_("请填写%(what)s (required)") % {"what": what})
    if len(text) > max_length:
        raise _bad(
            _("%(what)s不能超过%(n)d个字 (too long)") % {"what": what, "n": max_length},
        )
    return text


def _sanction_fields(s: Sanction, data: Any) -> None:
    """What a rung of the ladder says, from the form: approval level, 影响期, rank, activity; the notice it is served
    with and whether a unit may receive it, when the form sends them."""
    if data.get("approval_level") not in ApprovalLevel.values:
        raise _bad(_("请选择审批层级 (choose the approval level)"))
    months = str(data.get("effect_months", "")).strip()
    s.approval_level = data["approval_level"]
    s.effect_months = _int(months, low=1, high=120, what=_("影响期")) if months else None
    s.rank = _int(data.get("rank"), low=1, high=999, what=_("轻重顺序"))
    if Sanction.objects.filter(rank=s.rank).exclude(pk=s.pk).exists():
        raise _bad(_("轻重顺序%(rank)d已被使用 (another sanction has that rank)") % {"rank": s.rank})
    if "notice_kind" in data:
        s.notice_kind = _text(data.get("notice_kind"), what=_("决定文书"), max_length=30)
        s.applies_to_units = data.get("applies_to_units") == "on"
    s.active = data.get("active") == "on"


def _next_code(model, prefix: str) -> str:
    """A code for a row added on the page (the starter rows keep their readable ones): prefix and the next number."""
    n = model.objects.count() + 1
    while model.objects.filter(code=f"{prefix}{n}").exists():
        n += 1
    return f"{prefix}{n}"


def _rule_fields(r: EscalationRule, data: Any) -> None:
    r.count = _int(data.get("count"), low=2, high=20, what=_("次数"))
    r.window_days = _int(data.get("window_days"), low=1, high=1830, what=_("期间（日）"))
    r.suggest = _sanction(data.get("suggest"))
    if r.kind == EscalationKind.REPEAT:
        if "trigger" in data or r.trigger_id is None:
            r.trigger = _sanction(data.get("trigger"))
        if r.suggest.rank <= r.trigger.rank:
            raise _bad(_("建议的处理须重于触发的处理 (the suggestion must be heavier than what triggers it)"))
    else:
        r.trigger = None
    r.active = data.get("active") == "on"


@transaction.atomic
def change(actor: Any, data: Any) -> None:
    """Apply one change from the catalog page: a sanction's approval level, effect period, rank, notice, use for
    units or activity, or a new rung of the ladder; a new behaviour category; a behaviour's range or activity, or a
    new behaviour; an escalation rule's numbers, trigger, suggestion or activity, or a new rule."""
    if getattr(actor, "role", None) != Role.SYSADMIN:
        raise TransitionRefused(
            _("只有系统管理员可以修改 (only the system administrator)"), status=403, code="role_not_allowed"
        )
    op = data.get("op", "")
    active = data.get("active") == "on"
    if op in ("sanction", "sanction_new"):
        if op == "sanction":
            s = _sanction(data.get("id"))
        else:
            s = Sanction(name=_text(data.get("name"), what=_("名称"), max_length=40))
            if Sanction.objects.filter(name=s.name).exists():
                raise _bad(_("已有同名的处理方式 (a sanction with that name exists)"))
            if data.get("kind") not in SanctionKind.values:
                raise _bad(_("请选择类型 (choose the kind)"))
            s.kind, s.code = data["kind"], _next_code(Sanction, "s")
        _sanction_fields(s, data)
        s.save()
        obj, what = (
            s,
            {
                "sanction": s.code,
                "name": s.name,
                "approval_level": s.approval_level,
                "rank": s.rank,
                "effect_months": s.effect_months,
                "notice_kind": s.notice_kind,
                "applies_to_units": s.applies_to_units,
                "active": s.active,
            },
        )
    elif op == "category_new":
        name = _text(data.get("name"), what=_("类别"), max_length=40)
        if BehaviourCategory.objects.filter(name=name).exists():
            raise _bad(_("已有同名的类别 (a category with that name exists)"))
        last = BehaviourCategory.objects.order_by("-order").first()
        obj = BehaviourCategory.objects.create(
            name=name, code=_next_code(BehaviourCategory, "c"), order=(last.order + 10) if last else 10
        )
        what = {"category": obj.code, "name": name}
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
            b = Behaviour(category=category, name=name[:120], code=_next_code(Behaviour, "b"))
            b.order = 1000 + Behaviour.objects.count()
        b.min_sanction, b.max_sanction = lightest, heaviest
        b.save()
        obj, what = b, {"behaviour": b.name, "min": lightest.code, "max": heaviest.code, "active": b.active}
    elif op in ("rule", "rule_new"):
        if op == "rule":
            r = EscalationRule.objects.filter(
                pk=int(data.get("id")) if str(data.get("id")).isdigit() else 0
            ).first()
            if r is None:
                raise _bad(_("请选择规则 (choose the rule)"))
        else:
            if data.get("kind") not in EscalationKind.values:
                raise _bad(_("请选择规则类型 (choose the kind of rule)"))
            r = EscalationRule(
                name=_text(data.get("name"), what=_("名称"), max_length=100), kind=data["kind"]
            )
        _rule_fields(r, data)
        r.save()
        obj, what = (
            r,
            {
                "rule": r.name,
                "kind": r.kind,
                "trigger": r.trigger.code if r.trigger else "",
                "count": r.count,
                "window_days": r.window_days,
                "suggest": r.suggest.code,
                "active": r.active,
            },
        )
    else:
        raise _bad(_("没有这个操作 (no such action)"))
    audit.record(AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED, actor=actor, obj=obj, data={"op": op, **what})
