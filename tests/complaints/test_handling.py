"""Handling a complaint (SPEC §2): accept or reject, handle directly or assign with a redacted copy, the unit's
reply approved by its head, review (pass / redo), follow-up rating, one reopening, close with a reply and a
finding, extensions, accountability. Every transition and every refusal, with the clock restarting per phase."""

from datetime import timedelta

import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.complaints import services
from xiaoneng.complaints.models import Attachment, Complaint
from xiaoneng.complaints.workflow import WORKFLOW
from xiaoneng.core import workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent, Notification
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role

from .handling import COPY, NAME, answered, assigned

pytestmark = pytest.mark.django_db


def refused(fn, *args, **kwargs) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as e:
        fn(*args, **kwargs)
    return e.value


def test_accept_starts_the_categorys_reply_limit_from_now(world, staff, complaint):
    assert complaint.work_item.deadline == at("2026-03-04 00:00")  # 1 working day to accept: end of Tue 3 Mar
    complaint.category.reply_limit = "3wd"
    complaint.category.save()
    with time_machine.travel(at("2026-03-03 15:00"), tick=False):
        c = services.accept(staff, complaint)
    wi = c.work_item
    assert wi.state == "accepted" and wi.limit == "3wd" and wi.started_at == at("2026-03-03 15:00")
    assert wi.deadline == at("2026-03-07 00:00")  # 3 working days after Tue 3 Mar: end of Fri 6 Mar
    assert wi.timeline.filter(action="accept", actor=staff).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.WORKITEM_TRANSITION, object_id=str(wi.pk), data__transition="accept"
    ).exists()


def test_reject_needs_a_reason_the_complainant_reads(world, staff, complaint):
    e = refused(services.reject, staff, complaint, reason="  ")
    assert e.status == 409 and e.code == "guard_unmet" and "不予受理理由" in e.message
    c = services.reject(staff, complaint, reason="不属于效能投诉受理范围，请向法院起诉。")
    assert c.work_item.state == "not_accepted" and c.work_item.closed_at is not None
    assert c.not_accepted_reason == "不属于效能投诉受理范围，请向法院起诉。"
    e = refused(services.accept, staff, c)
    assert e.status == 409 and e.code == "wrong_state" and "不予受理" in e.message


def test_only_accepting_staff_accept(world, complaint, office_supervisor):
    for role in ("discipline", "leader", "npc"):
        user = make_user(f"x_{role}", role, world.uc)
        e = refused(services.accept, user, complaint)
        assert e.status == 403 and e.code == "role_not_allowed"
    assert services.accept(office_supervisor, complaint).work_item.state == "accepted"


def test_a_supervisor_in_the_unit_complained_about_cannot_act_or_see(world, complaint):
    e = refused(services.accept, world.users["supervisor"], complaint)  # works in 东湖区住建局
    assert e.status == 404 and e.code == "not_found"


def test_the_official_complained_about_is_recused_even_as_his_units_liaison(world, office, category, staff):
    liaison = world.users["liaison"]
    c, _code, _new = services.submit(
        channel="web",
        category=category,
        subject_unit=world.ua,
        subject_person=liaison.person,
        content="联络员本人推诿。",
        anonymous=True,
        phone="13700002222",
    )
    services.accept(staff, c)
    services.assign(staff, c, unit=world.ua, redacted_content="联络员推诿。")
    assert not Complaint.objects.restrict(liaison).filter(pk=c.pk).exists()
    assert Complaint.objects.restrict(world.users["unit_leader"]).filter(pk=c.pk).exists()
    assert not Notification.objects.filter(recipient=liaison, item_id=c.pk).exists()
    assert Notification.objects.filter(recipient=world.users["unit_leader"], item_id=c.pk).exists()
    # The deadline sweep's stage notices (预警/黄牌/红牌) go to the unit's other liaisons, never to him.
    other = make_user("ua_liaison_2", Role.LIAISON, world.ua)
    for day in range(1, 40, 3):
        workitem.sweep(now=c.submitted_at + timedelta(days=day))
    stages = Notification.objects.filter(item_id=c.pk, dedupe_key__startswith="stage:")
    assert set(stages.filter(recipient=other).values_list("dedupe_key", flat=True)) == {
        f"stage:{c.pk}:{s}" for s in ("warning", "yellow", "red")
    }
    assert not Notification.objects.filter(recipient=liaison, item_id=c.pk).exists()


def test_handle_directly_then_record_result(world, staff, complaint):
    c = services.accept(staff, complaint)
    c = services.handle_directly(staff, c)
    assert c.work_item.state == "investigating" and c.handling == "direct"
    assert c.handling_unit == c.work_item.owner_unit  # the office itself
    e = refused(services.record_result, staff, c, text="")
    assert e.code == "guard_unmet" and "核查情况" in e.message
    c = services.record_result(staff, c, text="调取监控核实，情况属实。")
    assert c.work_item.state == "replied" and c.unit_reply == "调取监控核实，情况属实。"
    e = refused(services.review_redo, staff, c, note="再查")
    assert e.code == "guard_unmet" and "直查件" in e.message


def test_assign_makes_the_unit_the_owner_and_tells_it_without_identity(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    wi = c.work_item
    assert wi.state == "assigned" and wi.owner_unit == world.ua and c.handling == "assigned"
    assert c.handling_unit == world.ua and c.redacted_content == COPY and c.released_at is not None
    assert wi.region_path == "/990100/990102/"  # stays with the accepting office's region
    told = Notification.objects.filter(item_id=wi.pk)
    assert {n.recipient.role for n in told} == {Role.LIAISON, Role.UNIT_LEADER}
    assert all(NAME not in n.title + n.body for n in told)


def test_assign_refusals(world, staff, complaint):
    e = refused(services.assign, staff, complaint, unit=world.ua, redacted_content=COPY)
    assert e.code == "wrong_state"  # not accepted yet
    c = services.accept(staff, complaint)
    e = refused(services.assign, staff, c, unit=world.ua, redacted_content="  ")
    assert e.code == "guard_unmet" and "转办内容" in e.message
    e = refused(services.assign, staff, c, unit=world.ua, redacted_content=f"投诉人{NAME}反映……")
    assert e.code == "guard_unmet" and "姓名" in e.message
    county = make_user("dh_supervisor", Role.SUPERVISOR, world.ua2)
    e = refused(services.assign, county, c, unit=world.ub, redacted_content=COPY)
    assert e.status == 404  # 西山区住建局 lies outside a county-A supervisor's scope
    assert Complaint.objects.get(pk=c.pk).work_item.state == "accepted"


def test_assign_releases_only_the_chosen_attachments(world, staff, complaint, media):
    from django.core.files.base import ContentFile

    keep = Attachment(complaint=complaint, name="现场照片.jpg", content_type="image/jpeg", size=3, sha256="0")
    keep.file.save("a.jpg", ContentFile(b"abc"), save=True)
    private = Attachment(
        complaint=complaint, name="王举报身份证.jpg", content_type="image/jpeg", size=3, sha256="1"
    )
    private.file.save("b.jpg", ContentFile(b"def"), save=True)
    c = services.accept(staff, complaint)
    services.assign(staff, c, unit=world.ua, redacted_content=COPY, attachments=[keep.pk])
    liaison = world.users["liaison"]
    assert list(Attachment.objects.restrict(liaison)) == [keep]
    assert set(Attachment.objects.restrict(staff)) == {keep, private}


def test_the_liaison_drafts_and_the_unit_head_approves_the_reply(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    liaison, head = world.users["liaison"], world.users["unit_leader"]
    e = refused(services.submit_reply, liaison, c, text="")
    assert e.code == "guard_unmet"
    e = refused(services.approve_reply, head, c)
    assert e.code == "wrong_state"
    c = services.submit_reply(liaison, c, text="初稿")
    assert c.work_item.state == "unit_review" and c.unit_reply == "初稿"
    assert Notification.objects.filter(recipient=head, item_id=c.pk, title__contains="待您审核").exists()
    e = refused(services.approve_reply, liaison, c)
    assert e.status == 403 and e.code == "role_not_allowed"
    e = refused(services.return_reply, head, c, note="")
    assert e.code == "guard_unmet"
    c = services.return_reply(head, c, note="请补充整改措施")
    assert c.work_item.state == "assigned"
    c = services.submit_reply(liaison, c, text="经查属实，已批评教育并调整窗口排班。")
    c = services.approve_reply(head, c)
    assert c.work_item.state == "replied"
    assert Notification.objects.filter(recipient=staff, item_id=c.pk, title__contains="待审核").exists()


def test_the_unit_head_may_write_and_send_the_reply_himself(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    e = refused(services.reply, world.users["liaison"], c, text="直接报送")
    assert e.status == 403  # a liaison's reply goes through the head
    c = services.reply(world.users["unit_leader"], c, text="经查属实，已整改。")
    assert c.work_item.state == "replied" and c.unit_reply == "经查属实，已整改。"


def test_only_the_handling_unit_replies(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    other = make_user("a2_liaison", Role.LIAISON, world.ua2)
    e = refused(services.submit_reply, other, c, text="不是我们单位")
    assert e.status == 404  # not even visible to another unit
    e = refused(services.submit_reply, staff, c, text="代答")
    assert e.status == 403


def test_review_redo_sends_it_back_with_reasons_and_restarts_the_clock(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    c = services.reply(world.users["unit_leader"], c, text="已处理。")
    e = refused(services.review_redo, staff, c, note="")
    assert e.code == "guard_unmet" and "重办理由" in e.message
    with time_machine.travel(at("2026-03-09 09:00"), tick=False):
        c = services.review_redo(staff, c, note="答复过于简单，请说明核查过程和整改措施")
    wi = c.work_item
    assert wi.state == "assigned" and wi.started_at == at("2026-03-09 09:00")
    assert wi.deadline == at("2026-03-17 00:00")  # 5 working days after Mon 9 Mar: end of Mon 16 Mar
    assert Notification.objects.filter(recipient=world.users["liaison"], title__contains="退回重办").exists()


def test_review_pass_needs_a_reply_and_a_finding(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    c = services.reply(world.users["unit_leader"], c, text="属实。")
    e = refused(services.review_pass, staff, c, public_reply="", finding="true")
    assert e.code == "guard_unmet" and "答复意见" in e.message
    e = refused(services.review_pass, staff, c, public_reply="您好", finding="maybe")
    assert e.code == "guard_unmet" and "核查结论" in e.message
    c = services.review_pass(staff, c, public_reply="您好，经核查属实，已整改。", finding="partly")
    assert c.work_item.state == "answered" and c.finding == "partly" and c.replied_at is not None


def test_close_only_with_a_reply_and_a_finding(world, staff, complaint):
    c = answered(complaint, world, staff)
    Complaint.objects.filter(pk=c.pk).update(public_reply="")  # as if the reply were lost
    e = refused(services.close, staff, c)
    assert e.code == "guard_unmet" and "不能办结" in e.message
    Complaint.objects.filter(pk=c.pk).update(public_reply="您好，已整改。")
    c = services.close(staff, c)
    assert c.work_item.state == "closed" and c.work_item.closed_at is not None
    for name in ("accept", "assign", "review_pass", "close", "reopen"):
        assert refused(services.act, c, name, staff, data={}).code in ("wrong_state", "guard_unmet")


def test_close_is_refused_before_the_answer(world, staff, complaint):
    e = refused(services.close, staff, complaint)
    assert e.code == "wrong_state"


def test_rate_then_reopen_once_on_dissatisfaction(world, staff, complaint):
    c = answered(complaint, world, staff)
    e = refused(services.reopen, staff, c)
    assert e.code == "guard_unmet" and "不满意" in e.message
    e = refused(services.rate, staff, c, rating="so-so")
    assert e.code == "guard_unmet"
    c = services.rate(staff, c, rating="dissatisfied", note="电话回访：仍未解决")
    assert c.rating == "dissatisfied" and c.rated_at is not None
    with time_machine.travel(at("2026-03-20 09:00"), tick=False):
        c = services.reopen(staff, c, note="群众不满意，重新办理")
    wi = c.work_item
    assert wi.state == "accepted" and c.reopen_count == 1 and c.rating == ""
    assert wi.owner_unit.name == "东湖区效能办" and wi.started_at == at("2026-03-20 09:00")
    assert not Complaint.objects.restrict(world.users["liaison"]).filter(pk=c.pk).exists()
    c = services.assign(staff, c, unit=world.ua, redacted_content=COPY)
    c = services.reply(world.users["unit_leader"], c, text="再次核查，已整改到位。")
    c = services.review_pass(staff, c, public_reply="您好，已再次整改。", finding="true")
    c = services.rate(staff, c, rating="dissatisfied")
    e = refused(services.reopen, staff, c)
    assert e.code == "guard_unmet" and "一次" in e.message
    assert services.close(staff, c).work_item.state == "closed"


def test_extension_requested_by_the_unit_decided_by_staff_once_per_phase(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    liaison = world.users["liaison"]
    before = c.work_item.deadline
    e = refused(services.request_extension, liaison, c, limit="3wd", reason="")
    assert e.code == "guard_unmet" and "理由" in e.message
    e = refused(services.request_extension, liaison, c, limit="three days", reason="需现场核查")
    assert e.code == "guard_unmet" and "3wd" in e.message
    e = refused(services.decide_extension, staff, c, approve=True)
    assert e.code == "guard_unmet" and "没有待审批" in e.message
    c = services.request_extension(liaison, c, limit="3wd", reason="需调取监控")
    e = refused(services.request_extension, liaison, c, limit="3wd", reason="再次")
    assert e.code == "guard_unmet" and "待审批" in e.message
    e = refused(services.decide_extension, liaison, c, approve=True)
    assert e.status == 403
    c = services.decide_extension(staff, c, approve=True)
    assert before == at("2026-03-10 00:00")  # 5 working days after Mon 2 Mar: end of Mon 9 Mar
    assert c.work_item.deadline == at("2026-03-13 00:00")  # +3 working days: end of Thu 12 Mar
    e = refused(services.request_extension, liaison, c, limit="2wd", reason="还需时间")
    assert e.code == "guard_unmet" and "延期一次" in e.message


def test_an_extension_counts_in_its_own_phase_only(world, staff, complaint):
    """An extension approved while the unit first handled the complaint does not lengthen the re-handling after
    退回重办: the new phase has the category's limit from its restart, and may be extended once again."""
    c = assigned(complaint, staff, world.ua)
    liaison = world.users["liaison"]
    with time_machine.travel(at("2026-03-03 09:00"), tick=False):
        c = services.request_extension(liaison, c, limit="3wd", reason="需调取监控")
        c = services.decide_extension(staff, c, approve=True)
    assert c.work_item.deadline == at("2026-03-13 00:00")
    with time_machine.travel(at("2026-03-11 10:00"), tick=False):
        c = services.submit_reply(liaison, c, text="经查属实，已批评教育。")
        c = services.approve_reply(world.users["unit_leader"], c)
        c = services.review_redo(staff, c, note="未说明整改措施，请重新办理")
    # Wed 11 Mar 10:00 + 5 working days: end of Wed 18 Mar — not three days more.
    assert c.work_item.deadline == at("2026-03-19 00:00")
    from xiaoneng.core import workitem

    workitem.refresh_clock(c.work_item, at("2026-03-12 09:00"))
    assert c.work_item.deadline == at("2026-03-19 00:00")  # the sweep's path agrees
    with time_machine.travel(at("2026-03-12 09:00"), tick=False):
        c = services.request_extension(liaison, c, limit="2wd", reason="需再次核查")
        c = services.decide_extension(staff, c, approve=True)
    assert c.work_item.deadline == at("2026-03-21 00:00")  # +2 working days: end of Fri 20 Mar


def test_a_rejected_extension_leaves_the_deadline(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    before = c.work_item.deadline
    c = services.request_extension(world.users["liaison"], c, limit="3wd", reason="需调取监控")
    c = services.decide_extension(staff, c, approve=False, note="时间足够")
    assert c.work_item.deadline == before
    assert c.work_item.extensions.get().status == "rejected"


def test_accountability_is_requested_on_a_true_finding_only_once(world, staff, complaint):
    c = answered(complaint, world, staff, finding="false")
    e = refused(services.request_accountability, staff, c)
    assert e.code == "guard_unmet" and "属实" in e.message
    Complaint.objects.filter(pk=c.pk).update(finding="true")
    c = services.request_accountability(staff, c, note="建议对窗口负责人效能告诫")
    assert c.accountability_requested_at is not None
    e = refused(services.request_accountability, staff, c)
    assert e.code == "guard_unmet" and "已提请" in e.message
    c = services.close(staff, c)
    assert c.work_item.state == "closed"


def test_link_and_unlink_a_related_complaint(world, staff, complaint, office, category):
    other, _code, _new = services.submit(
        channel="hotline",
        category=category,
        subject_unit=world.ua,
        content="另一件。",
        anonymous=True,
        phone="13900000000",
    )
    e = refused(services.link_related, staff, complaint, related=None)
    assert e.code == "guard_unmet"
    e = refused(services.link_related, staff, complaint, related=complaint)
    assert e.code == "guard_unmet"
    c = services.link_related(staff, complaint, related=other)
    assert c.related_to == other
    assert c.work_item.timeline.filter(action="link_related", note=other.tracking_no).exists()
    c = services.link_related(staff, c, related=None)
    assert c.related_to is None


def test_a_stale_version_answers_412(world, staff, complaint):
    version = complaint.work_item.version
    services.link_related(staff, complaint, related=None) if complaint.related_to_id else None
    c = services.accept(staff, complaint, expected_version=version)
    e = refused(services.handle_directly, staff, c, expected_version=version)
    assert e.status == 412 and e.code == "version_conflict"


def test_every_declared_transition_has_a_service(world):
    names = {
        "accept",
        "reject",
        "handle_directly",
        "assign",
        "submit_reply",
        "approve_reply",
        "return_reply",
        "reply",
        "record_result",
        "review_pass",
        "review_redo",
        "rate",
        "reopen",
        "close",
        "request_extension",
        "approve_extension",
        "reject_extension",
        "request_accountability",
        "link_related",
    }
    assert names | {"rate_public"} == set(WORKFLOW.transitions)
    from xiaoneng.complaints import api

    for name in names:
        assert callable(getattr(api.ComplaintViewSet, name)), name


def test_the_generic_work_item_endpoint_runs_the_complaints_effects(world, staff, complaint):
    """/api/work-items/{id}/actions/accept/ is the same action as /api/complaints/{id}/accept/."""
    c = world.client("city_supervisor")
    resp = c.post(f"/api/work-items/{complaint.pk}/actions/accept/", {}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    complaint.work_item.refresh_from_db()
    assert complaint.work_item.limit == complaint.category.reply_limit
    resp = c.post(
        f"/api/work-items/{complaint.pk}/actions/assign/",
        {"unit": world.ua.pk, "redacted_content": f"{NAME}反映"},
        content_type="application/json",
    )
    assert resp.status_code == 409 and "姓名" in resp.json()["detail"]


def test_a_supervisor_who_is_the_official_complained_about_cannot_open_it(
    world, office, category, office_supervisor
):
    subject = world.city_supervisor
    c, _code, _new = services.submit(
        channel="web",
        category=category,
        subject_unit=world.ua2,
        subject_person=subject.person,
        content="督查人员本人推诿。",
        anonymous=True,
        phone="13700003333",
    )
    e = refused(services.accept, subject, c)
    assert e.status == 404
    assert world.client("city_supervisor").get(f"/complaints/{c.pk}/").status_code == 404
    assert world.client("city_supervisor").get("/api/complaints/").json()["count"] == 0
    assert services.accept(office_supervisor, c).work_item.state == "accepted"
