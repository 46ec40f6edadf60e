"""问责案件 from opening to closing: investigation, a determination per person approved at the configured level,
the decision delivered with its notice, an appeal within the limit from the clock, the review that keeps the old
decision in the history, and the refusals on the way."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from tests.conftest import at, make_user
from xiaoneng.accountability import services
from xiaoneng.accountability.models import (
    Behaviour,
    BehaviourCategory,
    Case,
    Determination,
    EscalationRule,
    Sanction,
)
from xiaoneng.core import clock_service, documents
from xiaoneng.core.models import AuditEvent, Recusal, WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role

from .conftest import B, S, decided_case, investigate, pending, propose


def refused(fn, *args, **kwargs) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as e:
        fn(*args, **kwargs)
    return e.value


# --- the catalog ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_starter_ladder_runs_from_written_review_to_referral_then_governmental_sanctions():
    ladder = list(
        Sanction.objects.filter(kind__in=["measure", "organisational", "referral"]).values_list(
            "name", flat=True
        )
    )
    assert ladder == [
        "责令书面检查",
        "诫勉",
        "通报批评",
        "扣发考核奖",
        "取消当年评优评先资格",
        "效能告诫",
        "停职检查/离岗培训",
        "调离岗位",
        "解除聘用",
        "免职/撤职",
        "移送纪检监察机关",
    ]
    governmental = {s.name: s.effect_months for s in Sanction.objects.filter(kind="governmental")}
    assert governmental == {"警告": 6, "记过": 12, "记大过": 18, "降级": 24, "撤职": 24, "开除": None}
    assert S("efficiency_warning").approval_level == "office"
    assert S("removal").approval_level == "discipline"


@pytest.mark.django_db
def test_every_starter_behaviour_has_a_sanction_range_within_its_category():
    names = set(BehaviourCategory.objects.values_list("name", flat=True))
    assert {"不作为", "慢作为", "乱作为", "服务态度", "工作纪律", "廉洁"} <= names
    assert Behaviour.objects.count() >= 25
    for b in Behaviour.objects.select_related("min_sanction", "max_sanction"):
        assert b.min_sanction.rank <= b.max_sanction.rank, b.name


# --- opening --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_case_numbers_it_starts_the_investigation_clock_and_recuses_the_person(world, case, staff):
    wi = case.work_item
    assert wi.kind == "accountability" and wi.state == "investigating"
    assert wi.owner_unit == staff.unit and wi.region_path == world.a.path
    assert case.number == "东湖效问〔2026〕1号" and wi.title == "问责案件 东湖效问〔2026〕1号"
    assert wi.deadline == clock_service.deadline_for(at("2026-03-02 09:00"), "30wd", wi.region_path)
    assert list(wi.units.all()) == [world.ua]
    assert Recusal.objects.filter(work_item=wi, person=world.pa).exists()
    assert case.subjects.get().position == "科长"


@pytest.mark.django_db
def test_only_supervisors_open_cases_and_bad_input_changes_nothing(world, staff, discipline, other, media):
    subject = services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("late_early"))
    e = refused(services.open_case, actor=discipline, source="manual", summary="x", subjects=[subject])
    assert e.status == 403
    e = refused(services.open_case, actor=staff, source="manual", summary=" ", subjects=[subject])
    assert e.code == "summary_required"
    e = refused(services.open_case, actor=staff, source="manual", summary="x", subjects=[])
    assert e.code == "no_subjects"
    wrong = services.SubjectInput(unit=world.ua, person=other, behaviour=B("late_early"))
    assert (
        refused(services.open_case, actor=staff, source="manual", summary="x", subjects=[wrong]).code
        == "wrong_unit"
    )
    outside = services.SubjectInput(unit=world.ub, person=world.pb, behaviour=B("late_early"))
    assert (
        refused(services.open_case, actor=staff, source="manual", summary="x", subjects=[outside]).status
        == 404
    )
    e = refused(services.open_case, actor=staff, source="evaluation", summary="x", subjects=[subject])
    assert e.code == "source_note_required"
    assert not Case.objects.exists() and not WorkItem.objects.filter(kind="accountability").exists()


@pytest.mark.django_db
def test_several_people_and_units_in_one_case(world, staff, other, media):
    case = services.open_case(
        actor=staff,
        source="manual",
        summary="窗口空岗，负责人失察。",
        subjects=[
            services.SubjectInput(unit=world.ua2, person=other, behaviour=B("absent")),
            services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("negligent_oversight")),
            services.SubjectInput(unit=world.ua2, behaviour=B("weak_leadership")),
        ],
    )
    assert case.subjects.count() == 3
    assert set(case.work_item.units.all()) == {world.ua, world.ua2}
    assert set(Recusal.objects.filter(work_item=case.work_item).values_list("person__name", flat=True)) == {
        "王市监",
        "张东湖",
    }


# --- investigation and determinations -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_proposal_needs_an_investigation_record_first(case, staff):
    e = refused(propose, case, staff)
    assert e.status == 409 and "请先记录调查情况" in e.message
    investigate(case, staff)
    case = propose(case, staff)
    assert case.work_item.state == "deciding"
    d = pending(case)
    assert (d.person, d.sanction.code, d.responsibility, d.status) == (
        case.subjects.get().person,
        "efficiency_warning",
        "direct",
        "proposed",
    )


@pytest.mark.django_db
def test_a_proposal_is_refused_without_responsibility_or_with_a_sanction_unfit_for_units(world, case, staff):
    investigate(case, staff)
    assert "责任类型" in refused(propose, case, staff, responsibility="").message
    case = services.act(
        case, "add_subject", staff, data={"unit": world.ua2.pk, "behaviour": B("weak_leadership").pk}
    )
    unit_subject = case.subjects.get(person__isnull=True)
    assert (
        "不适用于单位" in refused(propose, case, staff, subject=unit_subject, sanction="admonition").message
    )
    propose(case, staff, subject=unit_subject, sanction="criticism", responsibility="")
    assert world.ua2 in case.work_item.units.all()


@pytest.mark.django_db
def test_the_office_approves_with_four_eyes_and_the_configured_level_decides_who(
    case, staff, approver, discipline, world
):
    investigate(case, staff)
    propose(case, staff)
    d = pending(case)
    e = refused(services.act, case, "approve", staff, data={"determination": d.pk})
    assert "不能审批自己提出的处理意见" in e.message
    e = refused(services.act, case, "approve", discipline, data={"determination": d.pk})
    assert "效能办审批" in e.message
    e = refused(services.act, case, "approve", world.users["liaison"], data={"determination": d.pk})
    assert e.status == 404  # a liaison cannot even see the case
    services.act(case, "approve", approver, data={"determination": d.pk, "note": "同意"})
    d.refresh_from_db()
    assert (d.status, d.approved_by, d.review_note) == ("approved", approver, "同意")


@pytest.mark.django_db
def test_a_heavy_sanction_is_approved_by_discipline(case, staff, approver, discipline):
    investigate(case, staff)
    propose(case, staff, sanction="transfer")
    d = pending(case)
    assert (
        "纪检监察机关审批"
        in refused(services.act, case, "approve", approver, data={"determination": d.pk}).message
    )
    services.act(case, "approve", discipline, data={"determination": d.pk})
    assert Determination.objects.get(pk=d.pk).status == "approved"


@pytest.mark.django_db
def test_a_returned_proposal_is_kept_and_a_new_one_can_follow(case, staff, discipline):
    investigate(case, staff)
    propose(case, staff, sanction="removal")
    d = pending(case)
    assert (
        "纪检监察机关审批"
        in refused(services.act, case, "return_proposal", staff, data={"determination": d.pk}).message
    )
    assert (
        "退回理由"
        in refused(services.act, case, "return_proposal", discipline, data={"determination": d.pk}).message
    )
    services.act(case, "return_proposal", discipline, data={"determination": d.pk, "note": "处理过重"})
    propose(case, staff, sanction="efficiency_warning")
    statuses = list(case.determinations.order_by("id").values_list("sanction__code", "status", "review_note"))
    assert statuses == [("removal", "returned", "处理过重"), ("efficiency_warning", "proposed", "")]


@pytest.mark.django_db
def test_deciding_needs_every_person_determined_and_delivers_numbered_notices(
    world, case, staff, approver, other, media
):
    investigate(case, staff)
    case = services.act(
        case,
        "add_subject",
        staff,
        data={"unit": world.ua2.pk, "person": other.pk, "behaviour": B("absent").pk},
    )
    propose(case, staff)
    services.act(case, "approve", approver, data={"determination": pending(case).pk})
    e = refused(services.act, case, "decide", staff, data={})
    assert "王市监" in e.message
    propose(
        case,
        staff,
        subject=case.subjects.get(person=other),
        sanction="criticism",
        responsibility="important_leader",
    )
    assert "待审批" in refused(services.act, case, "decide", staff, data={}).message
    services.act(case, "approve", approver, data={"determination": pending(case).pk})
    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        case = services.act(case, "decide", staff, data={})
    assert case.work_item.state == "decided"
    warning = case.determinations.get(sanction__code="efficiency_warning")
    assert warning.status == "in_force" and warning.effective_on == date(2026, 3, 20)
    assert warning.effect_until == date(2027, 3, 20)  # 效能告诫: 12 months
    assert warning.appeal_deadline == clock_service.deadline_for(at("2026-03-20 10:00"), "30d", world.a.path)
    assert warning.notice.number == "东湖效告〔2026〕1号" and warning.notice.kind == "效能告诫书"
    criticism = case.determinations.get(sanction__code="criticism")
    assert criticism.notice.number == "东湖效问决〔2026〕1号" and criticism.effect_until is None
    body = documents.stored_docx(warning.notice)
    assert body[:2] == b"PK"


@pytest.mark.django_db
def test_the_notice_says_what_was_decided_and_how_to_appeal(case, staff, approver, media):
    from io import BytesIO

    from docx import Document

    case = decided_case(case, staff, approver)
    d = case.determinations.get()
    text = "\n".join(p.text for p in Document(BytesIO(documents.stored_docx(d.notice))).paragraphs)
    assert "张东湖" in text and "效能告诫" in text and "直接责任" in text
    assert "30日内向本机关申请复核" in text


@pytest.mark.django_db
def test_nothing_is_dropped_once_approved_and_a_drop_needs_a_reason(case, staff, approver):
    assert "不予问责的理由" in refused(services.act, case, "drop", staff, data={}).message
    investigate(case, staff)
    propose(case, staff)
    services.act(case, "approve", approver, data={"determination": pending(case).pk})
    assert "已有批准" in refused(services.act, case, "drop", staff, data={"note": "情节轻微"}).message


@pytest.mark.django_db
def test_a_case_is_dropped_with_its_reason_on_the_timeline(case, staff):
    case = services.act(case, "drop", staff, data={"note": "经核查不属实"})
    assert case.work_item.state == "dropped" and case.work_item.closed_at is not None
    assert case.work_item.timeline.filter(action="drop", note="经核查不属实").exists()


# --- appeal ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_appeal_within_the_limit_restarts_the_clock_for_the_review(world, case, staff, approver, media):
    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        case = decided_case(case, staff, approver)
    d = case.determinations.get()
    with time_machine.travel(at("2026-04-01 10:00"), tick=False):
        case = services.act(
            case,
            "appeal",
            staff,
            data={"determination": d.pk, "filed_on": "2026-04-01", "reason": "情节轻微"},
        )
    wi = case.work_item
    assert wi.state == "appeal" and wi.limit == "30d"
    assert wi.deadline == clock_service.deadline_for(at("2026-04-01 10:00"), "30d", world.a.path)
    assert case.appeals.get().determination == d


@pytest.mark.django_db
def test_an_appeal_after_the_limit_or_a_second_one_is_refused(case, staff, approver, media):
    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        case = decided_case(case, staff, approver)
    d = case.determinations.get()
    with time_machine.travel(at("2026-05-20 10:00"), tick=False):
        e = refused(
            services.act,
            case,
            "appeal",
            staff,
            data={"determination": d.pk, "filed_on": "2026-05-20", "reason": "不服"},
        )
        assert "已超过申诉期限" in e.message
        e = refused(
            services.act,
            case,
            "appeal",
            staff,
            data={"determination": d.pk, "filed_on": "2026-06-01", "reason": "不服"},
        )
        assert "不能晚于今天" in e.message
        services.act(
            case, "appeal", staff, data={"determination": d.pk, "filed_on": "2026-04-10", "reason": "不服"}
        )
        services.act(case, "decide_appeal", approver, data={"outcome": "upheld", "decision": "事实清楚"})
        e = refused(
            services.act,
            case,
            "appeal",
            staff,
            data={"determination": d.pk, "filed_on": "2026-04-12", "reason": "再申诉"},
        )
        assert "已申诉过" in e.message


@pytest.mark.django_db
def test_a_review_may_lighten_but_never_aggravate_and_the_old_decision_stays_in_the_history(
    case, staff, approver, discipline, media
):
    case = decided_case(case, staff, approver)
    d = case.determinations.get()
    case = services.act(
        case,
        "appeal",
        staff,
        data={"determination": d.pk, "filed_on": timezone.localdate(), "reason": "初犯"},
    )
    e = refused(services.act, case, "decide_appeal", discipline, data={"outcome": "upheld", "decision": "x"})
    assert "效能办审批" in e.message  # reviewed at the level that approved it
    e = refused(
        services.act,
        case,
        "decide_appeal",
        approver,
        data={"outcome": "changed", "sanction": S("transfer").pk, "decision": "x"},
    )
    assert "不得加重" in e.message
    case = services.act(
        case,
        "decide_appeal",
        approver,
        data={"outcome": "changed", "sanction": S("criticism").pk, "decision": "系初犯，认错态度好。"},
    )
    assert case.work_item.state == "decided"
    d.refresh_from_db()
    new = d.superseded_by
    assert d.status == "superseded" and new.status == "in_force" and new.sanction.code == "criticism"
    assert new.effective_on == d.effective_on and new.appeal_deadline is None
    appeal = case.appeals.get()
    assert appeal.new_determination == new and appeal.decision_notice.kind == "复核决定书"
    assert list(case.determinations.order_by("id").values_list("sanction__code", "status")) == [
        ("efficiency_warning", "superseded"),
        ("criticism", "in_force"),
    ]


@pytest.mark.django_db
def test_a_revoked_decision_leaves_nothing_in_force(case, staff, approver, media):
    case = decided_case(case, staff, approver)
    d = case.determinations.get()
    services.act(
        case,
        "appeal",
        staff,
        data={"determination": d.pk, "filed_on": timezone.localdate(), "reason": "证据不足"},
    )
    services.act(case, "decide_appeal", approver, data={"outcome": "revoked", "decision": "证据不足，撤销。"})
    d.refresh_from_db()
    assert d.status == "revoked"
    assert not Determination.objects.filter(status="in_force").exists()


@pytest.mark.django_db
def test_a_case_closes_once_the_appeal_limit_has_run(case, staff, approver, media):
    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        case = decided_case(case, staff, approver)
        assert "申诉期限未满" in refused(services.act, case, "close", staff, data={}).message
    with time_machine.travel(at("2026-04-21 10:00"), tick=False):
        case = services.act(case, "close", staff, data={})
    assert case.work_item.state == "closed"


# --- escalation suggestions -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_efficiency_warning_within_a_year_suggests_transfer_but_applies_nothing(
    world, case, staff, approver, media
):
    from xiaoneng.accountability.selectors import escalation_suggestions

    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        decided_case(case, staff, approver)
    with time_machine.travel(at("2026-09-01 10:00"), tick=False):
        second = services.open_case(
            actor=staff,
            source="manual",
            summary="再次上班时间打牌。",
            subjects=[services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("games_cards"))],
        )
        suggested = escalation_suggestions(world.pa, S("efficiency_warning"))
        assert [s.suggest for s in suggested] == ["调离岗位"]
        assert "365日内第2次受到效能告诫" in suggested[0].text and "仅为建议" in suggested[0].text
        assert escalation_suggestions(world.pa, S("transfer")) == []  # already as heavy as the suggestion
        investigate(second, staff)
        propose(second, staff)
    d = pending(second)
    assert d.sanction.code == "efficiency_warning"  # suggested, never applied
    assert d.suggestions[0]["suggest"] == "调离岗位" and d.suggestions[0]["count"] == 2
    with time_machine.travel(at("2027-04-01 10:00"), tick=False):
        assert (
            escalation_suggestions(world.pa, S("efficiency_warning")) == []
        )  # the first is more than a year old


@pytest.mark.django_db
def test_two_valid_complaints_in_a_year_against_a_unit_head_suggest_a_measure(world, complaint_office, media):
    from xiaoneng.accountability.selectors import escalation_suggestions
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category, Complaint

    world.ua.head = world.pa
    world.ua.save()
    for i in range(2):
        c, _code, _new = complaints.submit(
            channel="hotline",
            category=Category.objects.get(code="delay"),
            subject_unit=world.ua,
            content=f"拖延{i}",
            anonymous=True,
        )
        Complaint.objects.filter(pk=c.pk).update(finding="true" if i else "partly")
    assert [s.suggest for s in escalation_suggestions(world.pa)] == ["诫勉"]
    assert "有效投诉2件" in escalation_suggestions(world.pa)[0].text
    EscalationRule.objects.update(active=False)
    assert escalation_suggestions(world.pa) == []


# --- sources --------------------------------------------------------------------------------------------------


def _true_complaint(world, person, **fields):
    """A complaint about 王市监 of 东湖区市场监管局 (never about the office's own unit, which would be recused)."""
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category, Complaint

    c, _code, _new = complaints.submit(
        channel="hotline",
        category=Category.objects.get(code="discipline"),
        subject_unit=world.ua2,
        subject_person=person,
        content="窗口工作人员上班打牌",
        phone="13700000000",
    )
    Complaint.objects.filter(pk=c.pk).update(**fields)
    return Complaint.objects.get(pk=c.pk)


@pytest.mark.django_db
def test_a_case_opens_from_a_true_complaint_once_and_the_complaint_points_to_it(
    world, staff, complaint_office, other, media
):
    subject = [services.SubjectInput(unit=world.ua2, person=other, behaviour=B("games_cards"))]
    untrue = _true_complaint(world, other, finding="false")
    e = refused(
        services.open_case, actor=staff, source="complaint", complaint=untrue, summary="x", subjects=subject
    )
    assert e.code == "not_true"
    complaint = _true_complaint(world, other, finding="true", accountability_requested_at=timezone.now())
    case = services.open_case(
        actor=staff, source="complaint", complaint=complaint, summary="投诉属实", subjects=subject
    )
    complaint.refresh_from_db()
    assert complaint.accountability_case_id == str(case.pk) and case.complaint == complaint
    assert complaint.work_item.timeline.filter(action="accountability_opened", note=case.number).exists()
    e = refused(
        services.open_case,
        actor=staff,
        source="complaint",
        complaint=complaint,
        summary="x",
        subjects=subject,
    )
    assert e.code == "case_exists"


@pytest.mark.django_db
def test_a_case_opens_from_a_red_card_or_overdue_supervised_work_only(world, staff, task_kind, media):
    from xiaoneng.supervision import services as supervision

    subject = [services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("supervised_overdue"))]
    item = supervision.issue(
        actor=staff, title="整改窗口排队", source="meeting", lead_unit=world.ua, limit="5wd"
    )
    wi = item.work_item
    e = refused(
        services.open_case, actor=staff, source="red_card", source_item=wi, summary="x", subjects=subject
    )
    assert e.code == "no_red_card"
    assert (
        refused(
            services.open_case, actor=staff, source="overdue", source_item=wi, summary="x", subjects=subject
        ).code
        == "not_overdue"
    )
    WorkItem.objects.filter(pk=wi.pk).update(stage="yellow")
    wi.refresh_from_db()
    case = services.open_case(
        actor=staff, source="overdue", source_item=wi, summary="逾期未办结", subjects=subject
    )
    assert case.source_item == wi
    WorkItem.objects.filter(pk=wi.pk).update(stage="red")
    wi.refresh_from_db()
    case = services.open_case(
        actor=staff, source="red_card", source_item=wi, summary="红牌", subjects=subject
    )
    assert case.source == "red_card"
    other = workitem_outside(world)
    assert (
        refused(
            services.open_case,
            actor=staff,
            source="red_card",
            source_item=other,
            summary="x",
            subjects=subject,
        ).status
        == 404
    )


def workitem_outside(world):
    from xiaoneng.core import workitem

    wi = workitem.create(kind="test_task", actor=world.city_supervisor, title="西山区", owner_unit=world.ub)
    WorkItem.objects.filter(pk=wi.pk).update(stage="red")
    return WorkItem.objects.get(pk=wi.pk)


@pytest.mark.django_db
def test_the_generic_work_item_api_runs_the_cases_own_effects(case, staff, world):
    c = world.client("supervisor")
    r = c.post(
        f"/api/work-items/{case.pk}/actions/record/",
        {"note": "", "method": "site", "text": "现场核查"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert case.records.get().text == "现场核查"


@pytest.mark.django_db
def test_every_transition_is_on_the_timeline_and_the_audit_trail(case, staff, approver, media):
    decided_case(case, staff, approver)
    actions = list(case.work_item.timeline.values_list("action", flat=True))
    assert actions == ["created", "record", "propose", "approve", "decide"]
    transitions = AuditEvent.objects.filter(event_type=501, object_id=str(case.pk)).count()
    assert transitions == 4


@pytest.mark.django_db
def test_a_stale_version_answers_412(case, staff):
    e = refused(
        services.act, case, "record", staff, data={"method": "site", "text": "x"}, expected_version=99
    )
    assert e.status == 412


@pytest.mark.django_db
def test_a_person_concerned_who_is_a_supervisor_cannot_act_on_their_own_case(world, case):
    own = make_user("pa_supervisor", Role.SUPERVISOR, world.ua, world.pa)
    assert refused(services.act, case, "record", own, data={"method": "site", "text": "x"}).status == 404


def test_add_months_keeps_the_day_or_falls_to_the_months_last():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)
    assert services.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.django_db
def test_a_red_card_on_the_record_is_enough_even_after_the_item_moved_on(world, staff, media):
    from xiaoneng.core.models import CardRecord
    from xiaoneng.supervision import services as supervision

    item = supervision.issue(
        actor=staff, title="整改窗口排队", source="meeting", lead_unit=world.ua, limit="5wd"
    )
    wi = item.work_item
    CardRecord.objects.create(
        work_item=wi,
        unit=world.ua,
        region_path=wi.region_path,
        kind=wi.kind,
        stage="red",
        at=timezone.now(),
        year=2026,
    )
    subject = [services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("supervised_overdue"))]
    case = services.open_case(
        actor=staff, source="red_card", source_item=wi, summary="红牌", subjects=subject
    )
    assert case.source_item == wi and wi.stage != "red"
