"""No list of 问责 or 明查暗访 grows an N+1: the same number of queries for 2 cases (or plans) as for 6."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_user
from xiaoneng.accountability import services
from xiaoneng.core import clock_service
from xiaoneng.org.models import Person, Unit, UnitType
from xiaoneng.org.roles import Role

from .conftest import B

LISTS = [
    "/accountability/",
    "/accountability/inspections/",
    "/accountability/statistics/",
    "/api/accountability/cases/",
    "/api/accountability/inspections/",
    "/api/accountability/findings/",
]


def grow(world, staff, n, start):
    for i in range(start, start + n):
        unit = Unit.objects.create(
            code=f"990102-Q{i}", name=f"测试单位{i}", type=UnitType.GOVERNMENT, region=world.a
        )
        person = Person.objects.create(name=f"人员{i}", unit=unit)
        services.open_case(
            actor=staff,
            source="manual",
            summary=f"线索{i}",
            subjects=[
                services.SubjectInput(unit=unit, person=person, behaviour=B("late_early")),
                services.SubjectInput(unit=unit, behaviour=B("weak_leadership")),
            ],
        )
        plan = services.create_plan(
            actor=staff,
            title=f"检查{i}",
            mode="open",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            targets=[unit],
            team=[world.users["discipline"]],
        )
        services.record_finding(
            actor=staff, plan=plan, observed_at=timezone.now(), place="x", unit=unit, description="y"
        )


def count(client, url):
    clock_service.invalidate()
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.DISCIPLINE])
def test_lists_make_a_constant_number_of_queries(world, staff, media, role):
    client = world.client(role)
    grow(world, staff, 2, 0)
    small = {url: count(client, url) for url in LISTS}
    grow(world, staff, 4, 2)
    large = {url: count(client, url) for url in LISTS}
    assert large == small


@pytest.mark.django_db
def test_the_unit_heads_list_is_constant_too(world, staff, media):
    head = make_user("q_head", Role.UNIT_LEADER, world.ua)
    client = world.client(None)
    client.force_login(head)
    for _ in range(2):
        services.open_case(
            actor=staff,
            source="manual",
            summary="x",
            subjects=[services.SubjectInput(unit=world.ua, behaviour=B("absent"))],
        )
    small = count(client, "/accountability/")
    for _ in range(4):
        services.open_case(
            actor=staff,
            source="manual",
            summary="x",
            subjects=[services.SubjectInput(unit=world.ua, behaviour=B("absent"))],
        )
    assert count(client, "/accountability/") == small
