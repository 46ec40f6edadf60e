"""One unit's ledger (a liaison's, or anyone's filtered by unit) is read as two keyset streams merged — the items
the unit owns, by the (owner_unit, deadline, id) index, and the items it takes part in, from the co-unit table
(core/paging.py `covered_by`). The rows, their order, the cursors and the capped count are exactly those of the
one query the ledger made before, on random items with tied deadlines, items without one, co-units, an item
whose lead unit is also listed among its co-units, and an item the liaison is recused from."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at
from xiaoneng.core import paging, workitem
from xiaoneng.core.models import Recusal, WorkItem
from xiaoneng.supervision import selectors, services

ORDER = selectors.LEDGER_ORDER
MONDAY = at("2026-03-02 00:00")


def uncovered(qs):
    """The same queryset read as one stream, as the ledger read it before the cover."""
    qs = qs.all()
    del qs.query.keyset_cover
    return qs


def walk(qs, size):
    forward, cursor = [], None
    while True:
        page = ORDER.page(qs, cursor, size)
        forward.append(page)
        if not page.has_next:
            break
        cursor = page.next_cursor
    backward = [forward[-1]]
    while backward[-1].has_previous:
        backward.append(ORDER.page(qs, backward[-1].previous_cursor, size))
    return forward, backward


def shape(pages):
    """What a reader sees of a walk: each page's rows, start and both cursors."""
    return [([r.pk for r in p], p.start_index, p.next_cursor, p.previous_cursor) for p in pages]


@pytest.fixture
def mixed(world, task_kind):
    """60 items over three units (two in the liaison's county, one outside), deadlines from four days (many
    ties) or none, random co-units; one item lists its lead unit as a co-unit too; the liaison's person is
    recused from one of its unit's items; a dozen items of another kind with co-units."""
    rng = random.Random(20261130)
    units = [world.ua, world.ua2, world.ub]
    items = []
    for i in range(60):
        lead = rng.choice(units)
        co = rng.sample([u for u in units if u != lead], rng.choice([0, 0, 1, 2]))
        sup = services.issue(
            actor=world.city_supervisor,
            title=f"事项{i:02d}",
            source="meeting",
            lead_unit=lead,
            co_units=co,
            limit="10wd",
        )
        day = rng.choice([None, 0, 1, 1, 2, 3])
        deadline = None if day is None else MONDAY + timedelta(days=day)
        WorkItem.objects.filter(pk=sup.pk).update(deadline=deadline)
        items.append(sup)
    owned = [s for s in items if s.work_item.owner_unit_id == world.ua.pk]
    owned[0].work_item.units.add(world.ua)  # in both streams: must come once
    Recusal.objects.create(work_item_id=owned[1].pk, person=world.users["liaison"].person)
    # Work of another kind that lists the units as co-units too: in the co-unit table the keyed stream reads
    # its keys from, never in the ledger (interleaved deadlines, so every chunk of keys holds some).
    for i in range(12):
        other = workitem.create(
            kind=task_kind.code,
            actor=world.city_supervisor,
            title=f"其他{i}",
            owner_unit=world.ub,
            limit="5wd",
        )
        other.units.add(world.ua, world.ua2)
        day = rng.choice([None, 0, 1, 2, 3])
        WorkItem.objects.filter(pk=other.pk).update(
            deadline=None if day is None else MONDAY + timedelta(days=day)
        )
    return items


CASES = [
    ("liaison", {}),
    ("unit_leader", {}),
    ("liaison", {"state": "issued"}),
    ("supervisor", {"unit": "ua"}),
    ("supervisor", {"unit": "ua2"}),
    ("city_supervisor", {"unit": "ub"}),
    ("liaison", {"unit": "ua2"}),  # narrower than the liaison's scope: the filter's cover applies
    ("liaison", {"q": "事项1"}),  # most of each stream dropped by the filter
]


@pytest.fixture(params=[800, 1], ids=["keys800", "keys1"])
def chunk(request, monkeypatch):
    """The keyed stream's chunk of keys as shipped, and one (every page needs several rounds)."""
    monkeypatch.setattr(paging, "KEYED_CHUNK_MAX", request.param)
    return request.param


def ledger(world, role, filters):
    user = world.users.get(role) or getattr(world, role)
    if "unit" in filters:
        filters = {**filters, "unit": str(getattr(world, filters["unit"]).pk)}
    return selectors.ledger(user, **filters)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "filters"), CASES)
@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_two_streams_page_exactly_as_one_query(world, mixed, chunk, role, filters, size):
    qs = ledger(world, role, filters)
    assert paging._cover(qs) is not None
    forward, backward = walk(qs, size)
    before_forward, before_backward = walk(uncovered(qs), size)
    assert shape(forward) == shape(before_forward)
    assert shape(backward) == shape(before_backward)
    flat = [pk for page in forward for pk in (r.pk for r in page)]
    assert flat == [r.pk for r in uncovered(qs)]  # the unpaged order (the export) is the same
    assert len(flat) == len(set(flat))


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "filters"), CASES)
@pytest.mark.parametrize("cap", [1, 5, 1000])
def test_the_capped_count_of_two_streams_is_the_count_of_one(world, mixed, role, filters, cap):
    qs = ledger(world, role, filters)
    assert paging.capped_count(qs, cap) == paging.capped_count(uncovered(qs), cap)


@pytest.mark.django_db
def test_the_liaison_reads_its_owned_and_co_unit_items_once_each_but_not_the_recused_one(world, mixed):
    qs = ledger(world, "liaison", {})
    seen = [r.pk for page in walk(qs, 4)[0] for r in page]
    ua = world.ua.pk
    visible = {
        s.pk
        for s in mixed
        if (s.work_item.owner_unit_id == ua or s.work_item.units.filter(pk=ua).exists())
        and not Recusal.objects.filter(work_item_id=s.pk).exists()
    }
    assert set(seen) == visible and len(seen) == len(visible)


@pytest.mark.django_db
def test_a_cursor_from_one_stream_continues_after_items_change(world, mixed):
    qs = ledger(world, "liaison", {})
    first = ORDER.page(qs, None, 5)
    WorkItem.objects.filter(pk=first.rows[0].pk).update(state="closed", closed_at=MONDAY)
    assert shape([ORDER.page(qs, first.next_cursor, 5)]) == shape(
        [ORDER.page(uncovered(qs), first.next_cursor, 5)]
    )


@pytest.mark.django_db
def test_a_covered_page_reads_a_few_queries_and_counts_in_one_per_stream(world, mixed):
    qs = ledger(world, "city_supervisor", {"unit": "ua"})
    with CaptureQueriesContext(connection) as ctx:
        ORDER.page(qs, None, 2)  # rows with a deadline enough: the segment without one is not read
    # The owned stream in one query; the co-unit stream's keys from the co-unit table, then its rows by id.
    assert len(ctx.captured_queries) <= 3
    with CaptureQueriesContext(connection) as count:
        paging.capped_count(qs, 1000)
    assert len(count.captured_queries) == 2
    assert all(
        "OFFSET" not in q["sql"].upper() and "DISTINCT" not in q["sql"].upper()
        for q in ctx.captured_queries + count.captured_queries
    )


@pytest.mark.django_db
def test_a_regional_ledger_without_a_unit_filter_stays_one_stream(world, mixed):
    assert paging._cover(selectors.ledger(world.city_supervisor)) is None


def test_a_cover_needs_two_conditions_and_an_order_python_sorts_as_the_database(world):
    from django.db.models import Q

    from xiaoneng.supervision.models import SupervisedItem

    qs = SupervisedItem.objects.all()
    with pytest.raises(ValueError):
        paging.covered_by(qs, Q(pk=1))
    by_title = paging.Keyset("work_item__title", "pk")
    with pytest.raises(ValueError):
        by_title.page(paging.covered_by(qs, Q(pk=1), Q(pk=2)), None, 5)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "filters"), CASES[:4])
def test_the_streams_page_alike_in_either_order(world, mixed, chunk, role, filters):
    """The keyed co-unit stream first and the owned one second (then the plain stream is the bounded one)."""
    qs = ledger(world, role, filters)
    owned, co_unit = paging._cover(qs)
    reversed_cover = paging.covered_by(uncovered(qs), co_unit, owned)
    for size in (1, 4, 50):
        assert shape(walk(reversed_cover, size)[0]) == shape(walk(uncovered(qs), size)[0])
        assert shape(walk(reversed_cover, size)[1]) == shape(walk(uncovered(qs), size)[1])
