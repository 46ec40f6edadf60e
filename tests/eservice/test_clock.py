"""The case clock per batch (clocking.py, through the clock's bulk path) gives the same deadline, warning and red
boundaries as the scalar clock's `stage_at` on random cases with random pauses."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from xiaoneng import clock
from xiaoneng.core import clock_service
from xiaoneng.eservice import clocking

SH = ZoneInfo("Asia/Shanghai")


def random_case(rng: random.Random) -> SimpleNamespace:
    start = datetime(2025, 1, 1, tzinfo=SH) + timedelta(minutes=rng.randrange(0, 600 * 24 * 60))
    unit = rng.choice(["wd", "wd", "wd", "d", "wh", "h"])
    amount = rng.choice([0, 1, 2, 5, 10, 20, 45]) if unit in ("wd", "d") else rng.choice([1, 4, 8, 24, 72])
    pauses = []
    t = start
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        a = t + timedelta(hours=rng.randrange(1, 120))
        b = a + timedelta(hours=rng.randrange(0, 200))
        pauses.append([int(a.timestamp()), int(b.timestamp()), "supplement"])
        t = b
    return SimpleNamespace(
        accepted_at=start.replace(second=0), limit=f"{amount}{unit}", pauses=pauses, region_path=""
    )


@pytest.mark.django_db
def test_bulk_boundaries_match_the_scalar_clock():
    rng = random.Random(11)
    cases = [random_case(rng) for _ in range(400)]
    clocking.set_boundaries(cases)
    cal = clock_service.calendar("")
    checked = 0
    for c in cases:
        limit = clock.Limit.parse(c.limit)
        pauses = [(clocking.instant(a), clocking.instant(b)) for a, b, _k in c.pauses]
        policy = clock.StagePolicy(warning=f"1{limit.unit.value}", red="3wd")
        known = max([c.accepted_at] + [b for _a, b in pauses]) + timedelta(seconds=1)  # every pause known
        info = clock.stage_at(cal, c.accepted_at, limit, known, policy, pauses=pauses)
        assert c.deadline == info.deadline, c
        assert c.provisional == info.deadline_provisional, c
        if limit.unit.is_days:
            assert c.red_at == info.red_at, c
        last_day_paused = any(b > info.deadline - timedelta(days=1) for _a, b in pauses)
        if limit.amount > 1 and not (limit.unit.value == "d" and last_day_paused):
            assert c.warning_at == info.warning_at, c
            checked += 1
        if limit.amount >= 1 and limit.unit.value != "d":
            early = clock.deadline(cal, c.accepted_at, f"{limit.amount - 1}{limit.unit.value}", pauses=pauses)
            assert c.early_at == early.at, c
    assert checked > 200


@pytest.mark.django_db
def test_a_calendar_change_moves_open_cases(world, matters, source, feed, django_capture_on_commit_callbacks):
    from tests.conftest import at
    from xiaoneng.eservice import ingest
    from xiaoneng.eservice.models import Case

    ingest.ingest(
        source,
        [feed.app("C1", "DH-XK-001", "2026-03-02 09:00"), feed.ev("C1", "acceptance", "2026-03-02 10:00")],
        now=at("2026-03-02 12:00"),
    )
    assert Case.objects.get().deadline == at("2026-03-10 00:00")
    view = clock_service.year_view(2026)
    with django_capture_on_commit_callbacks(execute=True):
        clock_service.save_year(
            actor=world.users["sysadmin"],
            year=2026,
            holidays=[*view["holidays"], "2026-03-04"],  # a day off decided afterwards
            workdays=view["workdays"],
        )
    case = Case.objects.get()
    assert case.deadline == at("2026-03-11 00:00") and case.next_check_at is not None
