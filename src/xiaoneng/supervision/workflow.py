"""督办事项's states and transitions, declared once (SPEC §1: 交办 → 签收 → 办理 (progress reports) → 申请办结,
approved by the unit's head (待单位负责人审核, or straight on when the unit has no head's account) → 办结销号 or
退回; 撤销 with a reason)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.core.workflow import (
    Transition,
    Workflow,
    extension_pending,
    extension_request_refusal,
    text_required,
)
from xiaoneng.core.workitem import Kind
from xiaoneng.org.roles import Role

from .models import Quality


def _quality_required(item, actor, data):
    if data.get("quality") not in Quality.values:
        return _("请评定办结质量：优/良/中/差 (rate the quality)")
    return None


def _extension_request_valid(item, actor, data):
    from datetime import date

    if (refusal := extension_request_refusal(item, data)) is not None:
        return refusal
    try:
        until = date.fromisoformat(str(data.get("until", "")).strip())
    except ValueError:
        return _("请填写延期至的日期 YYYY-MM-DD (the new date is required)")
    if item.deadline is None or until <= last_day(item.deadline):
        return _("延期日期须晚于现时限 (the new date must be after the current deadline)")
    return None


def last_day(deadline):
    """The last day of a limit: the clock stores the first late instant (24:00 of the last day)."""
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localtime(deadline) - timedelta(microseconds=1)).date()


SIGN_LIMIT = "1wd"  # 签收 within one working day (configurable preset)
CADENCE_LIMITS = {"daily": "1wd", "weekly": "7d", "monthly": "30d"}
# When to remind a unit of its next report: the cadence limit's warning threshold (what is left).
REPORT_WARNING = {"daily": "50%", "weekly": "1wd", "monthly": "1wd"}

SUPERVISORS = frozenset({Role.SUPERVISOR})
LIAISON = frozenset({Role.LIAISON})
UNIT_LEADER = frozenset({Role.UNIT_LEADER})


def unit_has_head(unit_id) -> bool:
    """Whether the unit has an active head's account (单位负责人) to approve what leaves the unit."""
    from xiaoneng.org.models import User

    return User.objects.filter(unit_id=unit_id, role=Role.UNIT_LEADER, is_active=True).exists()


def _completion_route(item):
    """申请办结 goes to the unit's head for approval (待单位负责人审核); a unit without an active head's account
    sends it straight to the supervisor, as the one transition either way."""
    return None if unit_has_head(item.owner_unit_id) else "completion_requested"


WORKFLOW = Workflow(
    states={
        "issued": _("已交办"),
        "signed": _("办理中"),
        # The unit's time: the clock keeps running while the head reviews the completion request.
        "unit_review": _("待单位负责人审核"),
        "completion_requested": _("申请办结"),
        "suspended": _("已中止"),
        "closed": _("已办结"),
        "cancelled": _("已撤销"),
    },
    initial="issued",
    terminal=["closed", "cancelled"],
    transitions=[
        Transition("sign", _("签收"), frozenset({"issued"}), "signed", LIAISON, relation="owner"),
        Transition(
            "report",
            _("报送进展"),
            frozenset({"signed"}),
            None,
            LIAISON | frozenset({Role.UNIT_LEADER}),
            guard=text_required("text", _("进展情况")),
            style="outline-primary",
        ),
        Transition(
            "request_completion",
            _("申请办结"),
            frozenset({"signed"}),
            "unit_review",
            LIAISON,
            guard=text_required("text", _("办结情况")),
            relation="owner",
            style="success",
            route=_completion_route,
        ),
        Transition(
            "approve_completion",
            _("审核通过并报送"),
            frozenset({"unit_review"}),
            "completion_requested",
            UNIT_LEADER,
            relation="owner",
            style="success",
        ),
        Transition(
            "return_completion",
            _("退回修改"),
            frozenset({"unit_review"}),
            "signed",
            UNIT_LEADER,
            guard=text_required("note", _("退回理由")),
            relation="owner",
            style="warning",
        ),
        Transition(
            "verify",
            _("办结销号"),
            frozenset({"completion_requested"}),
            "closed",
            SUPERVISORS,
            guard=_quality_required,
            style="success",
        ),
        Transition(
            "send_back",
            _("退回"),
            frozenset({"completion_requested"}),
            "signed",
            SUPERVISORS,
            guard=text_required("note", _("退回理由")),
            style="warning",
        ),
        Transition(
            "request_extension",
            pgettext_lazy("action", "申请延期"),
            frozenset({"issued", "signed"}),
            None,
            LIAISON,
            guard=_extension_request_valid,
            relation="owner",
            style="outline-secondary",
        ),
        Transition(
            "approve_extension",
            pgettext_lazy("action", "批准延期"),
            frozenset({"issued", "signed", "unit_review", "completion_requested"}),
            None,
            SUPERVISORS,
            guard=extension_pending,
            style="outline-success",
        ),
        Transition(
            "reject_extension",
            pgettext_lazy("action", "不予延期"),
            frozenset({"issued", "signed", "unit_review", "completion_requested"}),
            None,
            SUPERVISORS,
            guard=extension_pending,
            style="outline-warning",
        ),
        Transition(
            "remind",
            _("催办"),
            frozenset({"issued", "signed", "unit_review"}),
            None,
            SUPERVISORS,
            style="outline-danger",
        ),
        Transition(
            "suspend",
            _("中止"),
            frozenset({"signed"}),
            "suspended",
            SUPERVISORS,
            guard=text_required("note", _("中止理由")),
            style="outline-secondary",
        ),
        Transition(
            "resume",
            _("恢复办理"),
            frozenset({"suspended"}),
            "signed",
            SUPERVISORS,
            style="outline-success",
        ),
        Transition(
            "cancel",
            _("撤销"),
            frozenset({"issued", "signed", "suspended"}),
            "cancelled",
            SUPERVISORS,
            guard=text_required("note", _("撤销理由")),
            style="outline-danger",
        ),
    ],
)


def _detail_url(item) -> str:
    from django.urls import reverse

    return reverse("supervision_item", args=[item.pk])  # a supervised item shares its work item's id


def _perform(item, transition, actor, **kwargs):
    from . import services

    return services.perform_generic(item, transition, actor, **kwargs)


KIND = Kind(
    code="supervision",
    detail_url=_detail_url,
    # The generic work-item API and page defer to supervision's own: reports, files and notices on every action.
    extra={"perform": _perform, "own_page": True},
    label=_("督办事项"),
    workflow=WORKFLOW,
    default_limit="20wd",
    warning="3wd",  # 督办 reminders: first warning three days before the deadline (SPEC presets)
    red_after="5wd",
)
