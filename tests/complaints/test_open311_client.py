"""Our Open311 endpoint through a GeoReport v2 client someone else wrote (PyPI `georeport`, Apache-2.0), over
HTTP against the live test server: it lists services, reads a service definition, reads requests and one
request. It has no POST (no Python 3 client on PyPI has: `three` and `open311` are Python 2 only), so the
submission goes as the spec's plain form-encoded POST through `requests`, the HTTP library georeport uses."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import cache
from georeport import GeoReport

from xiaoneng.complaints.management.commands.open311_apikey import issue_key
from xiaoneng.complaints.models import Category, Complaint


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def as_list(value):
    """xmltodict gives one repeated element as a dict and several as a list."""
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_third_party_client_lists_posts_and_reads(transactional_db, world, office, live_server, fmt):
    # A transactional test flushes the tables, data migrations included: the category comes back here.
    Category.objects.get_or_create(code="delay", defaults={"name": "办事拖拉"})
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, jurisdiction=world.city.code, output_format=fmt)

    services = client.get_service_list()
    assert "delay" in [s["service_code"] for s in as_list(services)]
    definition = client.get_service_definition("delay")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert "unit" in [a["code"] for a in as_list(attributes)]

    key = issue_key("third-party")
    resp = requests.post(
        f"{root}/requests.{fmt}",
        data={
            "api_key": key,
            "jurisdiction_id": world.city.code,
            "service_code": "delay",
            "attribute[unit]": world.ua.code,
            "description": "窗口工作人员让我改天再来，已经第三次了。",
            "first_name": "Lei",
            "last_name": "Li",
            "email": "li.lei@example.cn",
            "lat": "30.25",
            "long": "120.17",
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    tid = Complaint.objects.get().tracking_no

    # Without a key only the 回音壁 is public; publish it (consent given) and read it back through the client.
    c = Complaint.objects.get(tracking_no=tid)
    assert c.identity_name == "Lei Li" and c.channel == "open311"
    c.consent_publish = c.published = True
    c.save()
    listed = client.get_service_requests(service_code="delay", status="open")
    assert [r["service_request_id"] for r in as_list(listed)] == [tid]
    one = client.get_service_request(tid)
    assert one["service_request_id"] == tid and one["status"] == "open"
    assert "li.lei" not in str(one) and "Lei" not in str(one) and "第三次" not in str(one)
