"""单位负责人审核: the unit's head approves what leaves the unit. The liaison's 申请办结 waits for the head of the
owning unit (待单位负责人审核), who sends it on to the supervisor or back to the liaison with a reason; a unit with no
active head's account sends it straight to the supervisor. The clock keeps running: it is the unit's time."""

import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role
from xiaoneng.supervision import services
from xiaoneng.supervision.workflow import KIND


@pytest.fixture
def signed(world):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        sup = services.issue(
            actor=world.users["supervisor"],
            title="清理涉企收费",
            source="meeting",
            lead_unit=world.ua,
            co_units=[world.ua2],
            limit="10wd",
        )
        return services.act(sup, "sign", world.users["liaison"], data={})


def request(world, sup, text="已完成自查整改，附清单"):
    return services.act(sup, "request_completion", world.users["liaison"], data={"text": text})


@pytest.mark.django_db
def test_a_completion_request_waits_for_the_unit_head_who_is_told(world, signed):
    sup = request(world, signed)
    assert sup.work_item.state == "unit_review"
    head = world.users["unit_leader"]
    told = head.notifications.get(title="办结申请待您审核：清理涉企收费")
    assert told.url == f"/supervision/{sup.pk}/"
    assert not world.users["supervisor"].notifications.filter(title__contains="办结申请").exists()
    assert sup.reports.get().is_completion  # the evidence is stored with the request


@pytest.mark.django_db
def test_the_head_approves_and_it_goes_to_the_supervisor(world, signed):
    sup = request(world, signed)
    sup = services.act(sup, "approve_completion", world.users["unit_leader"], data={})
    assert sup.work_item.state == "completion_requested"
    sup = services.act(sup, "verify", world.users["supervisor"], data={"quality": "good"})
    assert sup.work_item.state == "closed"


@pytest.mark.django_db
def test_the_head_sends_it_back_with_a_reason_the_liaison_reads(world, signed):
    sup = request(world, signed)
    head = world.users["unit_leader"]
    with pytest.raises(TransitionRefused, match="退回理由"):
        services.act(sup, "return_completion", head, data={"note": "  "})
    sup = services.act(sup, "return_completion", head, data={"note": "请补充盖章件"})
    assert sup.work_item.state == "signed"
    assert sup.work_item.timeline.last().note == "请补充盖章件"
    told = world.users["liaison"].notifications.get(title="办结申请被单位负责人退回：清理涉企收费")
    assert told.body == "请补充盖章件"
    again = request(world, sup, "已补充盖章件")  # the liaison asks again: the head again
    assert again.work_item.state == "unit_review"
    assert head.notifications.filter(title="办结申请待您审核：清理涉企收费").count() == 2


@pytest.mark.django_db
def test_only_the_owning_units_head_decides(world, signed):
    sup = request(world, signed)
    co_head = make_user("a2_head", Role.UNIT_LEADER, world.ua2)
    for who, code in (
        (co_head, "not_owner"),  # the co-unit's head: not his unit's request
        (world.users["liaison"], "role_not_allowed"),  # the liaison cannot approve his own request
        (world.users["supervisor"], "role_not_allowed"),  # the supervisor waits for the unit
    ):
        with pytest.raises(TransitionRefused) as exc:
            services.act(sup, "approve_completion", who, data={})
        assert exc.value.code == code
    assert not co_head.notifications.exists()  # the co-unit's head is not told either


@pytest.mark.django_db
def test_nothing_to_approve_outside_review(world, signed):
    with pytest.raises(TransitionRefused, match="办理中") as exc:
        services.act(signed, "approve_completion", world.users["unit_leader"], data={})
    assert exc.value.code == "wrong_state"


@pytest.mark.django_db
def test_a_unit_without_an_active_head_goes_straight_to_the_supervisor(world, signed):
    head = world.users["unit_leader"]
    head.is_active = False
    head.save(update_fields=["is_active"])
    sup = request(world, signed)
    assert sup.work_item.state == "completion_requested"
    # One transition either way: the same timeline entry, no head to tell.
    assert list(sup.work_item.timeline.values_list("action", flat=True))[-1] == "request_completion"
    assert not head.notifications.filter(title__contains="办结申请").exists()


@pytest.mark.django_db
def test_the_clock_keeps_running_while_the_head_reviews(world, signed):
    assert KIND.clock_runs("unit_review")
    deadline = signed.work_item.deadline
    with time_machine.travel(at("2026-03-13 10:00"), tick=False):
        sup = request(world, signed)
    assert sup.work_item.deadline == deadline and sup.work_item.next_check_at is not None
    assert not sup.work_item.pauses.exists()


@pytest.mark.django_db
def test_the_supervisor_may_remind_and_decide_an_extension_while_the_head_reviews(world, signed):
    from datetime import timedelta

    from xiaoneng.supervision.workflow import last_day

    until = last_day(signed.work_item.deadline) + timedelta(days=10)
    sup = services.act(
        signed,
        "request_extension",
        world.users["liaison"],
        data={"until": until.isoformat(), "reason": "等批复"},
    )
    sup = request(world, sup)
    sup = services.act(sup, "remind", world.users["supervisor"], data={"note": "请尽快审核"})
    sup = services.act(sup, "approve_extension", world.users["supervisor"], data={})
    assert sup.work_item.state == "unit_review"


@pytest.mark.django_db
def test_the_head_reviews_through_the_api(world, signed):
    request(world, signed)
    head = world.client("unit_leader")
    offered = head.get(f"/api/work-items/{signed.pk}/actions/").json()
    assert [a["name"] for a in offered] == ["approve_completion", "return_completion"]
    no_reason = head.post(
        f"/api/supervision/items/{signed.pk}/return-completion/", {}, content_type="application/json"
    )
    assert no_reason.status_code == 409 and "退回理由" in no_reason.json()["detail"]
    ok = head.post(
        f"/api/supervision/items/{signed.pk}/approve-completion/", {}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["work_item"]["state"] == "completion_requested"


@pytest.mark.django_db
def test_the_generic_action_endpoint_stores_the_request_and_tells_the_head(world, signed):
    """/api/work-items/{id}/actions/<transition>/ goes through the supervision service: the report is kept."""
    resp = world.client("liaison").post(
        f"/api/work-items/{signed.pk}/actions/request_completion/",
        {"text": "已完成", "version": signed.work_item.version},
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["state"] == "unit_review"
    assert signed.reports.get().text == "已完成"
    assert world.users["unit_leader"].notifications.filter(title__startswith="办结申请待您审核").exists()
    back = world.client("unit_leader").post(
        f"/api/work-items/{signed.pk}/actions/return_completion/",
        {"note": "请补充"},
        content_type="application/json",
    )
    assert back.status_code == 200 and back.json()["state"] == "signed"


@pytest.mark.django_db
def test_the_page_says_where_the_request_goes_and_asks_the_head_for_a_reason(world, signed):
    page = world.client("liaison").get(f"/supervision/{signed.pk}/").content.decode()
    assert "申请办结须经单位负责人审核后报送督查人员。" in page
    request(world, signed)
    head = world.client("unit_leader").get(f"/supervision/{signed.pk}/").content.decode()
    assert 'value="approve_completion"' in head and 'value="return_completion"' in head
    assert "退回理由（退回修改时填写）" in head and "待单位负责人审核" in head
    resp = world.client("unit_leader").post(
        f"/supervision/{signed.pk}/", {"action": "return_completion", "note": ""}
    )
    assert resp.status_code == 409 and "请填写退回理由" in resp.content.decode()
    services.act(signed, "return_completion", world.users["unit_leader"], data={"note": "请补充"})
    world.users["unit_leader"].is_active = False
    world.users["unit_leader"].save(update_fields=["is_active"])
    page = world.client("liaison").get(f"/supervision/{signed.pk}/").content.decode()
    assert "本单位尚无单位负责人账号，申请办结将直接报送督查人员。" in page
