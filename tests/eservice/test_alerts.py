"""Alerts and cards: the case sweep raises each alert once as a work item of the department; the department
explains within the limit; a supervisor accepts the explanation or confirms the card; without an explanation in
time the card stands; confirmed and standing cards are on the department's record. 差评 go through
rectification and revisit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Sum
from django.test import Client

from tests.conftest import at, make_user
from xiaoneng.core import workitem
from xiaoneng.core.models import CardRecord, Notification, WorkItem
from xiaoneng.eservice import alerts, ingest, sweep
from xiaoneng.eservice.models import Case, CaseAlert, MonthlyStat
from xiaoneng.org.models import User
from xiaoneng.org.roles import Role

NOW = at("2026-03-02 12:00")
SEC = timedelta(seconds=1)


def accept(source, feed, case_no="C1", matter="DH-XK-001", day="2026-03-02"):
    return ingest.ingest(
        source,
        [feed.app(case_no, matter, f"{day} 09:00"), feed.ev(case_no, "acceptance", f"{day} 10:00")],
        now=NOW,
    )


@pytest.fixture
def liaison_of_ua(world):
    return world.users["liaison"]


@pytest.mark.django_db
def test_an_overdue_case_raises_one_alert_for_its_department(world, matters, source, feed):
    accept(source, feed)
    case = Case.objects.get()
    assert case.next_check_at == at("2026-03-07 00:00")  # the warning: one working day left
    assert sweep.sweep(now=at("2026-03-07 00:00")) == {"checked": 1, "raised": 0}
    case.refresh_from_db()
    assert case.stage == "warning" and case.next_check_at == case.deadline
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        assert sweep.sweep()["raised"] == 1
        assert sweep.sweep() == {"checked": 0, "raised": 0}  # idempotent
    alert = CaseAlert.objects.get()
    item = alert.work_item
    assert (alert.type, alert.colour, item.kind, item.owner_unit, item.state) == (
        "overdue",
        "yellow",
        "eservice_alert",
        world.ua,
        "awaiting",
    )
    # The explanation limit, 3 working days from just after midnight on Tuesday 10 March: Wed 11 … Fri 13.
    assert item.deadline == at("2026-03-14 00:00")
    assert Notification.objects.filter(recipient=world.users["liaison"], item=item).exists()
    assert MonthlyStat.objects.get().yellow == 1


@pytest.mark.django_db
def test_red_supersedes_an_unexplained_yellow_alert(world, matters, source, feed):
    accept(source, feed)
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
    with time_machine.travel(at("2026-03-13 00:00") + SEC, tick=False):
        sweep.sweep()
    yellow = CaseAlert.objects.get(type="overdue")
    red = CaseAlert.objects.get(type="overdue_red")
    assert yellow.work_item.state == "superseded" and yellow.card_colour == ""
    assert red.colour == "red" and red.work_item.state == "awaiting"
    m = MonthlyStat.objects.get()
    assert (m.yellow, m.red) == (1, 1)
    assert Case.objects.get().stage == "red"


@pytest.mark.django_db
def test_an_explanation_accepted_leaves_no_card_and_a_confirmed_one_does(world, matters, source, feed):
    accept(source, feed, "C1")
    accept(source, feed, "C2")
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
        a1, a2 = CaseAlert.objects.order_by("case__case_no")
        liaison, supervisor = world.users["liaison"], world.users["supervisor"]
        for a in (a1, a2):
            alerts.act_on_item(a.work_item, "explain", liaison, data={"text": "系统故障导致延误"})
        alerts.act_on_item(WorkItem.objects.get(pk=a1.pk), "accept", supervisor)
        alerts.act_on_item(WorkItem.objects.get(pk=a2.pk), "confirm", supervisor, data={"colour": "red"})
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.work_item.state, a1.card_colour) == ("accepted", "")
    assert (a2.work_item.state, a2.card_colour) == ("confirmed", "red")
    cards = CardRecord.objects.filter(unit=world.ua)
    assert sorted((c.work_item_id, c.stage, c.kind) for c in cards) == [
        (a2.pk, "red", "eservice_alert"),
        (a2.pk, "yellow", "eservice_alert"),
    ]
    assert "系统故障导致延误" in a1.explanation


@pytest.mark.django_db
def test_no_explanation_in_time_and_the_card_stands(world, matters, source, feed):
    accept(source, feed)
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
    alert = CaseAlert.objects.get()
    with time_machine.travel(at("2026-03-14 00:00") + SEC, tick=False):
        workitem.sweep()  # the shared deadline sweep finds the explanation overdue
    alert.refresh_from_db()
    assert (alert.work_item.state, alert.card_colour) == ("stood", "yellow")
    assert list(CardRecord.objects.values_list("stage", flat=True)) == ["yellow"]
    timeline = [e.action for e in alert.work_item.timeline.all()]
    assert "stand" in timeline


@pytest.mark.django_db
def test_only_the_department_explains_and_only_supervisors_decide(world, matters, source, feed):
    from xiaoneng.core.workflow import TransitionRefused

    accept(source, feed)
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
    item = CaseAlert.objects.get().work_item
    with pytest.raises(TransitionRefused) as exc:
        alerts.act_on_item(item, "explain", world.users["supervisor"], data={"text": "x"})
    assert exc.value.status == 403
    with pytest.raises(TransitionRefused):
        alerts.act_on_item(item, "explain", world.users["liaison"], data={"text": " "})
    with pytest.raises(TransitionRefused) as exc:
        alerts.act_on_item(item, "stand", world.users["supervisor"])
    assert exc.value.status == 403
    c = world.client("unit_leader")
    resp = c.post(
        f"/eservice/alerts/{item.pk}/", {"action": "explain", "text": "已整改", "version": item.version}
    )
    assert resp.status_code == 302
    assert CaseAlert.objects.get().explanation == "已整改"


@pytest.mark.django_db
def test_fee_above_standard_and_off_system_handling_raise_alerts(world, matters, source, feed):
    ingest.ingest(
        source,
        [
            feed.app("Q1", "DH-QR-002", "2026-03-02 09:00"),
            feed.ev("Q1", "acceptance", "2026-03-02 09:05"),
            feed.ev("Q1", "fee", "2026-03-02 09:06", amount="80"),
            feed.ev("Q1", "completion", "2026-03-02 09:20"),
            feed.app("L1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("L1", "acceptance", "2026-03-10 09:00"),
        ],
        now=at("2026-03-10 12:00"),
    )
    with time_machine.travel(at("2026-03-10 12:01"), tick=False):
        assert sweep.sweep()["raised"] == 2
    assert sorted(CaseAlert.objects.values_list("type", "colour")) == [
        ("fee", "red"),
        ("late_acceptance", "yellow"),
    ]
    m = MonthlyStat.objects.aggregate(fee=Sum("fee_alerts"), off=Sum("offsystem_alerts"))
    assert (m["fee"], m["off"]) == (1, 1)


@pytest.mark.django_db
def test_a_case_completed_late_is_alerted_even_if_never_swept_while_open(world, matters, source, feed):
    ingest.ingest(
        source,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("C1", "acceptance", "2026-03-02 10:00"),
            feed.ev("C1", "handling", "2026-03-03 10:00"),
            feed.ev("C1", "review", "2026-03-04 10:00"),
            feed.ev("C1", "decision", "2026-03-11 10:00"),
            feed.ev("C1", "completion", "2026-03-11 11:00"),
        ],
        now=at("2026-03-12 12:00"),
    )
    with time_machine.travel(at("2026-03-12 12:01"), tick=False):
        sweep.sweep()
    c = Case.objects.get()
    assert (c.on_time, c.stage, c.next_check_at) == (False, "yellow", None)
    assert CaseAlert.objects.get().type == "overdue"


@pytest.mark.django_db
def test_a_bad_rating_is_rectified_revisited_and_closed(world, matters, source, feed):
    ingest.ingest(
        source,
        [
            feed.app("Q1", "DH-QR-002", "2026-03-02 09:00"),
            feed.ev("Q1", "acceptance", "2026-03-02 09:05"),
            feed.ev("Q1", "completion", "2026-03-02 09:20"),
            feed.ev("Q1", "rating", "2026-03-02 09:30", rating=1),
        ],
        now=NOW,
    )
    with time_machine.travel(NOW, tick=False):
        sweep.sweep()
    alert = CaseAlert.objects.get()
    item = alert.work_item
    assert (alert.type, item.kind, item.owner_unit) == ("bad_rating", "eservice_rectification", world.ua2)
    assert item.deadline == at("2026-03-10 00:00")  # 5 working days (the preset)
    leader = world.users["unit_leader"]
    ua2_liaison = make_user("ua2_liaison", Role.LIAISON, world.ua2)
    with time_machine.travel(at("2026-03-03 10:00"), tick=False):
        alerts.act_on_item(item, "rectify", ua2_liaison, data={"finding": "valid", "text": "已约谈窗口人员"})
        alerts.act_on_item(
            WorkItem.objects.get(pk=item.pk), "revisit", ua2_liaison, data={"result": "4", "text": "电话回访"}
        )
        alerts.act_on_item(WorkItem.objects.get(pk=item.pk), "close", world.users["supervisor"])
    alert.refresh_from_db()
    assert (alert.work_item.state, alert.finding, alert.revisit_result) == ("closed", "valid", 4)
    assert Case.objects.get().rectified
    m = MonthlyStat.objects.get()
    assert (m.rated, m.bad, m.rectified) == (1, 1, 1)
    assert leader.unit == world.ua and not User.objects.filter(unit=world.ua2, role=Role.UNIT_LEADER).exists()


@pytest.mark.django_db
def test_a_paused_case_does_not_move(world, matters, source, feed):
    accept(source, feed)
    ingest.ingest(
        source, [feed.ev("C1", "supplement_notice", "2026-03-03 10:00")], now=at("2026-03-03 12:00")
    )
    c = Case.objects.get()
    assert c.paused and c.next_check_at is None
    with time_machine.travel(at("2026-04-01 00:00"), tick=False):
        assert sweep.sweep()["checked"] == 0
    assert not CaseAlert.objects.exists()


@pytest.mark.django_db
def test_alert_pages_follow_scope(world, matters, source, feed):
    accept(source, feed)
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
    alert = CaseAlert.objects.get()
    assert world.client("liaison").get(f"/eservice/alerts/{alert.pk}/").status_code == 200
    html = world.client("supervisor").get("/eservice/alerts/").content.decode()
    assert "超期未办结" in html
    other = make_user("ua2_liaison", Role.LIAISON, world.ua2)
    c = Client()
    c.force_login(other)
    assert c.get(f"/eservice/alerts/{alert.pk}/").status_code == 404
    assert world.client("liaison").get(f"/items/{alert.pk}/").status_code in (200, 302)


@pytest.mark.django_db
def test_a_case_entering_its_warning_stage_is_told_to_the_department_once_a_day(world, matters, source, feed):
    for case_no in ("C1", "C2", "C3"):
        accept(source, feed, case_no)
    later = at("2026-03-07 08:00")  # C3's warning comes later the same day
    Case.objects.filter(case_no="C3").update(next_check_at=later, warning_at=later)
    liaison = world.users["liaison"]
    sweep.sweep(now=at("2026-03-07 00:00"))  # both enter their last working day
    [note] = Notification.objects.filter(recipient=liaison, dedupe_key__startswith="eservice_warning:")
    assert "即将到达承诺办结时限" in note.title and "C" in note.title
    assert note.url == f"/eservice/cases/?measure=warning&department={world.ua.pk}"
    assert CaseAlert.objects.count() == 0  # a warning is no alert: nothing to explain yet
    # The page it opens lists the department's cases in warning.
    client = world.client("liaison")
    html = client.get(note.url).content.decode()
    assert "C1" in html and "C2" in html
    # Another case of the same department entering its warning the same day adds no second message.
    assert "C3" not in html
    sweep.sweep(now=later)
    assert Case.objects.get(case_no="C3").stage == "warning"
    assert (
        Notification.objects.filter(recipient=liaison, dedupe_key__startswith="eservice_warning:").count()
        == 1
    )
    # Nobody outside the department hears of it.
    assert not Notification.objects.filter(dedupe_key__startswith="eservice_warning:").exclude(
        recipient__unit=world.ua
    )


@pytest.mark.django_db
def test_a_case_found_already_overdue_gets_its_alert_not_a_warning(world, matters, source, feed):
    accept(source, feed)
    with time_machine.travel(at("2026-03-10 00:00") + SEC, tick=False):
        sweep.sweep()
    assert not Notification.objects.filter(dedupe_key__startswith="eservice_warning:").exists()
    assert CaseAlert.objects.get().type == "overdue"
