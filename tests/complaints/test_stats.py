"""效能投诉统计: every table equals a brute-force recount of the complaints in scope; the page and its export."""

import io
from datetime import date

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import at
from xiaoneng.complaints import services, stats
from xiaoneng.complaints.models import Category, Complaint

from .handling import CONTENT, NAME, PHONE, answered, assigned


def _submit(world, category, unit, when, channel="web"):
    with time_machine.travel(at(when), tick=False):
        c, _code, _created = services.submit(
            channel=channel, category=category, subject_unit=unit, content=CONTENT, name=NAME, phone=PHONE
        )
    return c


@pytest.fixture
def cases(world, office, category, staff):
    """A small mix: received, not accepted, assigned, answered (on time / late), closed, rated; two months, two
    channels, two categories, two units (one of them outside county A)."""
    other = Category.objects.exclude(pk=category.pk).first()
    out = []
    out.append(_submit(world, category, world.ua, "2026-03-02 10:00"))  # received
    c = _submit(world, other, world.ua, "2026-03-03 10:00", channel="hotline")
    with time_machine.travel(at("2026-03-03 11:00"), tick=False):
        services.reject(staff, c, reason="不属于效能投诉受理范围")
    out.append(c)
    c = _submit(world, category, world.ua, "2026-03-02 10:00")
    out.append(assigned(c, staff, world.ua))
    c = _submit(world, category, world.ua, "2026-03-02 10:00")
    with time_machine.travel(at("2026-03-04 10:00"), tick=False):
        c = answered(c, world, staff, finding="true")  # within 5 working days
    with time_machine.travel(at("2026-03-05 10:00"), tick=False):
        c = services.rate(staff, c, rating="satisfied")
        c = services.close(staff, c)
    out.append(c)
    c = _submit(world, other, world.ua2, "2026-04-01 09:00", channel="hotline")
    with time_machine.travel(at("2026-04-30 10:00"), tick=False):
        c = assigned(c, staff, world.ua, when="2026-04-01 10:00")
        c = services.submit_reply(world.users["liaison"], c, text="已整改")
    with time_machine.travel(at("2026-04-30 11:00"), tick=False):
        c = services.approve_reply(world.users["unit_leader"], c)
        c = services.review_pass(staff, c, public_reply="您好：经核查不属实。", finding="false")  # late
        c = services.rate(staff, c, rating="dissatisfied")
    out.append(c)
    c = _submit(world, category, world.ub, "2026-04-02 09:00")
    with time_machine.travel(at("2026-04-02 10:00"), tick=False):
        services.accept(staff, c)
    out.append(c)
    return out


def _recount(qs, key):
    groups = {}
    for c in qs:
        k = key(c)
        g = groups.setdefault(k, dict.fromkeys(stats.Row.__dataclass_fields__, 0))
        wi = c.work_item
        g["volume"] += 1
        g["decided"] += wi.state != "received"
        g["accepted"] += wi.state not in ("received", "not_accepted")
        g["replied"] += c.replied_at is not None
        g["on_time"] += c.replied_at is not None and wi.deadline is not None and c.replied_at <= wi.deadline
        g["with_finding"] += bool(c.finding)
        g["true"] += c.finding in ("true", "partly")
        g["rated"] += bool(c.rating)
        g["satisfied"] += c.rating in ("satisfied", "basic")
    return groups


KEYS = {
    "unit": lambda c: c.subject_unit_id,
    "category": lambda c: c.category_id,
    "channel": lambda c: c.channel,
    "month": lambda c: timezone.localtime(c.submitted_at).date().replace(day=1),
}
COUNTS = ("volume", "decided", "accepted", "replied", "on_time", "with_finding", "true", "rated", "satisfied")


@pytest.mark.parametrize("who", ["city_supervisor", "supervisor", "leader", "discipline"])
def test_every_table_equals_a_recount_of_the_complaints_in_scope(world, cases, who):
    user = world.city_supervisor if who == "city_supervisor" else world.users[who]
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    visible = list(Complaint.objects.restrict(user).select_related("work_item"))
    for dim, key in KEYS.items():
        rows = stats.table(user, dim, start, end)
        expected = _recount(visible, key)
        got = {r.key: {f: getattr(r, f) for f in COUNTS} for r in rows[:-1]}
        assert got == {k: {f: v[f] for f in COUNTS} for k, v in expected.items()}, dim
        total = rows[-1]
        assert total.key is None and total.volume == len(visible)


def test_the_rates_and_the_period(world, cases):
    user = world.city_supervisor
    total = stats.table(user, "unit", date(2026, 1, 1), date(2026, 12, 31))[-1]
    assert total.volume == 6
    assert (total.decided, total.accepted) == (5, 4)
    assert (total.replied, total.on_time) == (2, 1)
    assert (total.true_rate, total.satisfaction_rate, total.on_time_rate) == (50.0, 50.0, 50.0)
    assert total.acceptance_rate == 80.0
    march = stats.table(user, "month", date(2026, 3, 1), date(2026, 3, 31))
    assert [r.label for r in march] == ["2026-03", "合计"] and march[-1].volume == 4
    assert stats.table(user, "channel", date(2025, 1, 1), date(2025, 12, 31))[-1].volume == 0


def test_the_page_and_its_export(world, cases):
    client = world.client("city_supervisor")
    page = client.get(reverse("complaint_stats"), {"start": "2026-01-01", "end": "2026-12-31"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "东湖区住建局" in body and "西山区住建局" in body
    for marker in (NAME, PHONE, "王**", "137****1111"):
        assert marker not in body
    ledger = client.get(reverse("complaints"))
    assert reverse("complaint_stats") in ledger.content.decode()
    resp = client.get(
        reverse("complaint_stats"), {"start": "2026-01-01", "end": "2026-12-31", "format": "xlsx"}
    )
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "东湖区住建局" in cells and NAME not in cells and PHONE not in cells


def test_the_default_period_is_this_year(world, cases):
    with time_machine.travel(at("2026-05-10 10:00"), tick=False):
        resp = world.client("city_supervisor").get(reverse("complaint_stats"))
    assert resp.context["start"] == date(2026, 1, 1) and resp.context["end"] == date(2026, 5, 10)


@pytest.mark.parametrize("role", ["liaison", "unit_leader", "npc", "evaluator"])
def test_units_and_others_have_no_statistics_page(world, role):
    assert world.client(role).get(reverse("complaint_stats")).status_code in (302, 403)
    if role in ("liaison", "unit_leader"):
        assert (
            reverse("complaint_stats") not in world.client(role).get(reverse("complaints")).content.decode()
        )
