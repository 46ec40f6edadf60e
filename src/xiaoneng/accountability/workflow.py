"""问责案件's states and transitions, declared once (SPEC §4): 立案 → 调查 (records, people added) → 处理意见 per
person → 审批 at the configured level → 作出决定并送达 (notices, effective dates, the appeal limit starts) →
申诉/复核 within the limit → 结案; or 不予问责 with a reason. Publication (曝光台) and 典型案例 (通报) once
decided. Guards read the objects the service resolved (services.resolve) and say what is missing."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.workflow import Transition, Workflow, text_required
from xiaoneng.core.workitem import Kind
from xiaoneng.org.roles import Role

from .models import (
    LIVE,
    AppealOutcome,
    ApprovalLevel,
    CaseSubject,
    Determination,
    DeterminationStatus,
    Responsibility,
    Sanction,
)

# Limits (presets; a locale overrides them in settings.XIAONENG_ACCOUNTABILITY_LIMITS, never in the code):
# investigation and decision 30 working days from opening; an appeal (申请复核) within 30 days of knowing the decision,
# its review decided within 30 days of receiving it (公务员法 §95–96).
LIMITS = {"investigation": "30wd", "appeal": "30d", "review": "30d"}


def limit(name: str) -> str:
    return {**LIMITS, **getattr(settings, "XIAONENG_ACCOUNTABILITY_LIMITS", {})}[name]


STAFF = frozenset({Role.SUPERVISOR, Role.DISCIPLINE})
SUPERVISORS = frozenset({Role.SUPERVISOR})
LEVEL_ROLE = {ApprovalLevel.OFFICE: Role.SUPERVISOR, ApprovalLevel.DISCIPLINE: Role.DISCIPLINE}


def _case(item):
    return item.accountability_case


def _record_valid(item, actor, data):
    from .models import InvestigationMethod

    if data.get("method") not in InvestigationMethod.values:
        return _("请选择调查方式 (choose how it was investigated)")
    return text_required("text", _("调查情况"))(item, actor, data)


def _subject_valid(item, actor, data):
    subject = data.get("subject")
    if not isinstance(subject, dict) or subject.get("unit") is None or subject.get("behaviour") is None:
        return _("请选择单位、人员和问责行为 (choose the unit, the person and the behaviour)")
    person = subject.get("person")
    case = _case(item)
    if person is not None and case.subjects.filter(person=person).exists():
        return _("该人员已是本案问责对象 (the person is already concerned by this case)")
    if person is None and case.subjects.filter(unit=subject["unit"], person__isnull=True).exists():
        return _("该单位已是本案问责对象 (the unit is already concerned by this case)")
    return None


def _propose_valid(item, actor, data):
    case = _case(item)
    if not case.records.exists():
        return _("请先记录调查情况 (record the investigation first)")
    subject, sanction = data.get("subject"), data.get("sanction")
    if not isinstance(subject, CaseSubject) or subject.case_id != case.pk:
        return _("请选择本案的问责对象 (choose a person or unit of this case)")
    if not isinstance(sanction, Sanction) or not sanction.active:
        return _("请选择处理方式 (choose the sanction)")
    if subject.person_id is None and not sanction.applies_to_units:
        return _("“%(s)s”不适用于单位 (this sanction applies to people only)") % {"s": sanction.name}
    if subject.person_id is not None and data.get("responsibility") not in Responsibility.values:
        return _("请选择责任类型 (choose the type of responsibility)")
    if subject.determinations.filter(status__in=LIVE).exists():
        return _("该对象已有处理意见 (this person or unit already has a determination)")
    return text_required("reasoning", _("事实与依据"))(item, actor, data)


def may_approve(determination: Determination, actor) -> str | None:
    """Why `actor` may not approve (or return) `determination`, or None: the sanction's configured level decides the
    role (效能办: a supervisor of the issuing level; 纪检监察: discipline), and nobody approves their own proposal."""
    wanted = LEVEL_ROLE[ApprovalLevel(determination.sanction.approval_level)]
    if getattr(actor, "role", None) != wanted:
        return _("“%(s)s”须由%(level)s (approval at another level)") % {
            "s": determination.sanction.name,
            "level": ApprovalLevel(determination.sanction.approval_level).label,
        }
    if determination.proposed_by_id == getattr(actor, "pk", None):
        return _("不能审批自己提出的处理意见 (nobody approves their own proposal)")
    return None


def _pending(item, actor, data):
    d = data.get("determination")
    if not isinstance(d, Determination) or d.case_id != item.pk or d.status != DeterminationStatus.PROPOSED:
        return _("请选择待审批的处理意见 (choose a proposal awaiting approval)")
    return may_approve(d, actor)


def _return_valid(item, actor, data):
    return _pending(item, actor, data) or text_required("note", _("退回理由"))(item, actor, data)


def _decide_valid(item, actor, data):
    case = _case(item)
    live = Determination.objects.filter(case=case, status__in=LIVE)
    if live.filter(status=DeterminationStatus.PROPOSED).exists():
        return _("还有处理意见待审批 (a proposal still awaits approval)")
    if not live.filter(status=DeterminationStatus.APPROVED).exists():
        return _("没有已批准的处理意见 (no approved determination)")
    undecided = case.subjects.filter(person__isnull=False).exclude(determinations__status__in=LIVE)
    if undecided.exists():
        return _("以下人员尚无处理意见：%(names)s (someone has no determination yet)") % {
            "names": "、".join(s.person.name for s in undecided.select_related("person"))
        }
    return None


def _drop_valid(item, actor, data):
    if Determination.objects.filter(case=_case(item), status=DeterminationStatus.APPROVED).exists():
        return _("已有批准的处理意见，不能不予问责 (approved determinations exist)")
    return text_required("note", _("不予问责的理由"))(item, actor, data)


def _appeal_valid(item, actor, data):
    d = data.get("determination")
    if not isinstance(d, Determination) or d.case_id != item.pk or d.status != DeterminationStatus.IN_FORCE:
        return _("请选择已生效的处理决定 (choose a determination in force)")
    if d.appeals.exists():
        return _("该决定已申诉过 (this determination was appealed already)")
    filed = data.get("filed_on")
    if filed is None:
        return _("请填写申诉日期 (the date of the appeal is required)")
    if filed > timezone.localdate():
        return _("申诉日期不能晚于今天 (the date of the appeal is in the future)")
    if d.appeal_deadline is not None and filed >= timezone.localtime(d.appeal_deadline).date():
        from xiaoneng.web.templatetags.xiaoneng import deadline_label

        return _("已超过申诉期限（%(d)s） (the appeal limit has passed)") % {
            "d": deadline_label(d.appeal_deadline)
        }
    return text_required("reason", _("申诉理由"))(item, actor, data)


def open_appeal(case):
    return case.appeals.filter(outcome="").select_related("determination__sanction").first()


def _decide_appeal_valid(item, actor, data):
    appeal = open_appeal(_case(item))
    if appeal is None:
        return _("没有待复核的申诉 (no appeal awaits a decision)")
    wanted = LEVEL_ROLE[ApprovalLevel(appeal.determination.sanction.approval_level)]
    if getattr(actor, "role", None) != wanted:
        return _("该申诉须由%(level)s复核 (review at another level)") % {
            "level": ApprovalLevel(appeal.determination.sanction.approval_level).label
        }
    outcome = data.get("outcome")
    if outcome not in AppealOutcome.values:
        return _("请选择复核结论 (choose the outcome)")
    if outcome == AppealOutcome.CHANGED:
        sanction = data.get("sanction")
        if not isinstance(sanction, Sanction) or not sanction.active:
            return _("请选择变更后的处理 (choose the new sanction)")
        # Nobody's sanction is made heavier because they asked for a review (公职人员政务处分法, 复审与复核).
        if sanction.rank >= appeal.determination.sanction.rank:
            return _(
                "复核不得加重处理，变更后的处理须轻于原处理 (a review may not make the sanction heavier)"
            )
    return text_required("decision", _("复核意见"))(item, actor, data)


def _close_valid(item, actor, data):
    now = timezone.now()
    waiting = Determination.objects.filter(case=_case(item), status=DeterminationStatus.IN_FORCE).filter(
        Q(appeal_deadline__gt=now) & ~Q(appeals__outcome__in=AppealOutcome.values)
    )
    if waiting.exists():
        from xiaoneng.web.templatetags.xiaoneng import deadline_label

        last = max(d.appeal_deadline for d in waiting)
        return _("申诉期限未满（至 %(d)s），暂不能结案 (the appeal limit is still running)") % {
            "d": deadline_label(last)
        }
    return None


def _publish_valid(item, actor, data):
    if _case(item).published_at is not None:
        return _("已在曝光台公开 (already published)")
    return text_required("public_summary", _("曝光内容"))(item, actor, data)


def _published(item, actor, data):
    if _case(item).published_at is None:
        return _("尚未公开 (not published)")
    return None


def _typical(want: bool):
    def guard(item, actor, data):
        if _case(item).typical == want:
            return _("已是典型案例 (already typical)") if want else _("不是典型案例 (not typical)")
        return None

    return guard


OPEN = frozenset({"investigating", "deciding"})
DECIDED = frozenset({"decided", "closed"})

WORKFLOW = Workflow(
    states={
        "investigating": _("调查中"),
        "deciding": _("审理审批中"),
        "decided": _("已作出决定"),
        "appeal": _("申诉复核中"),
        "closed": _("已结案"),
        "dropped": _("不予问责"),
    },
    initial="investigating",
    terminal=["closed", "dropped"],
    transitions=[
        Transition(
            "record", _("记录调查情况"), OPEN, None, STAFF, guard=_record_valid, style="outline-primary"
        ),
        Transition(
            "add_subject",
            _("追加问责对象"),
            OPEN,
            None,
            STAFF,
            guard=_subject_valid,
            style="outline-secondary",
        ),
        Transition("propose", _("提出处理意见"), OPEN, "deciding", STAFF, guard=_propose_valid),
        Transition(
            "approve", _("审批同意"), frozenset({"deciding"}), None, STAFF, guard=_pending, style="success"
        ),
        Transition(
            "return_proposal",
            _("退回处理意见"),
            frozenset({"deciding"}),
            None,
            STAFF,
            guard=_return_valid,
            style="outline-warning",
        ),
        Transition(
            "decide",
            _("作出决定并送达"),
            frozenset({"deciding"}),
            "decided",
            SUPERVISORS,
            guard=_decide_valid,
            style="success",
        ),
        Transition("drop", _("不予问责"), OPEN, "dropped", STAFF, guard=_drop_valid, style="outline-danger"),
        Transition(
            "appeal",
            _("受理申诉"),
            frozenset({"decided"}),
            "appeal",
            STAFF,
            guard=_appeal_valid,
            style="outline-warning",
        ),
        Transition(
            "decide_appeal",
            _("复核决定"),
            frozenset({"appeal"}),
            "decided",
            STAFF,
            guard=_decide_appeal_valid,
            style="success",
        ),
        Transition(
            "close",
            _("结案"),
            frozenset({"decided"}),
            "closed",
            SUPERVISORS,
            guard=_close_valid,
            style="success",
        ),
        Transition(
            "publish",
            _("列入曝光台"),
            DECIDED,
            None,
            SUPERVISORS,
            guard=_publish_valid,
            style="outline-danger",
        ),
        Transition(
            "unpublish",
            _("撤下曝光"),
            DECIDED,
            None,
            SUPERVISORS,
            guard=_published,
            style="outline-secondary",
        ),
        Transition(
            "mark_typical",
            _("列为典型案例"),
            DECIDED,
            None,
            SUPERVISORS,
            guard=_typical(True),
            style="outline-primary",
        ),
        Transition(
            "unmark_typical",
            _("取消典型案例"),
            DECIDED,
            None,
            SUPERVISORS,
            guard=_typical(False),
            style="outline-secondary",
        ),
    ],
)

# Events on a case's timeline that are not transitions.
TIMELINE_LABELS = {
    "accountability_opened": _("已立案问责"),
}


def _detail_url(item) -> str:
    from django.urls import reverse

    return reverse("accountability_case", args=[item.pk])  # a case shares its work item's id


def _perform(item, transition, actor, **kwargs):
    from . import services

    return services.perform_generic(item, transition, actor, **kwargs)


def timeline_for(item, user, events):
    """Staff read every note; the head of a unit concerned reads the steps without notes (they name others)."""
    import copy

    if getattr(user, "role", None) in STAFF:
        return list(events)
    out = []
    for e in events:
        clean = copy.copy(e)
        clean.note = ""
        out.append(clean)
    return out


def _timeline_read(item, user, events):
    """The timeline as the generic work-item API serves it (/api/work-items/{id}/timeline/): the same notes as the
    case page, and, like every other read of a case, an ACCOUNTABILITY_VIEWED row."""
    from xiaoneng.core import audit
    from xiaoneng.core.audit import AuditEventType

    audit.record(
        AuditEventType.ACCOUNTABILITY_VIEWED,
        actor=user,
        obj=item.accountability_case,
        data={"view": "timeline", "api": True},
    )
    return timeline_for(item, user, events)


def _api_read(items, user, view: str) -> None:
    """A read of cases through the generic work-item API (/api/work-items/ list or item): one
    ACCOUNTABILITY_VIEWED row per case, like every other read of a case (number as title, state, office,
    deadline — no person, but the read of a record all the same)."""
    from xiaoneng.core import audit
    from xiaoneng.core.audit import AuditEventType

    audit.record_many(
        [
            {
                "event_type": AuditEventType.ACCOUNTABILITY_VIEWED,
                "actor": user,
                "object_type": "accountability.case",
                "object_id": str(item.pk),  # a case's key is its work item's
                "data": {"view": view, "api": True},
            }
            for item in items
        ]
    )


def visible(user) -> Q:
    """Which cases, of those the work-item scope lets `user` see, are theirs to see (core/rules.py applies it): a
    person's accountability record is for `discipline` of the region, supervisors of the issuing level only, and
    the head of a unit concerned; never for leaders, NPC staff, liaisons or anyone else."""
    role = getattr(user, "role", None)
    if role in (Role.DISCIPLINE, Role.UNIT_LEADER):
        return Q()
    if role == Role.SUPERVISOR:
        return Q(region_path=user.jurisdiction_path)
    return Q(pk__in=[])


KIND = Kind(
    code="accountability",
    label=_("问责案件"),
    workflow=WORKFLOW,
    default_limit=LIMITS["investigation"],
    warning="5wd",
    red_after="10wd",
    detail_url=_detail_url,
    clock_states=frozenset({"investigating", "deciding", "appeal"}),
    # The generic work-item page and API defer to the case's own: its effects run on every action; the case is kept
    # from the roles the generic scope would let in (core/rules.py reads "visible").
    extra={
        "perform": _perform,
        "timeline_for": _timeline_read,
        "on_read": _api_read,
        "own_page": True,
        "visible": visible,
    },
)
