"""Writes of 问责 and 明查暗访: one function each; a case's state changes go through the declared workflow
(workflow.py), every change is on the case's timeline and the audit trail, notifications go out on commit.

Cases: `open_case` (from a true complaint, an inspection finding, a red card, overdue supervised work, an
evaluation or by hand), then `act(case, transition, actor, data=…)` for every transition. Inspections:
`create_plan`, `start_plan`, `finish_plan`, `cancel_plan`, `record_finding`, `rectify` (a supervised item with
source "inspection") and `open_case(source="inspection", finding=…)`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, clock_service, documents, notify, scope, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import Recusal, Stage, WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import Role

from .models import (
    Appeal,
    AppealOutcome,
    ApprovalLevel,
    Behaviour,
    Case,
    CaseSubject,
    Determination,
    DeterminationStatus,
    Finding,
    FindingPhoto,
    InspectionMode,
    InspectionPlan,
    InvestigationRecord,
    PlanState,
    Responsibility,
    Sanction,
    Source,
)
from .workflow import KIND, STAFF, WORKFLOW, limit, may_approve, open_appeal


def _refused(message: str, *, status: int = 400, code: str = "invalid") -> TransitionRefused:
    return TransitionRefused(message, status=status, code=code)


def _not_found() -> TransitionRefused:
    return _refused(
        _("未找到，或不在您的管辖范围内 (not found or outside your scope)"), status=404, code="not_found"
    )


def _in_scope(model, actor, obj) -> Any:
    """`obj` when `actor` may see it (the same answer as a missing one otherwise)."""
    if obj is None or not scope.restrict(model, actor).filter(pk=obj.pk).exists():
        raise _not_found()
    return obj


# --- opening a case -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectInput:
    """One person (with their unit) or one unit a case concerns, and the behaviour held against them."""

    unit: Unit
    behaviour: Behaviour
    person: Person | None = None
    note: str = ""


def _check_subjects(actor: Any, subjects: list[SubjectInput]) -> None:
    if not subjects:
        raise _refused(_("请至少填写一名问责对象 (name at least one person or unit)"), code="no_subjects")
    people = [s.person.pk for s in subjects if s.person is not None]
    if len(people) != len(set(people)):
        raise _refused(_("同一人员只能列一次 (a person is listed twice)"), code="duplicate_subject")
    for s in subjects:
        _in_scope(Unit, actor, s.unit)
        if s.person is not None:
            _in_scope(Person, actor, s.person)
            if s.person.unit_id != s.unit.pk:
                raise _refused(
                    _("%(p)s不在%(u)s (the person does not work in that unit)")
                    % {"p": s.person.name, "u": s.unit.name},
                    code="wrong_unit",
                )
        if not isinstance(s.behaviour, Behaviour) or not s.behaviour.active:
            raise _refused(_("请选择问责行为 (choose the behaviour)"), code="behaviour_required")


def _check_source(actor, source, *, complaint, finding, source_item, source_note) -> None:
    from xiaoneng.complaints.models import Complaint
    from xiaoneng.complaints.models import Finding as ComplaintFinding

    if source not in Source.values:
        raise _refused(_("请选择案件来源 (choose the source)"), code="bad_source")
    if source == Source.COMPLAINT:
        _in_scope(Complaint, actor, complaint)
        if complaint.finding not in (ComplaintFinding.TRUE, ComplaintFinding.PARTLY):
            raise _refused(
                _("只有属实或部分属实的投诉可以立案问责 (only a true or partly true complaint)"),
                status=409,
                code="not_true",
            )
        if complaint.accountability_case_id:
            raise _refused(_("该投诉已立案问责 (a case was already opened)"), status=409, code="case_exists")
    elif source == Source.INSPECTION:
        _in_scope(Finding, actor, finding)
        finding = Finding.objects.select_related("plan").get(pk=finding.pk)  # the plan as it stands now
        if finding.plan.hidden:
            raise _refused(
                _("暗访尚未结束，暂不能立案 (the undercover inspection is still running)"),
                status=409,
                code="undercover",
            )
        if finding.cases.exists():
            raise _refused(
                _("该检查发现已立案问责 (a case was already opened)"), status=409, code="case_exists"
            )
    elif source in (Source.RED_CARD, Source.OVERDUE):
        _in_scope(WorkItem, actor, source_item)
        # A red card on the unit's record (the sweep writes it), or the red stage the sweep is about to record.
        red = source_item.stage == Stage.RED or source_item.cards.filter(stage=Stage.RED).exists()
        if source == Source.RED_CARD and not red:
            raise _refused(_("该事项没有红牌 (the item holds no red card)"), status=409, code="no_red_card")
        if source == Source.OVERDUE and (
            source_item.kind != "supervision" or source_item.stage not in (Stage.YELLOW, Stage.RED)
        ):
            raise _refused(
                _("只有逾期的督办事项可以据此立案 (only overdue supervised work)"),
                status=409,
                code="not_overdue",
            )
    elif source == Source.EVALUATION and not source_note.strip():
        raise _refused(_("请注明评议来源 (name the evaluation)"), code="source_note_required")


def case_prefix(issuer: Unit, suffix: str) -> str:
    from xiaoneng.supervision.documents import prefix

    return prefix(issuer, suffix)


@transaction.atomic
def open_case(
    *,
    actor: Any,
    source: str,
    summary: str,
    subjects: list[SubjectInput],
    complaint: Any = None,
    finding: Finding | None = None,
    source_item: WorkItem | None = None,
    source_note: str = "",
    started_at: datetime | None = None,
) -> Case:
    """立案: a supervisor opens a case for their office (the issuing level) about one or more people and units.
    The investigation limit runs from now; the people concerned are recused from the case; a complaint's
    `accountability_case_id` points at it."""
    if getattr(actor, "role", None) != Role.SUPERVISOR:
        raise _refused(
            _("只有督查人员可以立案 (only supervisors open cases)"), status=403, code="role_not_allowed"
        )
    if not summary.strip():
        raise _refused(_("请填写问题线索 (describe what happened)"), code="summary_required")
    _check_subjects(actor, subjects)
    _check_source(
        actor, source, complaint=complaint, finding=finding, source_item=source_item, source_note=source_note
    )
    office = actor.unit
    started_at = started_at or timezone.now()
    _seq, number = documents.allocate_number(
        issuer=office,
        year=timezone.localtime(started_at).year,
        series="问责立案",
        prefix=case_prefix(office, "效问"),
    )
    wi = workitem.create(
        kind=KIND.code,
        actor=actor,
        title=f"问责案件 {number}",  # data, like the number: the same for every reader
        owner_unit=office,
        started_at=started_at,
        limit=limit("investigation"),
        note=summary.strip()[:300],
    )
    wi.units.set({s.unit for s in subjects})
    case = Case.objects.create(
        work_item=wi,
        number=number,
        source=source,
        complaint=complaint if source == Source.COMPLAINT else None,
        finding=finding if source == Source.INSPECTION else None,
        source_item=source_item if source in (Source.RED_CARD, Source.OVERDUE) else None,
        source_note=source_note.strip(),
        summary=summary.strip(),
    )
    for s in subjects:
        _add_subject(case, s)
    if case.complaint is not None:
        _link_complaint(case, actor)
    return case


def _add_subject(case: Case, s: SubjectInput) -> CaseSubject:
    subject = CaseSubject.objects.create(
        case=case,
        unit=s.unit,
        person=s.person,
        position=s.person.position if s.person else "",
        behaviour=s.behaviour,
        note=s.note.strip(),
    )
    if s.person is not None:  # 回避: never their own case, whatever role they hold
        Recusal.objects.get_or_create(work_item_id=case.pk, person=s.person, unit=None)
    return subject


def _link_complaint(case: Case, actor: Any) -> None:
    """The complaint records the case opened on it (the field the complaints app keeps for it) and says so on its
    timeline; done here, in the case's transaction, so the two never disagree."""
    from xiaoneng.complaints.models import Complaint

    Complaint.objects.filter(pk=case.complaint_id).update(accountability_case_id=str(case.pk))
    workitem.note_event(case.complaint.work_item, "accountability_opened", case.number, actor=actor)


# --- acting on a case -----------------------------------------------------------------------------------------


def _pk(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "yes")


def resolve(case: Case, actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in form or JSON data turned into this case's objects (others' ids resolve to nothing, so the guard
    says what is missing); dates parsed. What the guards and effects read."""
    data = dict(data)
    if "subject" in data and not isinstance(data["subject"], CaseSubject | dict):
        data["subject"] = case.subjects.select_related("person").filter(pk=_pk(data["subject"])).first()
    if "determination" in data and not isinstance(data["determination"], Determination):
        data["determination"] = (
            Determination.objects.select_related("sanction", "subject__person")
            .filter(case=case, pk=_pk(data["determination"]))
            .first()
        )
    if "sanction" in data and not isinstance(data["sanction"], Sanction):
        value = data["sanction"]
        data["sanction"] = (
            Sanction.objects.filter(pk=_pk(value)).first()
            if _pk(value)
            else Sanction.objects.filter(code=value).first()
        )
    for key in ("filed_on", "effective_on"):
        if key in data:
            data[key] = _date(data[key])
    for key in ("at", "delivered_at"):
        if key in data:
            data[key] = _datetime(data[key])
    return data


def _new_subject(actor: Any, data: dict[str, Any]) -> dict[str, Any] | None:
    """add_subject's input (unit, person, behaviour ids) as objects the actor may see, or None."""
    unit = scope.restrict(Unit, actor).filter(pk=_pk(data.get("unit"))).first()
    person_id = _pk(data.get("person"))
    person = scope.restrict(Person, actor).filter(pk=person_id).first() if person_id else None
    behaviour = Behaviour.objects.filter(pk=_pk(data.get("behaviour")), active=True).first()
    if unit is None or behaviour is None or (person_id and (person is None or person.unit_id != unit.pk)):
        return None
    return {"unit": unit, "person": person, "behaviour": behaviour}


def act(
    case: Case,
    transition: str,
    actor: Any,
    *,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Perform one declared transition of a case with its effect (see workflow.py for who may do what, when): role,
    state and guard by the workflow (403/409), the version by the work item (412), scope here (404)."""
    if not scope.restrict(Case, actor).filter(pk=case.pk).exists():
        raise _not_found()
    data = resolve(case, actor, data or {})
    if transition == "add_subject" and not isinstance(data.get("subject"), dict):
        data["subject"] = _new_subject(actor, data)
    now = timezone.now()
    note = str(data.get("note", "") or "").strip()
    after_commit: list = []

    def effect(wi: WorkItem) -> None:
        c = Case.objects.select_for_update().get(pk=case.pk)
        if transition == "record":
            InvestigationRecord.objects.create(
                case=c,
                at=data.get("at") or now,
                method=data["method"],
                text=str(data["text"]).strip(),
                recorded_by=actor,
            )
        elif transition == "add_subject":
            s = data["subject"]
            _add_subject(c, SubjectInput(unit=s["unit"], person=s["person"], behaviour=s["behaviour"]))
            wi.units.add(s["unit"])
        elif transition == "propose":
            d = _propose(c, actor, data, now)
            after_commit.append(lambda: _tell_approvers(d))
        elif transition in ("approve", "return_proposal"):
            d = data["determination"]
            d.status = (
                DeterminationStatus.APPROVED if transition == "approve" else DeterminationStatus.RETURNED
            )
            d.approved_by, d.approved_at, d.review_note = actor, now, note
            d.save(update_fields=["status", "approved_by", "approved_at", "review_note"])
        elif transition == "decide":
            delivered = _decide(c, actor, wi, data, now)
            after_commit.append(lambda: _tell_unit_heads(c, delivered))
        elif transition == "appeal":
            Appeal.objects.create(
                case=c,
                determination=data["determination"],
                filed_on=data["filed_on"],
                reason=str(data["reason"]).strip(),
                recorded_by=actor,
                recorded_at=now,
            )
            wi.started_at, wi.limit = now, limit("review")  # the review limit runs from receipt
        elif transition == "decide_appeal":
            _decide_appeal(c, actor, data, now)
        elif transition == "publish":
            c.published_at, c.public_summary = now, str(data["public_summary"]).strip()
            c.save(update_fields=["published_at", "public_summary"])
        elif transition == "unpublish":
            c.published_at = None
            c.save(update_fields=["published_at"])
        elif transition in ("mark_typical", "unmark_typical"):
            c.typical = transition == "mark_typical"
            c.save(update_fields=["typical"])

    with transaction.atomic():
        workitem.perform(
            case.work_item,
            transition,
            actor,
            note=_timeline_note(transition, data, note),
            expected_version=expected_version,
            data=data,
            effect=effect,
        )
        for fn in after_commit:
            transaction.on_commit(fn)
    return Case.objects.select_related("work_item__owner_unit").get(pk=case.pk)


def _timeline_note(transition: str, data: dict[str, Any], note: str) -> str:
    """What the timeline says of a step (staff read it; a unit head reads the steps without notes)."""
    d = data.get("determination")
    if transition == "record":
        return str(data.get("text", "") or "").strip()
    if transition == "add_subject" and isinstance(data.get("subject"), dict):
        s = data["subject"]
        return f"{s['unit'].name} {s['person'].name if s['person'] else ''}".strip()
    if (
        transition == "propose"
        and isinstance(data.get("subject"), CaseSubject)
        and isinstance(data.get("sanction"), Sanction)
    ):
        return f"{data['subject']}：{data['sanction'].name}"
    if transition in ("approve", "return_proposal", "appeal") and isinstance(d, Determination):
        extra = note or str(data.get("reason", "") or "").strip()
        return f"{d.subject}：{d.sanction.name}" + (f"（{extra}）" if extra else "")
    if transition == "decide_appeal":
        return str(
            data.get("decision", "") or ""
        ).strip()  # the outcome itself is on the appeal, in every language
    if transition == "publish":
        return str(data.get("public_summary", "") or "").strip()
    return note


def _propose(case: Case, actor: Any, data: dict[str, Any], now: datetime) -> Determination:
    from .selectors import escalation_suggestions

    subject: CaseSubject = data["subject"]
    sanction: Sanction = data["sanction"]
    suggestions = escalation_suggestions(subject.person, sanction, at=now) if subject.person_id else []
    return Determination.objects.create(
        case=case,
        subject=subject,
        person=subject.person,
        unit=subject.unit,
        region_path=case.work_item.region_path,
        behaviour=subject.behaviour,
        responsibility=data.get("responsibility") if subject.person_id else "",
        sanction=sanction,
        reasoning=str(data["reasoning"]).strip(),
        publish_name=_truthy(data.get("publish_name")),
        proposed_by=actor,
        proposed_at=now,
        suggestions=[s.as_record() for s in suggestions],
    )


def add_months(d: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter): 影响期 ends there."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def _decide(case: Case, actor: Any, wi: WorkItem, data: dict[str, Any], now: datetime) -> list[Determination]:
    """作出决定并送达: every approved determination takes effect on the given date (default today), its 影响期 and
    its appeal limit (from delivery, by the clock) are set, and its notice is issued with a number."""
    from .documents import issue_determination_notice

    effective = data.get("effective_on") or timezone.localdate()
    delivered_at = data.get("delivered_at") or now
    delivered = []
    for d in Determination.objects.filter(case=case, status=DeterminationStatus.APPROVED).select_related(
        "sanction", "subject", "person", "unit", "behaviour"
    ):
        d.status = DeterminationStatus.IN_FORCE
        d.effective_on = effective
        d.effect_until = add_months(effective, d.sanction.effect_months) if d.sanction.effect_months else None
        d.appeal_deadline = clock_service.deadline_for(delivered_at, limit("appeal"), wi.region_path)
        d.notice, _data = issue_determination_notice(d, actor)
        d.save(update_fields=["status", "effective_on", "effect_until", "appeal_deadline", "notice"])
        delivered.append(d)
    return delivered


def _decide_appeal(case: Case, actor: Any, data: dict[str, Any], now: datetime) -> None:
    """复核决定: upheld, revoked, or changed to a lighter sanction — a new determination that supersedes the old one
    (both kept); a 复核决定书 is issued either way."""
    from .documents import issue_review_decision

    appeal = open_appeal(case)
    old = appeal.determination
    appeal.outcome, appeal.decision = data["outcome"], str(data["decision"]).strip()
    appeal.decided_by, appeal.decided_at = actor, now
    if appeal.outcome == AppealOutcome.REVOKED:
        old.status = DeterminationStatus.REVOKED
        old.save(update_fields=["status"])
    elif appeal.outcome == AppealOutcome.CHANGED:
        old.status = DeterminationStatus.SUPERSEDED
        old.save(update_fields=["status"])
        sanction: Sanction = data["sanction"]
        responsibility = data.get("responsibility")
        new = Determination.objects.create(
            case=case,
            subject=old.subject,
            person=old.person,
            unit=old.unit,
            region_path=old.region_path,
            behaviour=old.behaviour,
            responsibility=responsibility if responsibility in Responsibility.values else old.responsibility,
            sanction=sanction,
            reasoning=appeal.decision,
            publish_name=old.publish_name,
            status=DeterminationStatus.IN_FORCE,
            proposed_by=actor,
            proposed_at=now,
            approved_by=actor,
            approved_at=now,
            review_note=appeal.decision,
            # The changed sanction replaces the old one from the day the old one took effect.
            effective_on=old.effective_on,
            effect_until=add_months(old.effective_on, sanction.effect_months)
            if sanction.effect_months and old.effective_on
            else None,
            supersedes=old,
        )
        appeal.new_determination = new
    appeal.decision_notice, _data = issue_review_decision(appeal, actor)
    appeal.save()


def perform_generic(item, transition: str, actor: Any, *, note: str = "", expected_version=None, data=None):
    """The generic work-item endpoints (/api/work-items/{id}/actions/…) hand case transitions here, so the effects
    above always run whichever way an action arrives."""
    case = item.accountability_case
    return act(
        case, transition, actor, data={**(data or {}), "note": note}, expected_version=expected_version
    ).work_item


def _recipients(case: Case, users) -> list[User]:
    """Of `users`, those who may open the case (回避 and the issuing level checked by the scope layer itself)."""
    return [u for u in users if scope.restrict(Case, u).filter(pk=case.pk).exists()]


def _tell_approvers(d: Determination) -> None:
    """A proposal waits: the supervisors of the issuing level (other than the proposer) or the discipline staff
    above the case's region are told — the title names the case, never the person."""
    case = d.case
    level = ApprovalLevel(d.sanction.approval_level)
    if level == ApprovalLevel.OFFICE:
        users = User.objects.filter(
            role=Role.SUPERVISOR, is_active=True, unit__region__path=case.work_item.region_path
        )
    else:
        users = User.objects.filter(role=Role.DISCIPLINE, is_active=True).select_related("unit__region")
    users = [
        u
        for u in users.exclude(pk=d.proposed_by_id)
        if case.work_item.region_path.startswith(u.jurisdiction_path)
    ]
    title = _("问责案件 %(n)s 有处理意见待您审批") % {"n": case.number}
    for user in _recipients(case, users):
        notify.notify(
            user, f"accountability:{case.pk}:approve:{d.pk}", title, url=_url(case), item=case.work_item
        )


def _tell_unit_heads(case: Case, delivered: list[Determination]) -> None:
    """Decided: the head of each unit concerned learns that a decision about their unit's people was made (never
    the person concerned through this message; they get the notice)."""
    units = {d.unit_id for d in delivered}
    heads = User.objects.filter(role=Role.UNIT_LEADER, is_active=True, unit_id__in=units)
    title = _("问责案件 %(n)s 已作出处理决定") % {"n": case.number}
    for user in _recipients(case, heads):
        notify.notify(
            user, f"accountability:{case.pk}:decided:{case.work_item.version}", title, url=_url(case)
        )


def _url(case: Case) -> str:
    return reverse("accountability_case", args=[case.pk])


# --- inspections ----------------------------------------------------------------------------------------------


def _record_inspection(actor: Any, obj: Any, what: str, **data: Any) -> None:
    audit.record(AuditEventType.INSPECTION_CHANGED, actor=actor, obj=obj, data={"what": what, **data})


def team_members(actor: Any, users) -> list[User]:
    """A team is made of supervisors and discipline staff within the organiser's region."""
    out = []
    for u in users:
        if (
            u.role not in STAFF
            or not u.is_active
            or not u.jurisdiction_path.startswith(actor.jurisdiction_path)
        ):
            raise _refused(
                _(
                    "检查组成员须为本辖区的督查或纪检监察人员 (team members are supervisors or discipline staff of the region)"
                ),
                code="bad_team",
            )
        out.append(u)
    return out


@transaction.atomic
def create_plan(
    *,
    actor: Any,
    title: str,
    mode: str,
    starts_on: date,
    ends_on: date,
    targets: list[Unit],
    team: list[User] = (),
    windows: str = "",
    focus: str = "",
) -> InspectionPlan:
    """检查计划: a supervisor plans an open (明查) or undercover (暗访) inspection of units, windows and townships; the
    organiser is on the team."""
    if getattr(actor, "role", None) != Role.SUPERVISOR:
        raise _refused(
            _("只有督查人员可以制定检查计划 (only supervisors plan inspections)"),
            status=403,
            code="role_not_allowed",
        )
    if not title.strip():
        raise _refused(_("请填写检查名称 (a title is required)"), code="title_required")
    if mode not in InspectionMode.values:
        raise _refused(_("请选择明查或暗访 (choose open or undercover)"), code="bad_mode")
    if ends_on < starts_on:
        raise _refused(_("结束日期不能早于开始日期 (the end is before the start)"), code="bad_dates")
    if not targets:
        raise _refused(_("请选择检查对象 (choose the units to inspect)"), code="no_targets")
    for unit in targets:
        _in_scope(Unit, actor, unit)
    members = team_members(actor, [u for u in team if u.pk != actor.pk])
    plan = InspectionPlan.objects.create(
        title=title.strip(),
        issuer=actor.unit,
        region_path=actor.unit.region.path,
        mode=mode,
        starts_on=starts_on,
        ends_on=ends_on,
        windows=windows.strip(),
        focus=focus.strip(),
        created_by=actor,
    )
    plan.targets.set(targets)
    plan.team.set([actor, *members])
    _record_inspection(actor, plan, "planned", mode=mode)
    return plan


def _may_run(plan: InspectionPlan, actor: Any) -> None:
    """The team and the supervisors of the issuing level run a plan."""
    _in_scope(InspectionPlan, actor, plan)
    on_team = plan.team.filter(pk=actor.pk).exists()
    issuing = actor.role == Role.SUPERVISOR and actor.jurisdiction_path == plan.region_path
    if not (on_team or issuing):
        raise _refused(
            _("只有检查组成员可以操作 (only the team may do this)"), status=403, code="not_on_team"
        )


def _move(
    plan: InspectionPlan, actor: Any, to: str, sources: tuple[str, ...], **fields: Any
) -> InspectionPlan:
    _may_run(plan, actor)
    with transaction.atomic():
        plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.state not in sources:
            raise _refused(
                _("当前状态“%(s)s”下不能这样操作 (not allowed in the current state)")
                % {"s": plan.get_state_display()},
                status=409,
                code="wrong_state",
            )
        plan.state = to
        for k, v in fields.items():
            setattr(plan, k, v)
        plan.save()
        _record_inspection(actor, plan, to)
    return plan


def start_plan(plan: InspectionPlan, actor: Any) -> InspectionPlan:
    """开始检查."""
    return _move(plan, actor, PlanState.UNDER_WAY, (PlanState.PLANNED,))


def finish_plan(plan: InspectionPlan, actor: Any, *, summary: str = "") -> InspectionPlan:
    """结束检查: an undercover plan becomes visible to the region's staff; its findings can now go to the units."""
    return _move(
        plan,
        actor,
        PlanState.DONE,
        (PlanState.PLANNED, PlanState.UNDER_WAY),
        summary=summary.strip(),
        finished_at=timezone.now(),
    )


def cancel_plan(plan: InspectionPlan, actor: Any, *, reason: str) -> InspectionPlan:
    """取消检查, with a reason."""
    if not reason.strip():
        raise _refused(_("请填写取消理由 (a reason is required)"), code="reason_required")
    if plan.findings.exists():
        raise _refused(_("已有检查发现，不能取消 (findings were recorded)"), status=409, code="has_findings")
    return _move(
        plan, actor, PlanState.CANCELLED, (PlanState.PLANNED, PlanState.UNDER_WAY), summary=reason.strip()
    )


@transaction.atomic
def record_finding(
    *,
    actor: Any,
    plan: InspectionPlan,
    observed_at: datetime,
    place: str,
    unit: Unit,
    description: str,
    window: str = "",
    people_present: str = "",
    person: Person | None = None,
    behaviour: Behaviour | None = None,
    photos: list = (),
) -> Finding:
    """检查发现, recorded on the spot by a team member: what was seen, when, where, who was there, photos (cleaned:
    no EXIF, no location; complaints/attachments.py). A planned inspection starts with its first finding."""
    _may_run(plan, actor)
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.state not in (PlanState.PLANNED, PlanState.UNDER_WAY):
        raise _refused(_("检查已结束或取消 (the inspection is over)"), status=409, code="wrong_state")
    if not description.strip() or not place.strip():
        raise _refused(
            _("请填写地点和发现的问题 (place and what was seen are required)"), code="description_required"
        )
    if observed_at > timezone.now() + timedelta(minutes=5):
        raise _refused(_("发现时间不能晚于现在 (the time is in the future)"), code="future")
    _in_scope(Unit, actor, unit)
    if person is not None and person.unit_id != unit.pk:
        raise _refused(_("当事人不在该单位 (the person does not work in that unit)"), code="wrong_unit")
    if plan.state == PlanState.PLANNED:
        plan.state = PlanState.UNDER_WAY
        plan.save(update_fields=["state"])
    finding = Finding.objects.create(
        plan=plan,
        observed_at=observed_at,
        place=place.strip(),
        unit=unit,
        window=window.strip(),
        people_present=people_present.strip(),
        person=person,
        behaviour=behaviour,
        description=description.strip(),
        recorded_by=actor,
    )
    for f in photos:
        photo = FindingPhoto(finding=finding, content_type=f.content_type, size=len(f.data), sha256=f.sha256)
        photo.file.save(f"{uuid.uuid4().hex}.{f.ext}", ContentFile(f.data), save=False)
        photo.save()
    _record_inspection(actor, finding, "finding", photos=len(photos))
    return finding


@transaction.atomic
def rectify(finding: Finding, actor: Any, *, limit_text: str = "10wd") -> Any:
    """整改: the finding becomes supervised work for the unit (source "inspection"). It tells the unit what was seen,
    when and where — not who was present. Refused while an undercover inspection is still running."""
    from xiaoneng.supervision import services as supervision

    _in_scope(Finding, actor, finding)
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("plan", "unit", "behaviour")
        .get(pk=finding.pk)
    )
    if finding.plan.hidden:
        raise _refused(
            _("暗访尚未结束，暂不能交办整改 (the undercover inspection is still running)"),
            status=409,
            code="undercover",
        )
    if finding.rectification_id is not None:
        raise _refused(_("已交办整改 (already sent for rectification)"), status=409, code="already_rectified")
    what = finding.behaviour.name if finding.behaviour else _("检查发现问题")
    observed = timezone.localtime(finding.observed_at)
    item = supervision.issue(
        actor=actor,
        title=_("明查暗访整改：%(u)s%(w)s") % {"u": finding.unit.short_name or finding.unit.name, "w": what},
        source="inspection",
        lead_unit=finding.unit,
        limit=limit_text,
        reference_no=finding.plan.title[:60],
        description=_("%(t)s，检查组在%(p)s%(win)s发现：%(d)s 请于时限内整改到位并报送整改情况。")
        % {
            "t": f"{observed:%Y-%m-%d %H:%M}",
            "p": finding.place,
            "win": f"（{finding.window}）" if finding.window else "",
            "d": finding.description,
        },
    )
    finding.rectification = item
    finding.save(update_fields=["rectification"])
    _record_inspection(actor, finding, "rectification", item=item.pk)
    return item


def available(case: Case, actor: Any) -> list:
    """The transitions `actor` may try on `case` now (the page's buttons; guards that read form data are checked when
    the form is sent)."""
    return WORKFLOW.available(case.work_item, actor)


def approvable(case: Case, actor: Any) -> list[Determination]:
    """Proposals of `case` that `actor` may approve or return (the configured level, not their own)."""
    pending = Determination.objects.filter(case=case, status=DeterminationStatus.PROPOSED).select_related(
        "sanction"
    )
    return [d for d in pending if may_approve(d, actor) is None]
