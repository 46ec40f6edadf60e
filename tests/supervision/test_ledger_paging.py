"""The ledger a page at a time by key (core/paging.py): every item exactly once and in order — items without a
deadline last, ties on the deadline broken by id — whatever the filters and the caller's scope; a tampered
cursor is refused clearly (the API) or sends the user back to the first page (the page)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at
from xiaoneng.core import paging
from xiaoneng.core.models import WorkItem
from xiaoneng.supervision import selectors, services, views

ORDER = selectors.LEDGER_ORDER
MONDAY = at("2026-03-02 00:00")


def issue(world, title, *, unit=None, co_units=(), deadline="keep", source="meeting"):
    sup = services.issue(
        actor=world.city_supervisor,
        title=title,
        source=source,
        lead_unit=unit or world.ua,
        co_units=list(co_units),
        limit="10wd",
    )
    if deadline != "keep":
        WorkItem.objects.filter(pk=sup.pk).update(deadline=deadline)
    return sup


@pytest.fixture
def items(world):
    """13 items of 东湖区住建局 (ua): deadlines on 5 days with ties, 4 without a deadline; ids interleave the
    deadlines so the order is neither the id order nor the creation order."""
    days = [3, 1, None, 3, 2, 1, None, 5, 3, None, 2, None, 4]
    return [
        issue(world, f"事项{i:02d}", deadline=None if d is None else MONDAY + timedelta(days=d))
        for i, d in enumerate(days)
    ]


def expected(rows) -> list[int]:
    """The ledger's order, worked out in Python: deadline (none last), then id."""
    wi = {w.pk: w.deadline for w in WorkItem.objects.filter(pk__in=[r.pk for r in rows])}
    return sorted(wi, key=lambda pk: (wi[pk] is None, wi[pk] or MONDAY, pk))


def walk(qs, size):
    """Every page from the first by `next`, then back from the last by `previous`: (pages forward, backward)."""
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


def pks(pages) -> list[list[int]]:
    return [[r.pk for r in p] for p in pages]


# -- the order and the walk ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 13, 50])
def test_paging_forward_and_back_returns_every_item_once_in_order(world, items, size):
    qs = selectors.ledger(world.users["supervisor"])
    forward, backward = walk(qs, size)
    flat = [pk for page in pks(forward) for pk in page]
    assert flat == expected(items)
    assert pks(backward) == pks(forward)[::-1]  # previous pages are exactly the pages seen going forward
    assert [p.start_index for p in forward] == list(range(1, len(items) + 1, size))
    assert not forward[0].has_previous and not forward[-1].has_next


@pytest.mark.django_db
def test_items_without_a_deadline_come_last_on_every_database(world, items):
    rows = list(selectors.ledger(world.users["supervisor"]))
    deadlines = [r.work_item.deadline for r in rows]
    assert deadlines[-4:] == [None] * 4 and None not in deadlines[:-4]
    assert [r.pk for r in rows] == expected(items)  # the unpaged order (exports) is the paged one


@pytest.mark.django_db
def test_a_page_costs_the_same_queries_wherever_it_starts(world, items):
    qs = selectors.ledger(world.users["supervisor"])
    first = ORDER.page(qs, None, 2)
    with CaptureQueriesContext(connection) as ctx:
        ORDER.page(qs, first.next_cursor, 2)
    assert len(ctx.captured_queries) == 1  # a page inside the dated items: one query, no COUNT
    sql = ctx.captured_queries[0]["sql"].upper()
    assert "OFFSET" not in sql and "DISTINCT" not in sql


def close(*pks):
    WorkItem.objects.filter(pk__in=pks).update(state="closed", closed_at=MONDAY)


@pytest.mark.django_db
def test_an_item_closed_or_added_between_pages_does_not_shift_the_next_page(world, items):
    qs = selectors.ledger(world.users["supervisor"], state="open")
    order = expected(items)
    first = ORDER.page(qs, None, 4)
    close(order[0])  # a row already seen leaves the open ledger
    issue(world, "新事项", deadline=MONDAY)  # and an earlier one arrives
    second = ORDER.page(qs, first.next_cursor, 4)
    assert [r.pk for r in second] == order[4:8]


@pytest.mark.django_db
def test_a_page_emptied_since_its_link_was_made_still_leads_back(world, items):
    qs = selectors.ledger(world.users["supervisor"], state="open")
    order = expected(items)
    last_link = ORDER.page(qs, None, 11).next_cursor
    close(*order[11:])  # the last page's items are closed before it is opened
    emptied = ORDER.page(qs, last_link, 11)
    assert emptied.rows == [] and not emptied.has_next and emptied.has_previous
    back = ORDER.page(qs, emptied.previous_cursor, 11)
    assert [r.pk for r in back] == order[:10] and not back.has_previous
    assert [r.pk for r in ORDER.page(qs, back.next_cursor, 11)] == [order[10]]


# -- filters and scope --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_unit_filter_lists_lead_and_co_unit_items_once_each(world, items):
    both = issue(world, "两家协办", co_units=[world.ua2, world.uc], deadline=MONDAY)  # lead ua, co ua2 + uc
    co = issue(world, "协办一家", unit=world.ua2, co_units=[world.ua], deadline=MONDAY)
    elsewhere = issue(world, "别家的事", unit=world.ua2, deadline=MONDAY)
    qs = selectors.ledger(world.users["supervisor"], unit=str(world.ua.pk))
    assert "DISTINCT" not in str(qs.query).upper()
    forward, _ = walk(qs, 4)
    flat = [pk for page in pks(forward) for pk in page]
    assert sorted(flat) == sorted([s.pk for s in items] + [both.pk, co.pk])
    assert flat == expected(items + [both, co]) and elsewhere.pk not in flat
    assert paging.capped_count(qs) == (len(items) + 2, False)


@pytest.mark.django_db
def test_filters_combine_with_paging(world, items):
    other = [
        issue(world, f"例会{i}", source="instruction", deadline=MONDAY + timedelta(days=i)) for i in range(5)
    ]
    qs = selectors.ledger(world.users["supervisor"], source="instruction", q="例会")
    forward, _ = walk(qs, 2)
    assert [pk for page in pks(forward) for pk in page] == [s.pk for s in other]


@pytest.mark.django_db
def test_a_liaison_pages_only_through_its_own_units_items(world, items):
    outside = [issue(world, f"西山区的督办事项{i}", unit=world.ub, deadline=MONDAY) for i in range(3)]
    shared = issue(world, "西山区牵头、东湖协办", unit=world.ub, co_units=[world.ua], deadline=MONDAY)
    other_unit = issue(world, "东湖区市场监管局的事", unit=world.ua2, deadline=MONDAY)
    qs = selectors.ledger(world.users["liaison"])
    forward, _ = walk(qs, 3)
    seen = [pk for page in pks(forward) for pk in page]
    assert seen == expected(items + [shared])
    assert not {s.pk for s in outside + [other_unit]} & set(seen)
    # A cursor made on a wider ledger (the city supervisor's) still reads only the liaison's scope.
    wide = ORDER.page(selectors.ledger(world.city_supervisor), None, 1)
    assert not {r.pk for r in ORDER.page(qs, wide.next_cursor, 50)} & {s.pk for s in outside}


# -- cursors ------------------------------------------------------------------------------------------------


def b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


TAMPERED = [
    "garbage!",
    "eyJk",  # cut short
    b64([1, 2]),
    b64({"d": "x", "o": 0, "k": [None, 1]}),
    b64({"d": "n", "o": -1, "k": [None, 1]}),
    b64({"d": "n", "o": "0", "k": [None, 1]}),
    b64({"d": "n", "o": 0, "k": [None]}),
    b64({"d": "n", "o": 0, "k": ["2026-03-02T00:00:00+08:00", None]}),
    b64({"d": "n", "o": 0, "k": ["not a date", 1]}),
    b64({"d": "n", "o": 0, "k": ["2026-03-02T00:00:00", 1]}),  # no offset: which 00:00?
    b64({"d": "n", "o": 0, "k": ["2026-03-02T00:00:00+08:00", "one"]}),
    b64({"d": "n", "o": 0, "k": ["2026-03-02T00:00:00+08:00", True]}),
    b64({"d": "n", "o": 0, "k": [{"$gt": ""}, 1]}),
    "A" * 600,
]


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", TAMPERED)
def test_a_tampered_cursor_is_refused(world, items, cursor):
    with pytest.raises(paging.InvalidCursor):
        ORDER.page(selectors.ledger(world.users["supervisor"]), cursor, 5)


@pytest.mark.django_db
def test_the_api_answers_a_tampered_cursor_with_400_in_both_languages(world, items):
    resp = world.client("supervisor").get("/api/supervision/items/", {"cursor": TAMPERED[3]})
    assert resp.status_code == 400
    assert resp.json() == {
        "detail": "翻页位置无效，请从第一页开始 (invalid page cursor; start from the first page)",
        "code": "invalid_cursor",
    }


@pytest.mark.django_db
def test_the_page_sends_a_tampered_cursor_back_to_the_first_page_keeping_the_filters(world, items):
    c = world.client("supervisor")
    resp = c.get("/supervision/", {"source": "meeting", "cursor": "garbage!"})
    assert resp.status_code == 302 and resp["Location"] == "/supervision/?source=meeting"
    page = c.get(resp["Location"]).content.decode()
    assert "翻页位置无效" in page and "事项" in page


# -- the page and the API -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_links_next_and_previous_keeping_the_filters(world, items, monkeypatch):
    monkeypatch.setattr(views, "LEDGER_PAGE", 5)
    c = world.client("supervisor")
    first = c.get("/supervision/", {"source": "meeting", "state": "open", "page": "3"})
    body = first.content.decode()
    assert first.status_code == 200 and "共 13 项" in body and 'data-testid="previous-page"' not in body
    cursor = first.context["page"].next_cursor
    assert f'href="?source=meeting&amp;state=open&amp;cursor={cursor}"' in body  # no stale page=
    second = c.get("/supervision/", {"source": "meeting", "state": "open", "cursor": cursor})
    order = expected(items)
    assert [r.pk for r in second.context["page"]] == order[5:10]
    assert ">6–10<" in second.content.decode() and 'data-testid="previous-page"' in second.content.decode()


@pytest.mark.django_db
def test_the_page_caps_its_count(world, items, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    body = world.client("supervisor").get("/supervision/").content.decode()
    assert "共 10+ 项" in body


@pytest.mark.django_db
def test_the_api_pages_by_cursor(world, items):
    c = world.client("supervisor")
    resp = c.get("/api/supervision/items/", {"page_size": 5, "source": "meeting"})
    body = resp.json()
    assert set(body) == {"count", "count_capped", "next", "previous", "results"}
    assert body["count"] == 13 and body["count_capped"] is False and body["previous"] is None
    seen, pages = [r["id"] for r in body["results"]], 1
    while body["next"]:
        assert "source=meeting" in body["next"] and "page_size=5" in body["next"]
        body = c.get(body["next"]).json()
        seen += [r["id"] for r in body["results"]]
        pages += 1
    assert seen == expected(items) and pages == 3
    back = c.get(body["previous"]).json()
    assert [r["id"] for r in back["results"]] == expected(items)[5:10]


@pytest.mark.django_db
@pytest.mark.parametrize(("asked", "got"), [("0", 50), ("x", 50), ("500", 200), ("2", 2)])
def test_the_api_page_size_falls_back_or_is_capped(world, asked, got):
    for i in range(3):
        issue(world, f"事项{i}")
    body = world.client("supervisor").get("/api/supervision/items/", {"page_size": asked}).json()
    assert len(body["results"]) == min(got, 3) and (body["next"] is not None) == (got < 3)


def test_a_keyset_needs_a_tie_breaker_after_a_nullable_field():
    with pytest.raises(ValueError):
        paging.Keyset("work_item__deadline", nullable_first=True)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/supervision/", "/api/supervision/items/"])
def test_a_ledger_page_makes_as_many_queries_for_3_items_as_for_12(world, url):
    from xiaoneng.core import clock_service

    def queries():
        clock_service.invalidate()
        with CaptureQueriesContext(connection) as ctx:
            assert world.client("supervisor").get(url).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        issue(world, f"少{i}", co_units=[world.ua2])
    few = queries()
    for i in range(9):
        issue(world, f"多{i}", co_units=[world.ua2], deadline=None if i % 3 == 0 else MONDAY)
    assert queries() == few
