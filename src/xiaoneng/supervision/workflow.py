"""督办事项's states and transitions, declared once (SPEC §1: 交办 → 签收 → 办理 (progress reports) → 申请办结
→ 办结销号 or 退回; 撤销 with a reason)."""

from django.utils.translation import gettext_lazy as _

from xiaoneng.core.workflow import Transition, Workflow
from xiaoneng.core.workitem import Kind
from xiaoneng.org.roles import Role

from .models import Quality


def _text_required(field: str, label):
    def guard(item, actor, data):
        if not str(data.get(field, "")).strip():
            return _("请填写%(label)s (%(field)s is required)") % {"label": label, "field": field}
        return None

    return guard


def _quality_required(item, actor, data):
    if data.get("quality") not in Quality.values:
        return _("请评定办结质量：优/良/中/差 (rate the quality)")
    return None


SUPERVISORS = frozenset({Role.SUPERVISOR})
LIAISON = frozenset({Role.LIAISON})

WORKFLOW = Workflow(
    states={
        "issued": _("已交办"),
        "signed": _("办理中"),
        "completion_requested": _("申请办结"),
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
            guard=_text_required("text", _("进展情况")),
            style="outline-primary",
        ),
        Transition(
            "request_completion",
            _("申请办结"),
            frozenset({"signed"}),
            "completion_requested",
            LIAISON,
            guard=_text_required("text", _("办结情况")),
            relation="owner",
            style="success",
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
            guard=_text_required("note", _("退回理由")),
            style="warning",
        ),
        Transition(
            "cancel",
            _("撤销"),
            frozenset({"issued", "signed"}),
            "cancelled",
            SUPERVISORS,
            guard=_text_required("note", _("撤销理由")),
            style="outline-danger",
        ),
    ],
)


def _detail_url(item) -> str:
    from django.urls import reverse

    return reverse("supervision_item", args=[item.pk])  # a supervised item shares its work item's id


KIND = Kind(
    code="supervision",
    detail_url=_detail_url,
    label=_("督办事项"),
    workflow=WORKFLOW,
    default_limit="20wd",
    warning="3wd",  # 督办 reminders: first warning three days before the deadline (SPEC presets)
    red_after="5wd",
)
