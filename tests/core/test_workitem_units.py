"""A co-unit row (core_workitem_units) carries a copy of its item's deadline, written by the database (triggers
of migration core.0011), so a unit's co-unit items can be read in deadline order from an index. The copy follows
every way a deadline changes — the clock through an approved extension, a plain save, a bulk UPDATE, none at
all — a new co-unit takes the item's deadline, and a wrong value written straight into the row is put right.
The test database is built by the migrations, so a later migration that drops the triggers (SQLite rebuilds a
table for some changes, and its triggers with it) fails here."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import at
from xiaoneng.core.models import WorkItem, WorkItemUnit
from xiaoneng.supervision import services


def copies(item) -> dict[int, object]:
    return dict(WorkItemUnit.objects.filter(workitem_id=item.pk).values_list("unit_id", "deadline"))


@pytest.fixture
def item(world):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        return services.issue(
            actor=world.users["supervisor"],
            title="联合整治",
            source="meeting",
            lead_unit=world.ua,
            co_units=[world.ua2, world.ub],
            limit="10wd",
        )


@pytest.mark.django_db
def test_co_units_take_the_deadline_of_their_item_when_added(world, item):
    assert item.work_item.deadline == at("2026-03-17 00:00")
    assert copies(item) == {world.ua2.pk: at("2026-03-17 00:00"), world.ub.pk: at("2026-03-17 00:00")}
    other = services.issue(
        actor=world.users["supervisor"], title="无时限", source="meeting", lead_unit=world.ub, limit="10wd"
    )
    WorkItem.objects.filter(pk=other.pk).update(deadline=None)
    other.work_item.units.add(world.ua)
    assert copies(other) == {world.ua.pk: None}


@pytest.mark.django_db
def test_the_copy_follows_an_extension_decided_through_the_clock(world, item):
    liaison, supervisor = world.users["liaison"], world.users["supervisor"]
    with time_machine.travel(at("2026-03-03 09:00"), tick=False):
        services.act(item, "sign", liaison, data={})
        services.act(item, "request_extension", liaison, data={"until": "2026-03-20", "reason": "需配合"})
        item = services.act(item, "approve_extension", supervisor, data={})
    assert item.work_item.deadline == at("2026-03-21 00:00")
    assert set(copies(item).values()) == {at("2026-03-21 00:00")}


@pytest.mark.django_db
def test_the_copy_follows_a_save_a_bulk_update_and_a_deadline_removed(world, item):
    wi = WorkItem.objects.get(pk=item.pk)
    wi.deadline = at("2026-04-01 00:00")
    wi.save()
    assert set(copies(item).values()) == {at("2026-04-01 00:00")}
    WorkItem.objects.filter(pk=item.pk).update(deadline=at("2026-05-01 00:00"))
    assert set(copies(item).values()) == {at("2026-05-01 00:00")}
    WorkItem.objects.filter(pk=item.pk).update(deadline=None)
    assert set(copies(item).values()) == {None}


@pytest.mark.django_db
def test_other_items_rows_are_untouched_and_a_wrong_copy_is_put_right(world, item):
    other = services.issue(
        actor=world.users["supervisor"],
        title="另一事项",
        source="meeting",
        lead_unit=world.ub,
        co_units=[world.ua],
        limit="10wd",
    )
    before = copies(other)
    WorkItem.objects.filter(pk=item.pk).update(deadline=at("2026-06-01 00:00"))
    assert copies(other) == before
    WorkItemUnit.objects.filter(workitem_id=item.pk).update(deadline=at("2030-01-01 00:00"))
    assert set(copies(item).values()) == {at("2026-06-01 00:00")}


@pytest.mark.django_db
def test_co_units_replaced_or_moved_to_another_item_take_that_items_deadline(world, item):
    other = services.issue(
        actor=world.users["supervisor"], title="另一事项", source="meeting", lead_unit=world.ub, limit="30d"
    )
    WorkItem.objects.filter(pk=other.pk).update(deadline=at("2026-07-01 00:00"))
    other.work_item.units.set([world.ua, world.ua2])
    assert copies(other) == {world.ua.pk: at("2026-07-01 00:00"), world.ua2.pk: at("2026-07-01 00:00")}
    WorkItemUnit.objects.filter(workitem_id=item.pk, unit=world.ub).update(workitem_id=other.pk)
    assert copies(other)[world.ub.pk] == at("2026-07-01 00:00")
