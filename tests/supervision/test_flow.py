"""督查督办: a decision becomes an item with an owner and a deadline; the unit signs, reports, asks to close; the
supervisor verifies with a rating or sends it back. Co-units see and report; nobody else sees it."""

from datetime import date

import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.core.models import WorkItem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.supervision import services
from xiaoneng.supervision.models import ProgressReport


@pytest.fixture
def item(world):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        return services.issue(
            actor=world.users["supervisor"],
            title="压缩企业开办时间",
            source="meeting",
            lead_unit=world.ua,
            co_units=[world.ua2],
            limit="10wd",
            reference_no="青政办〔2026〕12号",
            urgency="urgent",
        )


@pytest.fixture
def co_liaison(world):
    return make_user("a2_liaison", "liaison", world.ua2)


@pytest.mark.django_db
def test_issue_sets_owner_deadline_and_notifies_lead_and_co_units(world, item, co_liaison):
    wi = item.work_item
    assert wi.kind == "supervision" and wi.state == "issued" and wi.owner_unit == world.ua
    assert wi.deadline == at("2026-03-17 00:00")  # 10 working days after Mon 2 Mar: end of Mon 16 Mar
    assert list(wi.units.all()) == [world.ua2]
    assert world.users["liaison"].notifications.filter(title__contains="压缩企业开办时间").exists()
    assert item.pk == wi.pk


@pytest.mark.django_db
def test_a_due_date_on_a_weekend_ends_on_the_next_working_day(world):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        sup = services.issue(
            actor=world.users["supervisor"],
            title="周末截止",
            source="instruction",
            lead_unit=world.ua,
            due=date(2026, 3, 7),
        )  # a Saturday
    assert sup.work_item.limit == "5d"
    assert sup.work_item.deadline == at("2026-03-10 00:00")  # 民法典 art. 203: Monday 9 Mar, 24:00


@pytest.mark.django_db
def test_the_whole_flow(world, item, co_liaison):
    liaison, supervisor = world.users["liaison"], world.users["supervisor"]
    item = services.act(item, "sign", liaison, data={})
    item = services.act(item, "report", co_liaison, data={"text": "协办部分已完成"})
    item = services.act(item, "report", liaison, data={"text": "已完成系统改造"})
    item = services.act(item, "request_completion", liaison, data={"text": "全流程已压缩至1个工作日"})
    assert item.work_item.state == "unit_review"  # the unit's head approves what leaves the unit
    item = services.act(item, "approve_completion", world.users["unit_leader"], data={})
    assert item.work_item.state == "completion_requested"
    item = services.act(item, "verify", supervisor, data={"quality": "excellent"})
    assert item.work_item.state == "closed" and item.quality == "excellent"
    reports = list(ProgressReport.objects.filter(item=item).values_list("unit__name", "is_completion"))
    assert reports == [("东湖区市场监管局", False), ("东湖区住建局", False), ("东湖区住建局", True)]
    actions = list(item.work_item.timeline.values_list("action", flat=True))
    assert actions == [
        "created",
        "sign",
        "report",
        "report",
        "request_completion",
        "approve_completion",
        "verify",
    ]


@pytest.mark.django_db
def test_co_units_report_but_do_not_sign_or_close(world, item, co_liaison):
    with pytest.raises(TransitionRefused) as exc:
        services.act(item, "sign", co_liaison, data={})
    assert exc.value.code == "not_owner"
    services.act(item, "sign", world.users["liaison"], data={})
    with pytest.raises(TransitionRefused):
        services.act(item, "request_completion", co_liaison, data={"text": "x"})


@pytest.mark.django_db
def test_refusals_tell_the_reason(world, item):
    liaison, supervisor = world.users["liaison"], world.users["supervisor"]
    with pytest.raises(TransitionRefused, match="已交办"):
        services.act(item, "verify", supervisor, data={"quality": "good"})
    services.act(item, "sign", liaison, data={})
    with pytest.raises(TransitionRefused, match="进展情况"):
        services.act(item, "report", liaison, data={"text": " "})
    services.act(item, "request_completion", liaison, data={"text": "完成"})
    with pytest.raises(TransitionRefused, match="待单位负责人审核"):  # the head has not approved it yet
        services.act(item, "verify", supervisor, data={"quality": "good"})
    services.act(item, "approve_completion", world.users["unit_leader"], data={})
    with pytest.raises(TransitionRefused, match="办结质量"):
        services.act(item, "verify", supervisor, data={"quality": "perfect"})
    with pytest.raises(TransitionRefused, match="退回理由"):
        services.act(item, "send_back", supervisor, data={})
    item = services.act(item, "send_back", supervisor, data={"note": "佐证材料不全"})
    assert item.work_item.state == "signed"


@pytest.mark.django_db
def test_only_supervisors_issue_and_bad_input_changes_nothing(world):
    with pytest.raises(TransitionRefused) as exc:
        services.issue(actor=world.users["liaison"], title="x", source="meeting", lead_unit=world.ua)
    assert exc.value.status == 403
    with pytest.raises(TransitionRefused, match="协办单位"):
        services.issue(
            actor=world.users["supervisor"],
            title="x",
            source="meeting",
            lead_unit=world.ua,
            co_units=[world.ua],
        )
    with pytest.raises(TransitionRefused, match="时限"):
        services.issue(
            actor=world.users["supervisor"], title="x", source="meeting", lead_unit=world.ua, limit="3 weeks"
        )
    with pytest.raises(TransitionRefused, match="早于"):
        services.issue(
            actor=world.users["supervisor"],
            title="x",
            source="meeting",
            lead_unit=world.ua,
            due=date(2020, 1, 1),
        )
    assert not WorkItem.objects.exists()


@pytest.mark.django_db
def test_other_units_do_not_see_it(world, item):
    outsider = make_user("b_liaison", "liaison", world.ub)
    c = world.client("supervisor")
    assert c.get(f"/supervision/{item.pk}/").status_code == 200
    from django.test import Client

    other = Client()
    other.force_login(outsider)
    assert other.get(f"/supervision/{item.pk}/").status_code == 404
    assert "压缩企业开办时间" not in other.get("/supervision/").content.decode()


@pytest.mark.django_db
def test_extension_request_and_approval_move_the_deadline(world, item):
    liaison, supervisor = world.users["liaison"], world.users["supervisor"]
    services.act(item, "sign", liaison, data={})
    with pytest.raises(TransitionRefused, match="理由"):
        services.act(item, "request_extension", liaison, data={"until": "2026-03-20"})
    with pytest.raises(TransitionRefused, match="晚于现时限"):
        services.act(item, "request_extension", liaison, data={"until": "2026-03-10", "reason": "x"})
    item = services.act(
        item, "request_extension", liaison, data={"until": "2026-03-20", "reason": "需市住建局配合"}
    )
    with pytest.raises(TransitionRefused, match="待审批"):
        services.act(item, "request_extension", liaison, data={"until": "2026-03-27", "reason": "again"})
    assert item.work_item.deadline == at("2026-03-17 00:00")  # unchanged until approved
    item = services.act(item, "approve_extension", supervisor, data={})
    assert item.work_item.deadline == at("2026-03-21 00:00")  # Fri 20 Mar, 24:00
    with pytest.raises(TransitionRefused, match="没有待审批"):
        services.act(item, "reject_extension", supervisor, data={})
    labels = [e.action for e in item.work_item.timeline.all()]
    assert labels[-2:] == ["request_extension", "approve_extension"]


@pytest.mark.django_db
def test_reminders_escalate_to_the_unit_head_from_the_second(world, item):
    supervisor = world.users["supervisor"]
    services.act(item, "remind", supervisor, data={"note": "请于本周内报送进展"})
    assert world.users["liaison"].notifications.filter(title__startswith="催办（第1次）").exists()
    assert not world.users["unit_leader"].notifications.exists()
    services.act(item, "remind", supervisor, data={})
    assert world.users["unit_leader"].notifications.filter(title__startswith="催办（第2次）").exists()
    with pytest.raises(TransitionRefused):
        services.act(item, "remind", world.users["liaison"], data={})


@pytest.mark.django_db
def test_late_signing_and_missed_reports_are_flagged_once(world, item):
    assert item.sign_deadline == at("2026-03-04 00:00")  # one working day after Mon 2 Mar
    assert services.flag_missed(now=at("2026-03-03 12:00")) == {"unsigned": 0, "missed_reports": 0, "reminded": 0}
    assert services.flag_missed(now=at("2026-03-04 08:00")) == {"unsigned": 1, "missed_reports": 0, "reminded": 0}
    assert services.flag_missed(now=at("2026-03-04 09:00")) == {"unsigned": 0, "missed_reports": 0, "reminded": 0}
    assert world.users["liaison"].notifications.filter(title__startswith="签收超时").count() == 1
    item.cadence = "weekly"
    item.save()
    with time_machine.travel(at("2026-03-04 10:00"), tick=False):
        item = services.act(item, "sign", world.users["liaison"], data={})
    assert item.report_due == at("2026-03-12 00:00")  # 7 days after Wed 4 Mar: end of Wed 11 Mar
    # 催报: one working day before the report is due, once.
    assert item.report_remind_at == at("2026-03-11 00:00")
    assert services.flag_missed(now=at("2026-03-10 23:00"))["reminded"] == 0
    assert services.flag_missed(now=at("2026-03-11 09:00"))["reminded"] == 1
    assert services.flag_missed(now=at("2026-03-11 10:00"))["reminded"] == 0
    assert world.users["liaison"].notifications.filter(title__startswith="请按时报送进展").count() == 1
    assert services.flag_missed(now=at("2026-03-12 09:00")) == {"unsigned": 0, "missed_reports": 1, "reminded": 0}
    assert services.flag_missed(now=at("2026-03-12 10:00")) == {"unsigned": 0, "missed_reports": 0, "reminded": 0}
    with time_machine.travel(at("2026-03-12 11:00"), tick=False):
        item = services.act(item, "report", world.users["liaison"], data={"text": "本周进展"})
    assert item.report_due == at("2026-03-20 00:00")
    assert services.flag_missed(now=at("2026-03-13 09:00")) == {"unsigned": 0, "missed_reports": 0, "reminded": 0}
    actions = list(item.work_item.timeline.values_list("action", flat=True))
    assert actions.count("sign_overdue") == 1 and actions.count("report_overdue") == 1


@pytest.mark.django_db
def test_suspension_stops_the_clock_and_resumption_moves_the_deadline(world, item):
    supervisor = world.users["supervisor"]
    with time_machine.travel(at("2026-03-02 10:00"), tick=False):
        item = services.act(item, "sign", world.users["liaison"], data={})
    with time_machine.travel(at("2026-03-04 10:00"), tick=False):
        with pytest.raises(TransitionRefused, match="中止理由"):
            services.act(item, "suspend", supervisor, data={})
        item = services.act(item, "suspend", supervisor, data={"note": "等待省厅批复"})
    assert item.work_item.state == "suspended"
    with time_machine.travel(at("2026-03-09 10:00"), tick=False):
        item = services.act(item, "resume", supervisor, data={})
    # 4, 5, 6 Mar (Wed–Fri) do not count: three working days later than 16 Mar.
    assert item.work_item.state == "signed" and item.work_item.deadline == at("2026-03-20 00:00")
    assert item.work_item.pauses.get().reason == "等待省厅批复"


@pytest.mark.django_db
def test_a_stale_version_is_refused_with_412(world, item):
    c = world.client("liaison")
    assert (
        c.post(
            f"/api/supervision/items/{item.pk}/sign/", {"version": 1}, content_type="application/json"
        ).status_code
        == 200
    )
    stale = world.client("supervisor").post(
        f"/api/supervision/items/{item.pk}/cancel/",
        {"version": 1, "note": "x"},
        content_type="application/json",
    )
    assert stale.status_code == 412 and stale.json()["code"] == "version_conflict"
