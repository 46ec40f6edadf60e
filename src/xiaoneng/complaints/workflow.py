"""效能投诉's states and transitions, declared once (SPEC §2): received → accepted (受理) or not accepted →
handled directly (直查) or assigned (交办) → the unit replies → supervisor review (pass / redo) → reply to the
complainant → follow-up and rating → reopened once on dissatisfaction → closed with a finding."""

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

from .models import Finding, Handling, Rating

ACCEPT_LIMIT = "1wd"  # 受理 within one working day (SPEC presets: 效能投诉 default)
REOPEN_MAX = 1  # 不满意 may reopen once for re-handling

STAFF = frozenset({Role.SUPERVISOR})
LIAISON = frozenset({Role.LIAISON})
UNIT_LEADER = frozenset({Role.UNIT_LEADER})
OPEN_STATES = frozenset(
    {"received", "accepted", "investigating", "assigned", "unit_review", "replied", "answered"}
)
# The complainant on the public portal (no account; services.PUBLIC_ACTOR): rates the reply, nothing else.
PUBLIC = frozenset({"public"})


def _complaint(item):
    return item.complaint


def _assign_valid(item, actor, data):
    from xiaoneng.org.models import Unit

    from .redaction import identity_leaks

    unit = data.get("unit")
    if not isinstance(unit, Unit):
        return _("请选择承办单位 (choose the handling unit)")
    text = str(data.get("redacted_content", "")).strip()
    if not text:
        return _("请填写转办内容（已去除投诉人信息） (the redacted copy is required)")
    leaks = identity_leaks(_complaint(item), text)
    if leaks:
        return _(
            "转办内容仍含投诉人信息：%(what)s，请删除后再转办 (the copy still identifies the complainant)"
        ) % {"what": "、".join(str(x) for x in leaks)}
    return None


def _review_pass_valid(item, actor, data):
    if not str(data.get("public_reply", "")).strip():
        return _("请填写给投诉人的答复意见 (the reply to the complainant is required)")
    if data.get("finding") not in Finding.values:
        return _("请选择核查结论：属实/部分属实/不属实 (choose a finding)")
    return None


def _redo_valid(item, actor, data):
    if _complaint(item).handling != Handling.ASSIGNED:
        return _("直查件无需退回重办 (only assigned complaints go back to the unit)")
    return text_required("note", _("重办理由"))(item, actor, data)


def _rate_valid(item, actor, data):
    if data.get("rating") not in Rating.values:
        return _("请选择评价：满意/基本满意/不满意 (choose a rating)")
    return None


def _rate_public_valid(item, actor, data):
    c = _complaint(item)
    if c.rating and (c.replied_at is None or (c.rated_at is not None and c.rated_at >= c.replied_at)):
        return _("该答复已评价 (this reply has already been rated)")
    return _rate_valid(item, actor, data)


def _reopen_valid(item, actor, data):
    c = _complaint(item)
    if c.rating != Rating.DISSATISFIED:
        return _("只有不满意的投诉可以重新办理 (only a dissatisfied complaint can be reopened)")
    if c.reopen_count >= REOPEN_MAX:
        return _("该投诉已重新办理过一次 (a complaint is reopened once only)")
    return None


def _close_valid(item, actor, data):
    c = _complaint(item)
    if not c.public_reply.strip() or not c.finding:
        # 件件有落实、事事有结果: no complaint closes without a reply and a finding.
        return _("没有答复意见和核查结论的投诉不能办结 (a complaint closes only with a reply and a finding)")
    return None


def _extension_request_valid(item, actor, data):
    from xiaoneng.core import clock_service
    from xiaoneng.core.workflow import TransitionRefused

    # One extension per phase (SPEC presets: "unit reply 5 working days, one extension on request").
    if (refusal := extension_request_refusal(item, data, once_per_phase=True)) is not None:
        return refusal
    try:
        clock_service.parse_limit(str(data.get("limit", "")).strip())
    except (TransitionRefused, ValueError):
        return _("请填写延长时限，如 3wd（3个工作日） (the extension, e.g. 3wd, is required)")
    return None


def _related_valid(item, actor, data):
    from .models import Complaint

    other = data.get("related")
    if other is None:
        if _complaint(item).related_to_id is None:
            return _("请选择要关联的投诉 (choose the complaint to link)")
        return None  # unlink
    if not isinstance(other, Complaint) or other.pk == item.pk:
        return _("请选择要关联的投诉 (choose the complaint to link)")
    return None


def _accountability_valid(item, actor, data):
    c = _complaint(item)
    if c.finding not in (Finding.TRUE, Finding.PARTLY):
        return _(
            "只有属实或部分属实的投诉可以提请问责 (only a true or partly true finding leads to accountability)"
        )
    if c.accountability_requested_at is not None:
        return _("已提请问责 (accountability has already been requested)")
    return None


WORKFLOW = Workflow(
    states={
        "received": _("待受理"),
        "accepted": _("已受理"),
        "not_accepted": _("不予受理"),
        "investigating": _("直查中"),
        "assigned": _("已交办"),
        "unit_review": _("待单位负责人审核"),
        "replied": _("待审核"),
        "answered": _("已答复"),
        "closed": _("已办结"),
    },
    initial="received",
    terminal=["not_accepted", "closed"],
    transitions=[
        Transition("accept", _("受理"), frozenset({"received"}), "accepted", STAFF, style="success"),
        Transition(
            "reject",
            _("不予受理"),
            frozenset({"received"}),
            "not_accepted",
            STAFF,
            guard=text_required("reason", _("不予受理理由")),
            style="outline-danger",
        ),
        Transition(
            "handle_directly", _("直查"), frozenset({"accepted"}), "investigating", STAFF, style="primary"
        ),
        Transition("assign", _("交办"), frozenset({"accepted"}), "assigned", STAFF, guard=_assign_valid),
        Transition(
            "submit_reply",
            _("提交答复"),
            frozenset({"assigned"}),
            "unit_review",
            LIAISON,
            guard=text_required("text", _("答复内容")),
            relation="owner",
            style="success",
        ),
        Transition(
            "approve_reply",
            _("审核通过并报送"),
            frozenset({"unit_review"}),
            "replied",
            UNIT_LEADER,
            relation="owner",
            style="success",
        ),
        Transition(
            "return_reply",
            _("退回修改"),
            frozenset({"unit_review"}),
            "assigned",
            UNIT_LEADER,
            guard=text_required("note", _("退回理由")),
            relation="owner",
            style="warning",
        ),
        Transition(
            "reply",
            _("单位答复"),
            frozenset({"assigned"}),
            "replied",
            UNIT_LEADER,
            guard=text_required("text", _("答复内容")),
            relation="owner",
            style="outline-success",
        ),
        Transition(
            "record_result",
            _("直查结果"),
            frozenset({"investigating"}),
            "replied",
            STAFF,
            guard=text_required("text", _("核查情况")),
            style="success",
        ),
        Transition(
            "review_pass",
            _("审核通过并答复"),
            frozenset({"replied"}),
            "answered",
            STAFF,
            guard=_review_pass_valid,
            style="success",
        ),
        Transition(
            "review_redo",
            _("退回重办"),
            frozenset({"replied"}),
            "assigned",
            STAFF,
            guard=_redo_valid,
            style="warning",
        ),
        Transition(
            "rate",
            _("回访评价"),
            frozenset({"answered"}),
            None,
            STAFF,
            guard=_rate_valid,
            style="outline-primary",
        ),
        Transition(
            "rate_public",
            _("群众评价"),
            frozenset({"answered"}),
            None,
            PUBLIC,
            guard=_rate_public_valid,
            style="outline-primary",
        ),
        Transition(
            "reopen",
            _("重新办理"),
            frozenset({"answered"}),
            "accepted",
            STAFF,
            guard=_reopen_valid,
            style="outline-warning",
        ),
        Transition("close", _("办结"), frozenset({"answered"}), "closed", STAFF, guard=_close_valid),
        Transition(
            "request_extension",
            pgettext_lazy("action", "申请延期"),
            frozenset({"assigned", "unit_review"}),
            None,
            LIAISON | UNIT_LEADER,
            guard=_extension_request_valid,
            relation="owner",
            style="outline-secondary",
        ),
        Transition(
            "approve_extension",
            pgettext_lazy("action", "批准延期"),
            frozenset({"assigned", "unit_review", "replied"}),
            None,
            STAFF,
            guard=extension_pending,
            style="outline-success",
        ),
        Transition(
            "reject_extension",
            pgettext_lazy("action", "不予延期"),
            frozenset({"assigned", "unit_review", "replied"}),
            None,
            STAFF,
            guard=extension_pending,
            style="outline-warning",
        ),
        Transition(
            "link_related",
            _("关联投诉"),
            OPEN_STATES,
            None,
            STAFF,
            guard=_related_valid,
            style="outline-secondary",
        ),
        Transition(
            "request_accountability",
            _("提请问责"),
            frozenset({"answered", "closed"}),
            None,
            STAFF,
            guard=_accountability_valid,
            style="outline-danger",
        ),
    ],
)


def _detail_url(item) -> str:
    from django.urls import reverse

    return reverse("complaint_detail", args=[item.pk])


def _perform(item, transition, actor, **kwargs):
    from . import services

    return services.perform_generic(item, transition, actor, **kwargs)


def _timeline_for(item, user, events):
    from . import selectors

    return selectors.timeline_for(item, user, events)


KIND = Kind(
    code="complaint",
    label=_("效能投诉"),
    workflow=WORKFLOW,
    default_limit=ACCEPT_LIMIT,
    warning="20%",
    red_after="3wd",
    detail_url=_detail_url,
    clock_states=frozenset({"received", "accepted", "investigating", "assigned", "unit_review"}),
    # The generic work-item page and API defer to the complaint's own: its effects run on every action, the unit
    # reads only its share of the timeline, and the generic page sends people to the complaint page.
    extra={"perform": _perform, "timeline_for": _timeline_for, "own_page": True},
)
