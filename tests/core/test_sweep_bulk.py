"""The deadline sweep in bulk: the same answers as `refresh_clock` item by item, a constant number of statements
per batch, nothing read before its moment, nothing done twice (a second sweep, a second scheduler), and the cards
(红黄牌) it leaves on the units' record."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.conftest import at, make_user
from xiaoneng.core import audit, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import (
    AuditEvent,
    CardRecord,
    Delivery,
    Extension,
    ExtensionStatus,
    Notification,
    Pause,
    Stage,
    TimelineEvent,
    WorkItem,
)
from xiaoneng.org.roles import Role

from .kinds import TASK

CLOCK = ("deadline", "provisional", "stage", "next_check_at")


def issue(
    world, title="整改东湖区窗口排队问题", unit=None, start="2026-02-13 10:00", limit="5wd", kind="test_task"
):
    with time_machine.travel(at(start), tick=False):
        return workitem.create(
            kind=kind,
            actor=world.users["supervisor"],
            title=title,
            owner_unit=unit or world.ua,
            started_at=at(start),
            limit=limit,
        )


def clock_fields(pk):
    return WorkItem.objects.values_list(*CLOCK).get(pk=pk)


def trace():
    """Everything a sweep may write, counted."""
    return {
        "timeline": TimelineEvent.objects.filter(action="stage_changed").count(),
        "cards": CardRecord.objects.count(),
        "inbox": Notification.objects.count(),
        "deliveries": Delivery.objects.count(),
        "audit": AuditEvent.objects.count(),
        "clock": sorted(WorkItem.objects.values_list("pk", *CLOCK)),
    }


# --- the same answers as refresh_clock -------------------------------------------------------------------------


@pytest.fixture
def held_kind(task_kind):
    """The test kind again, with its clock running only while issued (as a kind that stops the clock while the
    unit waits on someone else would declare it)."""
    kind = dataclasses.replace(TASK, code="test_task_held", clock_states=frozenset({"issued"}))
    workitem.register(kind)
    yield kind
    workitem.unregister(kind.code)


def random_items(world, rng, n):
    units = [world.ua, world.ua2, world.ub]
    limits = ["1wd", "3wd", "5wd", "10wd", "20wd", "7d", "30d", "8wh", "16wh", "24h", "72h"]
    items = []
    for i in range(n):
        start = at("2025-12-01 09:00") + timedelta(minutes=rng.randrange(0, 120 * 24 * 60))
        kind = rng.choice(["test_task", "test_task", "test_task_held"])
        with time_machine.travel(start, tick=False):
            item = workitem.create(
                kind=kind,
                actor=world.users["supervisor"],
                title=f"随机事项{i}",
                owner_unit=rng.choice(units),
                started_at=start,
                limit=rng.choice(limits),
            )
        for _ in range(rng.choice([0, 0, 1, 2])):  # pauses: closed, and sometimes one still open
            p_start = start + timedelta(hours=rng.randrange(1, 600))
            end = None if rng.random() < 0.3 else p_start + timedelta(hours=rng.randrange(1, 200))
            if end is None and item.pauses.filter(ended_at__isnull=True).exists():
                end = p_start + timedelta(hours=5)
            Pause.objects.create(item=item, reason="补正", started_at=p_start, ended_at=end)
        for _ in range(rng.choice([0, 0, 1, 2])):
            status = rng.choice(list(ExtensionStatus.values))
            # Decided in this phase, or before the clock (re)started (a former phase's: it no longer counts).
            decided = start + timedelta(hours=rng.randrange(-200, 300)) if status != "requested" else None
            Extension.objects.create(
                item=item,
                limit=rng.choice(["1wd", "3wd", "5d", "4wh"]),
                reason="需协调",
                requested_by=world.users["liaison"],
                status=status,
                decided_at=decided,
            )
        state = rng.choice(["issued", "issued", "signed", "done_requested"])
        stage = rng.choice(list(Stage.values))
        WorkItem.objects.filter(pk=item.pk).update(state=state, stage=stage)
        items.append(item.pk)
    return items


@pytest.mark.django_db
def test_the_bulk_sweep_gives_what_refresh_clock_gives_item_by_item(world, task_kind, held_kind):
    rng = random.Random(20261130)
    pks = random_items(world, rng, 240)
    for now in (
        at("2026-01-20 00:00"),
        at("2026-03-02 09:30"),
        at("2026-04-07 00:00"),
        at("2026-06-30 17:00"),
    ):
        # Every open item due (whatever its stored stage), so the sweep evaluates all of them.
        WorkItem.objects.filter(pk__in=pks).update(next_check_at=now - timedelta(minutes=1))
        expected = {}
        for item in WorkItem.objects.filter(pk__in=pks):  # no prefetch: the single-item path
            workitem.refresh_clock(item, now)
            expected[item.pk] = tuple(getattr(item, f) for f in CLOCK)
        result = workitem.sweep(now=now, batch=37)
        assert result["checked"] == len(pks)
        got = {pk: tuple(row) for pk, *row in WorkItem.objects.filter(pk__in=pks).values_list("pk", *CLOCK)}
        assert got == expected, now


@pytest.mark.django_db
def test_closed_items_and_items_not_yet_due_are_never_read(world, task_kind, monkeypatch):
    due = [issue(world, title=f"到期{i}") for i in range(5)]
    later = [issue(world, title=f"未到期{i}", start="2026-02-25 10:00") for i in range(4)]
    closed = issue(world, title="已办结")
    WorkItem.objects.filter(pk=closed.pk).update(
        closed_at=at("2026-02-20 10:00"), next_check_at=at("2026-02-20 10:00")
    )
    evaluated = []
    real = workitem.refresh_clock

    def spy(item, now=None, **inputs):
        evaluated.append(item.pk)
        return real(item, now, **inputs)

    monkeypatch.setattr(workitem, "refresh_clock", spy)
    workitem.sweep(now=at("2026-02-27 10:00"), batch=2)
    assert sorted(evaluated) == sorted(i.pk for i in due)
    assert not {i.pk for i in later} & set(evaluated)


# --- a constant number of statements per batch -------------------------------------------------------------------

PER_BATCH = 30  # the statements of one batch, whatever its size (measured: about 20 with savepoints)


def sweep_statements(now, batch):
    with CaptureQueriesContext(connection) as ctx:
        result = workitem.sweep(now=now, batch=batch)
    return result, len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_statements_per_batch_do_not_grow_with_the_items(world, task_kind):
    make_user("a_liaison2", Role.LIAISON, world.ua)  # two liaisons: messages for both, still one insert
    for i in range(6):
        issue(world, title=f"少{i}")
    small, small_q = sweep_statements(at("2026-03-05 09:00"), batch=6)  # one batch, straight to red
    for i in range(24):
        issue(world, title=f"多{i}", start="2026-03-06 10:00")
    large, large_q = sweep_statements(at("2026-03-20 09:00"), batch=24)
    assert small == {"checked": 6, "changed": 6} and large == {"checked": 24, "changed": 24}
    assert small_q <= PER_BATCH + 1 and large_q <= PER_BATCH + 1
    # Four times the items in a batch cost the same statements (SQLite splits a bulk write beyond its
    # parameter limit; these batches are under it).
    assert large_q == small_q
    # And several batches cost at most PER_BATCH each, plus the final look that finds nothing left.
    for i in range(30):
        issue(world, title=f"分批{i}", start="2026-03-23 10:00")
    result, q = sweep_statements(at("2026-04-08 09:00"), batch=10)
    assert result["checked"] == 30 and q <= 3 * PER_BATCH + 1


@pytest.mark.django_db
def test_a_minute_with_nothing_due_costs_one_query(world, task_kind):
    for i in range(5):
        issue(world, title=f"事项{i}")
    result, q = sweep_statements(at("2026-02-16 10:00"), batch=2)
    assert result == {"checked": 0, "changed": 0} and q == 1


# --- nothing twice ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_sweep_at_the_same_instant_changes_and_sends_nothing(world, task_kind):
    make_user("a_liaison2", Role.LIAISON, world.ua)
    for i, start in enumerate(
        ["2026-02-13 10:00", "2026-02-24 10:00", "2026-02-26 10:00", "2026-03-02 10:00"]
    ):
        issue(world, title=f"事项{i}", start=start)
    first = workitem.sweep(now=at("2026-03-05 09:00"), batch=3)
    assert first["changed"] >= 3
    before = trace()
    assert workitem.sweep(now=at("2026-03-05 09:00"), batch=3) == {"checked": 0, "changed": 0}
    assert trace() == before


@pytest.mark.django_db
def test_each_liaison_is_told_once_per_item_and_stage(world, task_kind):
    second = make_user("a_liaison2", Role.LIAISON, world.ua)
    item = issue(world)
    for now in (
        "2026-02-27 10:00",
        "2026-02-27 11:00",
        "2026-03-02 09:00",
        "2026-03-05 09:00",
        "2026-03-06 09:00",
    ):
        workitem.sweep(now=at(now))
    for liaison in (world.users["liaison"], second):
        keys = list(liaison.notifications.order_by("id").values_list("dedupe_key", flat=True))
        assert keys == [f"stage:{item.pk}:warning", f"stage:{item.pk}:yellow", f"stage:{item.pk}:red"]
    assert Delivery.objects.count() == 6 * 2  # SMS and 政务钉钉 for each message
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"sms", "dingtalk"}
    assert not world.users["unit_leader"].notifications.exists()


@pytest.mark.django_db
def test_stage_notices_reach_only_liaisons_who_may_open_the_item(world, task_kind):
    """回避 and a kind's own narrowing (an accountability case) hold for the sweep's messages too: a liaison the
    item names personally, or one the kind's `visible` hook leaves out, is never told."""
    from django.db.models import Q

    from xiaoneng.core.models import Recusal

    second = make_user("a_liaison2", Role.LIAISON, world.ua)
    third = make_user("a_liaison3", Role.LIAISON, world.ua)
    narrowed = dataclasses.replace(
        TASK,
        code="test_task_narrow",
        extra={"visible": lambda user: ~Q(owner_unit_id=user.unit_id) | Q(pk=0)},
    )
    workitem.register(narrowed)
    try:
        named = issue(world)
        Recusal.objects.create(work_item=named, person=world.users["liaison"].person)
        hidden = issue(world, title="问责案件", kind="test_task_narrow")
        for now in ("2026-02-27 10:00", "2026-03-02 09:00", "2026-03-06 09:00"):
            workitem.sweep(now=at(now))
    finally:
        workitem.unregister(narrowed.code)
    assert not world.users["liaison"].notifications.filter(item_id=named.pk).exists()
    for liaison in (second, third):
        assert liaison.notifications.filter(item_id=named.pk).count() == 3  # warning, yellow, red
        assert not liaison.notifications.filter(item_id=hidden.pk).exists()
    assert WorkItem.objects.get(pk=hidden.pk).stage == "red"  # swept all the same


@pytest.mark.django_db
def test_a_message_sent_before_is_not_sent_again(world, task_kind):
    from xiaoneng.core import notify

    item = issue(world)
    notify.notify(world.users["liaison"], f"stage:{item.pk}:yellow", "已提醒", channels=("sms",))
    workitem.sweep(now=at("2026-03-02 09:00"))
    assert world.users["liaison"].notifications.filter(dedupe_key=f"stage:{item.pk}:yellow").count() == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_the_bulk_insert_skips_rows_that_appeared_meanwhile(world, monkeypatch):
    """A concurrent writer's row that the look before the insert did not see (it committed just after): on
    PostgreSQL the insert skips it (ON CONFLICT DO NOTHING); elsewhere the bulk insert fails, rolls back to its
    savepoint and the rows go one by one."""
    from xiaoneng.core import bulk, notify

    liaison = world.users["liaison"]
    notify.notify(liaison, "k1", "别处先发")
    monkeypatch.setattr(bulk, "_existing", lambda model, names, keys: set())
    messages = [notify.Message(liaison.pk, f"k{i}", f"消息{i}") for i in range(3)]
    created = notify.notify_many([*messages, messages[0]], channels=("sms",))
    assert sorted(n["dedupe_key"] for n in created) == ["k0", "k2"]
    ids = [n["id"] for n in created]
    assert sorted(Notification.objects.filter(pk__in=ids).values_list("dedupe_key", flat=True)) == [
        "k0",
        "k2",
    ]
    assert liaison.notifications.filter(dedupe_key="k1").get().title == "别处先发"
    assert Delivery.objects.filter(notification__in=ids).count() == 2


# --- cards on the unit's record ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cards_are_recorded_once_each_and_dated_by_the_clock(world, task_kind):
    item = issue(world)  # 5wd from Fri 13 Feb 2026: due 27 Feb 24:00, red after 3 more working days
    for now in (
        "2026-02-27 10:00",
        "2026-03-02 09:00",
        "2026-03-02 10:00",
        "2026-03-05 09:00",
        "2026-03-09 09:00",
    ):
        workitem.sweep(now=at(now))
    cards = list(CardRecord.objects.order_by("at").values_list("stage", "at", "year", "unit_id", "kind"))
    assert cards == [
        ("yellow", at("2026-02-28 00:00"), 2026, world.ua.pk, "test_task"),
        ("red", at("2026-03-04 00:00"), 2026, world.ua.pk, "test_task"),  # Sat 28 调休, Mon 2, Tue 3
    ]
    assert item.cards.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        CardRecord.objects.create(
            work_item=item,
            unit=world.ua,
            region_path=item.region_path,
            kind="test_task",
            stage="red",
            at=at("2026-03-04 00:00"),
            year=2026,
        )


@pytest.mark.django_db
def test_an_item_that_goes_straight_to_red_gets_both_cards_and_one_message(world, task_kind):
    item = issue(world)
    assert workitem.sweep(now=at("2026-03-10 09:00")) == {"checked": 1, "changed": 1}
    assert sorted(item.cards.values_list("stage", "at")) == [
        ("red", at("2026-03-04 00:00")),
        ("yellow", at("2026-02-28 00:00")),
    ]
    assert list(world.users["liaison"].notifications.values_list("dedupe_key", flat=True)) == [
        f"stage:{item.pk}:red"
    ]
    event = TimelineEvent.objects.get(item=item, action="stage_changed")
    assert (event.before, event.after) == ({"stage": "normal"}, {"stage": "red"})


@pytest.mark.django_db
def test_a_stage_raised_outside_the_sweep_is_announced_by_the_next_sweep(world, task_kind):
    """An item issued after its deadline had passed is red at once; the next sweep tells the unit and records
    its cards, as for any other item."""
    with time_machine.travel(at("2026-03-10 09:00"), tick=False):
        item = workitem.create(
            kind="test_task",
            actor=world.users["supervisor"],
            title="补录的逾期事项",
            owner_unit=world.ua,
            started_at=at("2026-02-13 10:00"),
            limit="5wd",
        )
    assert item.stage == Stage.RED and item.next_check_at == at("2026-03-10 09:00")
    assert workitem.sweep(now=at("2026-03-10 09:01")) == {"checked": 1, "changed": 0}
    assert sorted(item.cards.values_list("stage", flat=True)) == ["red", "yellow"]
    assert world.users["liaison"].notifications.filter(dedupe_key=f"stage:{item.pk}:red").exists()
    assert clock_fields(item.pk)[3] is None  # red: nothing left to check
    assert workitem.sweep(now=at("2026-03-10 09:02")) == {"checked": 0, "changed": 0}


@pytest.mark.django_db
def test_each_batch_that_changed_stages_leaves_one_audit_row_and_the_chain_holds(world, task_kind):
    for i in range(5):
        issue(world, title=f"事项{i}")
    before = AuditEvent.objects.filter(event_type=AuditEventType.STAGES_SWEPT).count()
    workitem.sweep(now=at("2026-03-10 09:00"), batch=2)
    rows = list(AuditEvent.objects.filter(event_type=AuditEventType.STAGES_SWEPT).order_by("id")[before:])
    assert [r.data["changed"] for r in rows] == [2, 2, 1]
    assert sum(r.data["cards"]["red"] for r in rows) == 5 and rows[0].actor_name == "deadline_sweep"
    assert audit.verify().ok


@pytest.mark.django_db
def test_a_kind_may_take_a_batch_of_stage_changes_at_once(world, task_kind):
    calls = []
    kind = dataclasses.replace(TASK, code="test_task_bulk", on_stage_changes=calls.append)
    workitem.register(kind)
    try:
        for i in range(5):
            issue(world, title=f"事项{i}", kind="test_task_bulk")
        workitem.sweep(now=at("2026-03-02 09:00"), batch=3)
    finally:
        workitem.unregister(kind.code)
    assert [len(c) for c in calls] == [3, 2]
    assert {(old, new) for c in calls for _item, old, new in c} == {("normal", "yellow")}


@pytest.mark.django_db
def test_an_item_the_clock_refuses_is_logged_and_skipped_not_fatal(world, task_kind, caplog):
    bad, good = issue(world, title="坏数据"), issue(world, title="好数据")
    WorkItem.objects.filter(pk=bad.pk).update(limit="5 weeks")
    assert workitem.sweep(now=at("2026-03-02 09:00")) == {"checked": 2, "changed": 1}
    assert clock_fields(good.pk)[2] == Stage.YELLOW
    assert f"work item {bad.pk} not evaluated" in caplog.text


# --- the unit page ----------------------------------------------------------------------------------------------


@pytest.fixture
def carded(world, task_kind):
    """Cards this year: ua has one item red (and yellow) and one yellow; ub has one red."""
    a1 = issue(world, title="东湖区红牌事项")
    a2 = issue(world, title="东湖区黄牌事项", start="2026-03-02 10:00")
    b1 = issue(world, title="西山区红牌事项", unit=world.ub)
    workitem.sweep(now=at("2026-03-10 09:00"))
    return a1, a2, b1


def unit_page(world, role, unit):
    with time_machine.travel(at("2026-03-10 10:00"), tick=False):
        return world.client(role).get(f"/org/units/{unit.pk}/")


@pytest.mark.django_db
def test_the_unit_page_counts_this_years_cards_by_kind_and_lists_them(world, carded):
    a1, a2, b1 = carded
    resp = unit_page(world, "supervisor", world.ua)
    html = resp.content.decode()
    assert "红黄牌（2026年）" in html
    by_kind = resp.context["cards"]["by_kind"]
    assert [(str(r["label"]), r["yellow"], r["red"]) for r in by_kind] == [("测试事项", 2, 1)]
    assert f'href="/items/{a1.pk}/"' in html and f'href="/items/{a2.pk}/"' in html
    assert "西山区红牌事项" not in html
    assert len(resp.context["page"].object_list) == 3


@pytest.mark.django_db
def test_a_liaison_sees_the_cards_of_their_own_unit_only(world, carded):
    html = unit_page(world, "liaison", world.ua).content.decode()
    assert "东湖区红牌事项" in html and "西山区红牌事项" not in html
    assert unit_page(world, "liaison", world.ub).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN])
def test_the_administrators_see_the_unit_but_not_its_cards(world, carded, role):
    for unit in (world.ua, world.ub):
        resp = unit_page(world, role, unit)
        assert resp.status_code == 200 and "cards" not in resp.context
        assert "红牌事项" not in resp.content.decode()


@pytest.mark.django_db
def test_a_county_supervisor_sees_no_cards_of_another_county(world, carded):
    from xiaoneng.core import scope

    assert set(scope.restrict(CardRecord, world.users["supervisor"]).values_list("unit_id", flat=True)) == {
        world.ua.pk
    }
    assert scope.restrict(CardRecord, world.city_supervisor).count() == 5
    assert not scope.restrict(CardRecord, world.users["auditor"]).exists()


@pytest.mark.django_db
def test_a_recused_supervisor_or_official_does_not_see_the_card(world, carded):
    from xiaoneng.core import scope
    from xiaoneng.core.models import Recusal

    a1 = carded[0]
    Recusal.objects.create(work_item=a1, unit=world.ua)
    visible = scope.restrict(CardRecord, world.users["supervisor"])
    assert not visible.filter(work_item=a1).exists() and visible.filter(work_item=carded[1]).exists()
    # The official an item names is kept from it even in their own unit, and so from its card.
    liaison = world.users["liaison"]
    assert scope.restrict(CardRecord, liaison).filter(work_item=carded[1]).exists()
    Recusal.objects.create(work_item=carded[1], person=liaison.person)
    assert not scope.restrict(CardRecord, liaison).filter(work_item=carded[1]).exists()


# --- two schedulers at once (PostgreSQL: FOR UPDATE SKIP LOCKED) ---------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_share_the_items_and_never_notify_twice(world):
    slow = dataclasses.replace(TASK, code="test_task_slow", on_stage_change=lambda *a: time.sleep(0.002))
    workitem.register(slow)
    try:
        second = make_user("a_liaison2", Role.LIAISON, world.ua)
        n = 120
        for i in range(n):
            issue(world, title=f"并发{i}", unit=world.ua if i % 2 else world.ua2, kind="test_task_slow")
        make_user("a2_liaison", Role.LIAISON, world.ua2)
        now = at("2026-03-10 09:00")
        results, errors = [], []
        start = threading.Barrier(2)

        def run():
            try:
                start.wait()
                results.append(workitem.sweep(now=now, batch=10))
            except BaseException as e:  # reported below
                errors.append(e)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sum(r["checked"] for r in results) == n  # every item evaluated exactly once
        assert all(r["checked"] > 0 for r in results)  # and both took a share
        assert TimelineEvent.objects.filter(action="stage_changed").count() == n
        assert CardRecord.objects.count() == 2 * n
        liaisons = (world.users["liaison"], second)
        assert Notification.objects.count() == n // 2 * len(liaisons) + n // 2
        for liaison in liaisons:
            assert liaison.notifications.count() == n // 2
        assert Delivery.objects.count() == 2 * Notification.objects.count()
        assert workitem.sweep(now=now) == {"checked": 0, "changed": 0}
    finally:
        workitem.unregister(slow.code)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_item_someone_is_acting_on_is_left_for_the_next_sweep(world, task_kind):
    busy, *others = [issue(world, title=f"事项{i}") for i in range(3)]
    locked, release = threading.Event(), threading.Event()

    def act():  # a transition holds the item as workitem.perform does (FOR UPDATE) while the sweep runs
        try:
            with transaction.atomic():
                WorkItem.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    t = threading.Thread(target=act)
    t.start()
    locked.wait(10)
    try:
        assert workitem.sweep(now=at("2026-03-02 09:00"), workers=1) == {"checked": 2, "changed": 2}
    finally:
        release.set()
        t.join()
    assert clock_fields(busy.pk)[2] == Stage.NORMAL
    assert workitem.sweep(now=at("2026-03-02 09:01"), workers=1) == {"checked": 1, "changed": 1}
    assert {clock_fields(i.pk)[2] for i in [busy, *others]} == {Stage.YELLOW}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_walks_share_one_sweep(world, task_kind):
    items = [issue(world, title=f"事项{i}") for i in range(40)]
    assert workitem.sweep(now=at("2026-03-02 09:00"), batch=5, workers=3) == {"checked": 40, "changed": 40}
    assert TimelineEvent.objects.filter(action="stage_changed").count() == 40
    assert CardRecord.objects.filter(stage="yellow").count() == 40
    assert {clock_fields(i.pk)[2] for i in items} == {Stage.YELLOW}
    assert workitem.sweep(now=at("2026-03-02 09:00"), workers=3) == {"checked": 0, "changed": 0}
