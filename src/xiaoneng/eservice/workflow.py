"""The two kinds of work 政务服务电子监察 hands to people, declared once.

- 监察告警 (eservice_alert): the department explains an alert within the explanation limit; a supervisor accepts
  the explanation (no card) or confirms the card; not explained in time, the card stands (the deadline sweep
  finds the item overdue and the kind's hook closes it as 逾期未说明). The clock runs only while the
  explanation is awaited.
- 差评整改 (eservice_rectification): every 差评 is verified and rectified (核实整改), the applicant revisited (回访),
  and a supervisor closes it (复核) or sends it back, within the rectification limit (preset 5 working days).

The system's own moves (a card that stands, a yellow alert superseded by a red one) are transitions too, with
the role "system", so they run through the same `workitem.perform` and leave the same timeline and audit rows.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from xiaoneng.core.workflow import Transition, Workflow, text_required
from xiaoneng.core.workitem import Kind
from xiaoneng.org.roles import Role

from . import presets
from .models import Finding, Rating

SYSTEM = "system"
SUPERVISORS = frozenset({Role.SUPERVISOR})
DEPARTMENT = frozenset({Role.LIAISON, Role.UNIT_LEADER})
BY_SYSTEM = frozenset({SYSTEM})


class SystemActor:
    """The platform itself performing a declared system transition (no person, no login)."""

    role = SYSTEM
    pk = None
    unit_id = None
    is_authenticated = False

    def get_username(self) -> str:
        return "system"


def _colour(item, actor, data):
    if data.get("colour") not in (None, "", "yellow", "red"):
        return _("红黄牌须为 yellow 或 red (the card must be yellow or red)")
    return None


def _rectified(item, actor, data):
    if data.get("finding") not in Finding.values:
        return _("请选择核实结果：属实/不属实 (choose the finding)")
    if not str(data.get("text", "")).strip():
        return _("请填写整改情况 (describe the rectification)")
    return None


def _revisited(item, actor, data):
    try:
        result = int(data.get("result", ""))
    except (TypeError, ValueError):
        result = 0
    if result not in Rating.values:
        return _("请选择回访评价 (choose the revisit's rating)")
    if not str(data.get("text", "")).strip():
        return _("请填写回访情况 (describe the revisit)")
    return None


ALERT_WORKFLOW = Workflow(
    states={
        "awaiting": _("待说明"),
        "explained": _("已说明待审核"),
        "accepted": _("说明已采纳"),
        "confirmed": _("红黄牌已确认"),
        "stood": _("逾期未说明"),
        "superseded": _("已并入红牌告警"),
    },
    initial="awaiting",
    terminal=["accepted", "confirmed", "stood", "superseded"],
    transitions=[
        Transition(
            "explain",
            _("提交情况说明"),
            frozenset({"awaiting"}),
            "explained",
            DEPARTMENT,
            guard=text_required("text", _("情况说明")),
            relation="owner",
        ),
        Transition(
            "accept", _("采纳说明"), frozenset({"explained"}), "accepted", SUPERVISORS, style="success"
        ),
        Transition(
            "confirm",
            _("确认红黄牌"),
            frozenset({"awaiting", "explained"}),
            "confirmed",
            SUPERVISORS,
            guard=_colour,
            style="danger",
        ),
        Transition(
            "send_back",
            _("退回重新说明"),
            frozenset({"explained"}),
            "awaiting",
            SUPERVISORS,
            guard=text_required("note", _("退回理由")),
            style="warning",
        ),
        Transition("stand", _("逾期未说明，红黄牌生效"), frozenset({"awaiting"}), "stood", BY_SYSTEM),
        Transition("supersede", _("并入红牌告警"), frozenset({"awaiting"}), "superseded", BY_SYSTEM),
    ],
)

RECTIFICATION_WORKFLOW = Workflow(
    states={
        "pending": _("待整改"),
        "rectified": _("已整改待回访"),
        "revisited": _("已回访待复核"),
        "closed": _("整改完成"),
    },
    initial="pending",
    terminal=["closed"],
    transitions=[
        Transition(
            "rectify",
            _("报送核实整改情况"),
            frozenset({"pending"}),
            "rectified",
            DEPARTMENT,
            guard=_rectified,
            relation="owner",
        ),
        Transition(
            "revisit",
            _("报送回访情况"),
            frozenset({"rectified"}),
            "revisited",
            DEPARTMENT,
            guard=_revisited,
            relation="owner",
        ),
        Transition("close", _("复核通过"), frozenset({"revisited"}), "closed", SUPERVISORS, style="success"),
        Transition(
            "send_back",
            _("退回重新整改"),
            frozenset({"rectified", "revisited"}),
            "pending",
            SUPERVISORS,
            guard=text_required("note", _("退回理由")),
            style="warning",
        ),
    ],
)


def _detail_url(item) -> str:
    from django.urls import reverse

    return reverse("eservice_alert", args=[item.pk])  # an alert shares its work item's id


def _perform(item, transition, actor, **kwargs):
    from . import alerts

    return alerts.act_on_item(item, transition, actor, **kwargs)


def _stage_changes(changes) -> None:
    from . import alerts

    alerts.stand_unexplained(changes)


ALERT_KIND = Kind(
    code="eservice_alert",
    label=_("政务服务监察告警"),
    workflow=ALERT_WORKFLOW,
    default_limit=presets.get("explanation_limit"),
    warning="1wd",
    red_after="3wd",
    detail_url=_detail_url,
    clock_states=frozenset({"awaiting"}),
    on_stage_changes=_stage_changes,
    extra={"perform": _perform},
)

RECTIFICATION_KIND = Kind(
    code="eservice_rectification",
    label=_("好差评差评整改"),
    workflow=RECTIFICATION_WORKFLOW,
    default_limit=presets.get("rectification_limit"),
    warning="1wd",
    red_after="3wd",
    detail_url=_detail_url,
    clock_states=frozenset({"pending", "rectified"}),
    extra={"perform": _perform},
)


def kind_for(alert_type: str) -> Kind:
    return RECTIFICATION_KIND if alert_type == "bad_rating" else ALERT_KIND
