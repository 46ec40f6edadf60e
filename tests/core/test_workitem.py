"""The shared work-item mechanism, proven on the generic test kind: declared workflow, deadlines from the clock,
pauses, extensions, optimistic concurrency, timeline, sweep, API errors."""

import pytest
import time_machine

from tests.conftest import at
from xiaoneng.core import workitem
from xiaoneng.core.models import Stage, TimelineEvent, WorkItem
from xiaoneng.core.workflow import TransitionRefused

from .kinds import TASK_WORKFLOW


@pytest.fixture
def item(world, task_kind):
    with time_machine.travel(at("2026-02-13 10:00"), tick=False):
        return workitem.create(
            kind="test_task",
            actor=world.users["supervisor"],
            title="整改东湖区窗口排队问题",
            owner_unit=world.ua,
            started_at=at("2026-02-13 10:00"),
            limit="5wd",
        )


@pytest.mark.django_db
def test_deadline_comes_from_the_clock_with_the_2026_spring_festival_workday(item):
    # Fri 13 Feb 2026 + 5 working days: Sat 14 Feb is a 调休 working day, 15–23 Feb are holidays → 27 Feb 24:00.
    assert item.deadline == at("2026-02-28 00:00")
    assert item.provisional is False
    assert item.state == "issued" and item.version == 1
    assert item.region_path == "/990100/990102/"
    assert [e.action for e in item.timeline.all()] == ["created"]


@pytest.mark.django_db
def test_a_deadline_in_an_unknown_year_is_provisional(world, task_kind):
    it = workitem.create(
        kind="test_task",
        actor=world.users["supervisor"],
        title="跨年事项",
        owner_unit=world.ua,
        started_at=at("2026-12-28 09:00"),
        limit="10wd",
    )
    assert it.provisional is True


@pytest.mark.django_db
def test_the_declared_flow_runs_and_each_step_is_on_the_timeline(world, item):
    liaison, supervisor = world.users["liaison"], world.users["supervisor"]
    item = workitem.perform(item, "sign", liaison)
    item = workitem.perform(
        item, "request_done", liaison, note="已增设两个窗口", data={"note": "已增设两个窗口"}
    )
    item = workitem.perform(item, "verify", supervisor)
    assert item.state == "closed" and item.closed_at is not None and item.next_check_at is None
    events = list(item.timeline.values_list("action", "before__state", "after__state"))
    assert events[1:] == [
        ("sign", "issued", "signed"),
        ("request_done", "signed", "done_requested"),
        ("verify", "done_requested", "closed"),
    ]
    assert str(workitem.timeline_label(item, "verify")) == "办结销号"


@pytest.mark.django_db
def test_wrong_state_is_refused_with_409_and_the_reason(world, item):
    with pytest.raises(TransitionRefused) as exc:
        workitem.perform(item, "verify", world.users["supervisor"])
    assert exc.value.status == 409 and "已交办" in exc.value.message and exc.value.code == "wrong_state"


@pytest.mark.django_db
def test_a_role_that_may_not_act_gets_403(world, item):
    with pytest.raises(TransitionRefused) as exc:
        workitem.perform(item, "sign", world.users["supervisor"])
    assert exc.value.status == 403


@pytest.mark.django_db
def test_only_the_owning_unit_signs(world, task_kind, item):
    from tests.conftest import make_user

    other_liaison = make_user("a2_liaison", "liaison", world.ua2)
    with pytest.raises(TransitionRefused) as exc:
        workitem.perform(item, "sign", other_liaison)
    assert exc.value.code == "not_owner"


@pytest.mark.django_db
def test_guard_reason_is_told(world, item):
    item = workitem.perform(item, "sign", world.users["liaison"])
    with pytest.raises(TransitionRefused, match="请填写说明"):
        workitem.perform(item, "request_done", world.users["liaison"], data={"note": "  "})


@pytest.mark.django_db
def test_a_stale_version_never_silently_overwrites(world, item):
    workitem.perform(item, "sign", world.users["liaison"], expected_version=1)
    with pytest.raises(TransitionRefused) as exc:
        workitem.perform(item, "cancel", world.users["supervisor"], expected_version=1)
    assert exc.value.code == "version_conflict" and exc.value.status == 412
    assert WorkItem.objects.get(pk=item.pk).state == "signed"


@pytest.mark.django_db
def test_pause_moves_the_deadline_by_the_paused_working_days(world, item):
    # Paused Wed 25 Feb, resumed Fri 27 Feb: 25 and 26 Feb do not count, so the count goes on over Fri 27 and
    # Sat 28 Feb (a 调休 working day in 2026) to Mon 2 Mar.
    item = workitem.perform(item, "sign", world.users["liaison"])
    before = item.deadline
    workitem.pause(item, world.users["supervisor"], reason="补正材料", at=at("2026-02-25 10:00"))
    workitem.resume(item, world.users["supervisor"], at=at("2026-02-27 15:00"))
    item.refresh_from_db()
    assert before == at("2026-02-28 00:00")
    assert item.deadline == at("2026-03-03 00:00")
    assert [e.action for e in item.timeline.all()][-2:] == ["paused", "resumed"]


@pytest.mark.django_db
def test_pause_refusals(world, item):
    with pytest.raises(TransitionRefused, match="原因"):
        workitem.pause(item, world.users["supervisor"], reason=" ")
    with pytest.raises(TransitionRefused, match="没有中止"):
        workitem.resume(item, world.users["supervisor"])
    workitem.pause(item, world.users["supervisor"], reason="听证", at=at("2026-02-25 10:00"))
    with pytest.raises(TransitionRefused, match="已经中止"):
        workitem.pause(item, world.users["supervisor"], reason="再次")
    with pytest.raises(TransitionRefused, match="早于"):
        workitem.resume(item, world.users["supervisor"], at=at("2026-02-24 10:00"))


@pytest.mark.django_db
def test_an_approved_extension_adds_its_limit(world, item):
    ext = workitem.request_extension(item, world.users["liaison"], limit="3wd", reason="需协调住建部门")
    with pytest.raises(TransitionRefused, match="待审批"):
        workitem.request_extension(item, world.users["liaison"], limit="1wd", reason="again")
    workitem.decide_extension(ext, world.users["supervisor"], approve=True)
    item.refresh_from_db()
    assert item.deadline == at("2026-03-04 00:00")  # 27 Feb + Sat 28 Feb (调休), Mon 2, Tue 3 Mar
    with pytest.raises(TransitionRefused):
        workitem.decide_extension(ext, world.users["supervisor"], approve=False)


@pytest.mark.django_db
def test_a_bad_limit_is_refused_before_anything_is_written(world, task_kind):
    with pytest.raises(TransitionRefused) as exc:
        workitem.create(
            kind="test_task", actor=world.users["supervisor"], title="x", owner_unit=world.ua, limit="5 weeks"
        )
    assert exc.value.status == 400
    assert not WorkItem.objects.exists()


@pytest.mark.django_db
def test_sweep_raises_stages_once_and_only_when_due(world, item):
    assert item.stage == Stage.NORMAL and item.next_check_at is not None
    assert workitem.sweep(now=at("2026-02-20 10:00")) == {"checked": 0, "changed": 0}
    result = workitem.sweep(now=at("2026-02-27 10:00"))  # last working day: warning (1wd left)
    item.refresh_from_db()
    assert item.stage == Stage.WARNING and result["changed"] == 1
    assert workitem.sweep(now=at("2026-02-27 11:00"))["changed"] == 0  # idempotent
    workitem.sweep(now=at("2026-03-02 09:00"))
    item.refresh_from_db()
    assert item.stage == Stage.YELLOW
    workitem.sweep(now=at("2026-03-05 09:00"))  # 3 working days past → red
    item.refresh_from_db()
    assert item.stage == Stage.RED
    assert TimelineEvent.objects.filter(item=item, action="stage_changed").count() == 3
    inbox = list(world.users["liaison"].notifications.order_by("id").values_list("title", flat=True))
    assert [t[:2] for t in inbox] == ["预警", "黄牌", "红牌"] and "整改东湖区窗口排队问题" in inbox[0]
    assert not world.users["unit_leader"].notifications.exists()


@pytest.mark.django_db
def test_sweep_does_not_read_items_whose_moment_has_not_come(world, item, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert workitem.sweep(now=at("2026-02-16 10:00")) == {"checked": 0, "changed": 0}


def test_the_workflow_declaration_is_checked():
    from xiaoneng.core.workflow import Transition, Workflow

    with pytest.raises(ValueError, match="unknown states"):
        Workflow(
            states={"a": "A"},
            initial="a",
            terminal=[],
            transitions=[Transition("go", "Go", frozenset({"a"}), "b", frozenset({"supervisor"}))],
        )
    assert set(TASK_WORKFLOW.transitions) == {"sign", "request_done", "verify", "send_back", "cancel"}


@pytest.mark.django_db
def test_buttons_come_from_the_declaration(world, item):
    assert [t.name for t in TASK_WORKFLOW.available(item, world.users["liaison"])] == ["sign"]
    assert [t.name for t in TASK_WORKFLOW.available(item, world.users["supervisor"])] == ["cancel"]
    assert TASK_WORKFLOW.available(item, world.users["auditor"]) == []


# --- the API -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_performs_a_transition_and_answers_409_with_the_reason(world, item):
    liaison = world.client("liaison")
    resp = liaison.post(
        f"/api/work-items/{item.pk}/actions/sign/", {"version": 1}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["state"] == "signed" and resp.json()["version"] == 2
    again = liaison.post(f"/api/work-items/{item.pk}/actions/sign/", {}, content_type="application/json")
    assert (
        again.status_code == 409
        and again.json()["code"] == "wrong_state"
        and "不能执行" in again.json()["detail"]
    )
    stale = world.client("supervisor").post(
        f"/api/work-items/{item.pk}/actions/cancel/", {"version": 1}, content_type="application/json"
    )
    assert stale.status_code == 412 and stale.json()["code"] == "version_conflict"
    unknown = liaison.post(f"/api/work-items/{item.pk}/actions/fly/", {}, content_type="application/json")
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_api_lists_actions_and_timeline(world, item):
    c = world.client("liaison")
    assert c.get(f"/api/work-items/{item.pk}/actions/").json() == [{"name": "sign", "label": "签收"}]
    timeline = c.get(f"/api/work-items/{item.pk}/timeline/").json()
    assert timeline[0]["action"] == "created" and timeline[0]["label"] == "创建"


@pytest.mark.django_db
def test_item_page_shows_buttons_and_performs(world, item):
    c = world.client("liaison")
    page = c.get(f"/items/{item.pk}/").content.decode()
    assert 'value="sign"' in page and 'value="verify"' not in page
    resp = c.post(f"/items/{item.pk}/", {"action": "sign", "version": "1"})
    assert resp.status_code == 302
    item.refresh_from_db()
    assert item.state == "signed"
    resp = c.post(f"/items/{item.pk}/", {"action": "sign", "version": "2"}, follow=True)
    assert "不能执行" in resp.content.decode()


def test_deadlines_read_as_24_00_of_the_last_day():
    from django.utils import translation

    from xiaoneng.web.templatetags.xiaoneng import deadline_label, limit_label

    assert deadline_label(at("2026-02-28 00:00")) == "2026年2月27日24时"
    assert deadline_label(at("2026-02-27 17:30")) == "2026年2月27日17:30"
    assert limit_label("5wd") == "5个工作日"
    with translation.override("en"):
        assert deadline_label(at("2026-02-28 00:00")) == "2026-02-27 24:00"
        assert limit_label("5wd") == "5 working days" and limit_label("1d") == "1 day"
