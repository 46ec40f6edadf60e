"""No list grows an N+1: every list page and API list makes the same number of queries for 3 rows as for 12."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_user
from xiaoneng.core import clock_service, notify, workitem
from xiaoneng.org.models import Person, Unit, UnitType

LISTS = {
    "supervisor": [
        "/",
        "/items/",
        "/org/units/",
        "/org/people/",
        "/inbox/",
        "/api/units/",
        "/api/people/",
        "/api/work-items/",
        "/api/regions/",
        "/api/notifications/",
    ],
    "secadmin": ["/", "/admin/accounts/", "/api/users/"],
    "auditor": ["/", "/audit/", "/api/audit-events/"],
    "sysadmin": ["/", "/calendar/"],
}


def grow(world, n):
    sup = world.users["supervisor"]
    for i in range(n):
        u = Unit.objects.create(
            code=f"990102-T{n}-{i}", name=f"测试单位{i}", type=UnitType.GOVERNMENT, region=world.a
        )
        Person.objects.create(name=f"人员{i}", unit=u, phone="13800000000", id_number="11010519491231002X")
        make_user(f"u{n}_{i}", "liaison", u)
        workitem.create(kind="test_task", actor=sup, title=f"事项{i}", owner_unit=u)
        notify.notify(sup, f"k{n}-{i}", f"消息{i}")


def count(client, url):
    clock_service.invalidate()  # the calendar cache would otherwise make the first request differ
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(LISTS))
def test_lists_make_a_constant_number_of_queries(world, task_kind, role):
    client = world.client(role)
    grow(world, 3)
    small = {url: count(client, url) for url in LISTS[role]}
    grow(world, 9)
    large = {url: count(client, url) for url in LISTS[role]}
    assert large == small
