"""Shared test world, told as a story: the city 青江市 (C) with two counties, 东湖区 (A) and 西山区 (B).

- Unit `ua` (东湖区住建局) and `ua2` (东湖区市场监管局) in A, `ub` (西山区住建局) in B, `uc` (市效能办) in the city.
- One account per role in `ua` (county A level) — `users["liaison"]` …, plus `city_supervisor` in `uc`.
- Everything owned by `ub` is out of scope for A's accounts; the scope matrix checks every endpoint against it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from xiaoneng.core import clock_service, crypto
from xiaoneng.org.models import Person, Region, RegionLevel, Unit, UnitType, User
from xiaoneng.org.roles import Role

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Test-Passw0rd!"


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) instant from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    crypto.reset_provider_cache()
    # The calendar cache re-reads the database every few seconds; a test's rolled-back calendar must not leak
    # into the next test within those seconds.
    clock_service.invalidate()
    # The public intake's reference data (categories, units, offices) is remembered a few seconds per process.
    from xiaoneng.complaints import intake

    intake.reset_reference()
    yield


@dataclass
class World:
    city: Region
    a: Region
    b: Region
    ua: Unit
    ua2: Unit
    ub: Unit
    uc: Unit
    pa: Person
    pb: Person
    users: dict[str, User] = field(default_factory=dict)
    city_supervisor: User | None = None

    def client(self, role: str | None) -> Client:
        c = Client()
        if role is not None:
            c.force_login(self.users[role] if role in self.users else getattr(self, role))
        return c


def make_user(username: str, role: str, unit: Unit, person: Person | None = None) -> User:
    person = person or Person.objects.create(name=f"{username}本人", unit=unit, position="干部")
    u = User(username=username, role=role, unit=unit, person=person, first_name=person.name)
    u.set_password(PASSWORD)
    u.save()
    return u


@pytest.fixture
def world(db) -> World:
    city = Region.objects.create(code="990100", name="青江市", level=RegionLevel.CITY)
    a = Region.objects.create(code="990102", name="东湖区", level=RegionLevel.COUNTY, parent=city)
    b = Region.objects.create(code="990103", name="西山区", level=RegionLevel.COUNTY, parent=city)
    ua = Unit.objects.create(code="990102-ZJJ", name="东湖区住建局", type=UnitType.GOVERNMENT, region=a)
    ua2 = Unit.objects.create(code="990102-SCJ", name="东湖区市场监管局", type=UnitType.GOVERNMENT, region=a)
    ub = Unit.objects.create(code="990103-ZJJ", name="西山区住建局", type=UnitType.GOVERNMENT, region=b)
    uc = Unit.objects.create(code="990100-XNB", name="青江市效能办", type=UnitType.GOVERNMENT, region=city)
    pa = Person.objects.create(
        name="张东湖", unit=ua, position="科长", phone="13812345678", id_number="11010519491231002X"
    )
    pb = Person.objects.create(
        name="李西山", unit=ub, position="科长", phone="13987654321", id_number="110101199003074477"
    )
    w = World(city, a, b, ua, ua2, ub, uc, pa, pb)
    for role in Role.values:
        w.users[role] = make_user(f"a_{role}", role, ua)
    w.city_supervisor = make_user("c_supervisor", Role.SUPERVISOR, uc)
    return w


def pytest_collection_modifyitems(config, items):
    if os.environ.get("XIAONENG_TEST_DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="PostgreSQL only")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def task_kind():
    from xiaoneng.core import workitem

    from .core.kinds import TASK

    workitem.register(TASK)
    yield TASK
    workitem.unregister(TASK.code)
