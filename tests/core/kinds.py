"""A small generic kind of work item that proves the mechanism in tests (the capabilities bring real ones)."""

from django.utils.translation import gettext_lazy as _

from xiaoneng.core.workflow import Transition, Workflow
from xiaoneng.core.workitem import Kind
from xiaoneng.org.roles import Role


def note_required(item, actor, data):
    if not str(data.get("note", "")).strip():
        return "请填写说明 (a note is required)"
    return None


TASK_WORKFLOW = Workflow(
    states={
        "issued": _("已交办"),
        "signed": _("已签收"),
        "done_requested": _("申请办结"),
        "closed": _("已办结"),
        "cancelled": _("已撤销"),
    },
    initial="issued",
    terminal=["closed", "cancelled"],
    transitions=[
        Transition(
            "sign", _("签收"), frozenset({"issued"}), "signed", frozenset({Role.LIAISON}), relation="owner"
        ),
        Transition(
            "request_done",
            _("申请办结"),
            frozenset({"signed"}),
            "done_requested",
            frozenset({Role.LIAISON}),
            guard=note_required,
            relation="owner",
        ),
        Transition(
            "verify", _("办结销号"), frozenset({"done_requested"}), "closed", frozenset({Role.SUPERVISOR})
        ),
        Transition(
            "send_back",
            _("退回"),
            frozenset({"done_requested"}),
            "signed",
            frozenset({Role.SUPERVISOR}),
            guard=note_required,
            style="warning",
        ),
        Transition(
            "cancel",
            _("撤销"),
            frozenset({"issued", "signed"}),
            "cancelled",
            frozenset({Role.SUPERVISOR}),
            style="danger",
        ),
    ],
)

TASK = Kind(
    code="test_task",
    label=_("测试事项"),
    workflow=TASK_WORKFLOW,
    default_limit="5wd",
    warning="1wd",
    red_after="3wd",
)
