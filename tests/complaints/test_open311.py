"""Open311 GeoReport v2 conformance, from the spec (wiki.open311.org/GeoReport_v2): every endpoint in .json and
.xml, the errors' shape, the filters and the 90-day window, keys issued, hashed and revoked — and that GET never
tells who complained."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from xiaoneng.complaints import intake, services
from xiaoneng.complaints.management.commands.open311_apikey import issue_key
from xiaoneng.complaints.models import Complaint, IntakeRequest, Open311Client
from xiaoneng.core import workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent

BASE = "/open311/v2"
MARK, PHONE, EMAIL = "赵投诉", "13911112222", "zhao.canary@example.cn"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(db):
    return issue_key("12345-platform")


def post(client, key, world, fmt="json", **kw):
    data = {
        "api_key": key,
        "service_code": "delay",
        "attribute[unit]": world.ua.code,
        "attribute[person]": "2号窗口",
        "description": "办理营业执照跑了三次还没办好。",
        "first_name": "投诉",
        "last_name": "赵",
        "phone": PHONE,
        "email": EMAIL,
        "device_id": "device-canary-1",
        "address_string": "东湖区政务服务中心",
        "lat": "30.1",
        "long": "120.2",
    }
    data.update(kw)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data)


def body(resp):
    if resp["Content-Type"].startswith("application/json"):
        return json.loads(resp.content)
    return ET.fromstring(resp.content)


def registered(client, resp) -> str:
    """The service_request_id of a POST answered with a token (the spec's answer for a request not created
    yet): the registration worker runs — production enqueues it after the commit; a test's transaction never
    commits — and GET tokens/{token} gives the id."""
    token = body(resp)[0]["token"]
    intake.register_pending()
    return body(client.get(f"{BASE}/tokens/{token}.json"))[0]["service_request_id"]


# --- services -------------------------------------------------------------------------------------------------


def test_services_list_our_active_categories_in_json_and_xml(world, category, client):
    rows = body(client.get(f"{BASE}/services.json"))
    codes = [r["service_code"] for r in rows]
    assert "delay" in codes
    row = rows[codes.index("delay")]
    assert set(row) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert row["service_name"] == category.name and row["metadata"] is True and row["type"] == "realtime"
    resp = client.get(f"{BASE}/services.xml")
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = body(resp)
    assert root.tag == "services" and "delay" in [s.findtext("service_code") for s in root.findall("service")]


def test_inactive_categories_are_not_services(world, category, client):
    category.active = False
    category.save()
    assert "delay" not in [r["service_code"] for r in body(client.get(f"{BASE}/services.json"))]
    assert client.get(f"{BASE}/services/delay.json").status_code == 404


def test_service_definition_declares_the_unit_attribute(world, category, client):
    data = body(client.get(f"{BASE}/services/delay.json"))
    assert data["service_code"] == "delay"
    unit = next(a for a in data["attributes"] if a["code"] == "unit")
    assert unit["required"] is True and unit["variable"] is True and unit["datatype"] == "string"
    root = body(client.get(f"{BASE}/services/delay.xml"))
    assert root.tag == "service_definition"
    attrs = root.find("attributes").findall("attribute")
    assert "unit" in [a.findtext("code") for a in attrs]
    anon = next(a for a in attrs if a.findtext("code") == "anonymous")
    assert [v.findtext("key") for v in anon.find("values").findall("value")] == ["true", "false"]


def test_unknown_service_is_a_404_in_the_spec_shape(world, client):
    resp = client.get(f"{BASE}/services/nope.json")
    assert resp.status_code == 404
    err = body(resp)
    assert isinstance(err, list) and err[0]["code"] == 404 and "service_code" in err[0]["description"]
    root = body(client.get(f"{BASE}/services/nope.xml"))
    assert root.tag == "errors" and root.find("error").findtext("code") == "404"


# --- jurisdiction ---------------------------------------------------------------------------------------------


def test_jurisdiction_is_optional_ours_is_accepted_others_are_not_found(world, category, client):
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": world.city.code}).status_code == 200
    resp = client.get(f"{BASE}/services.json", {"jurisdiction_id": "110000"})
    assert resp.status_code == 404 and body(resp)[0]["code"] == 404


# --- POST requests --------------------------------------------------------------------------------------------


def test_post_creates_a_complaint_through_the_shared_intake(world, office, category, client, key):
    resp = post(client, key, world)
    assert resp.status_code == 200, resp.content
    row = body(resp)[0]
    # The spec answers a POST with a service_request_id or, where the request is created later, a token (never
    # both): ours are queued (intake.py), so a token.
    assert set(row) == {"token", "service_notice", "account_id"}
    c = Complaint.objects.get(tracking_no=registered(client, resp))
    assert c.channel == "open311" and c.subject_unit == world.ua and c.category == category
    assert c.identity_name == MARK and c.identity_phone == PHONE and c.identity_email == EMAIL
    assert c.identity_device == "device-canary-1" and c.subject_person_text == "2号窗口"
    assert c.location == "东湖区政务服务中心" and c.open311_client.name == "12345-platform"
    assert c.work_item.owner_unit == office


def test_post_in_xml(world, office, category, client, key):
    root = body(post(client, key, world, fmt="xml", token="xml-1"))
    assert root.tag == "service_requests"
    assert root.find("request").findtext("token") == "xml-1"
    assert root.find("request").find("service_request_id") is None
    intake.register_pending()
    root = body(client.get(f"{BASE}/tokens/xml-1.xml"))
    assert root.find("request").findtext("service_request_id").startswith("TS")


def test_the_same_token_twice_is_one_complaint(world, office, category, client, key):
    first = body(post(client, key, world, token="retry-1"))[0]
    again = body(post(client, key, world, token="retry-1"))[0]
    assert first["token"] == again["token"] == "retry-1" and IntakeRequest.objects.count() == 1
    assert body(client.get(f"{BASE}/tokens/retry-1.json")) == [{"token": "retry-1"}]  # queued: no id yet
    intake.register_pending()
    tid = Complaint.objects.get().tracking_no
    # Once the request exists, a retry is answered with its id.
    assert body(post(client, key, world, token="retry-1"))[0]["service_request_id"] == tid
    assert Complaint.objects.count() == 1
    rows = body(client.get(f"{BASE}/tokens/retry-1.json"))
    assert rows == [{"service_request_id": tid, "token": "retry-1"}]
    root = body(client.get(f"{BASE}/tokens/retry-1.xml"))
    assert root.find("request").findtext("token") == "retry-1"
    assert client.get(f"{BASE}/tokens/unknown.json").status_code == 404


def test_another_client_with_the_same_token_gets_its_own_complaint(world, office, category, client, key):
    other = issue_key("city-app")
    post(client, key, world, token="t1")
    post(client, other, world, token="t1")
    intake.register_pending()
    rows = body(client.get(f"{BASE}/tokens/t1.json"))
    assert len({r["service_request_id"] for r in rows}) == 2 and Complaint.objects.count() == 2


def test_without_a_name_the_complaint_is_anonymous(world, office, category, client, key):
    resp = post(client, key, world, first_name=None, last_name=None, email=None)
    c = Complaint.objects.get(tracking_no=registered(client, resp))
    assert c.anonymous and c.identity_name == "" and c.identity_phone == PHONE


@pytest.mark.parametrize(
    "change,status,words",
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
        ({"service_code": "nope"}, 404, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"attribute[unit]": ""}, 400, "attribute[unit]"),
        ({"attribute[unit]": "NO-SUCH"}, 400, "attribute[unit]"),
        ({"description": ""}, 400, "describe"),
        ({"description": "长" * 4001}, 400, "4,000"),
        ({"phone": "12ab"}, 400, "phone"),
        ({"jurisdiction_id": "110000"}, 404, "jurisdiction_id"),
    ],
)
def test_bad_posts_are_refused_in_the_spec_shape_and_change_nothing(
    world, office, category, client, key, change, status, words
):
    resp = post(client, key, world, **change)
    assert resp.status_code == status
    err = body(resp)
    assert err[0]["code"] == status and words in err[0]["description"]
    assert not Complaint.objects.exists() and not IntakeRequest.objects.exists()


def test_api_key_in_the_address_is_refused(world, office, category, client, key):
    resp = client.post(f"{BASE}/requests.json?api_key={key}", {"service_code": "delay"})
    assert resp.status_code == 400 and "api_key" in body(resp)[0]["description"]


def test_a_revoked_key_answers_403(world, office, category, client, key):
    call_command("open311_apikey", "12345-platform", "--revoke", stdout=io.StringIO())
    resp = post(client, key, world)
    assert resp.status_code == 403 and body(resp)[0]["code"] == 403
    assert not IntakeRequest.objects.exists()
    # Issued again, a new key works and the old one stays dead.
    out = io.StringIO()
    call_command("open311_apikey", "12345-platform", stdout=out)
    new = out.getvalue().strip()
    assert post(client, key, world).status_code == 403
    assert post(client, new, world).status_code == 200


def test_keys_are_stored_hashed_and_their_issue_is_audited(world, key):
    c = Open311Client.objects.get(name="12345-platform")
    assert key not in c.key_hash and len(c.key_hash) == 64
    assert AuditEvent.objects.filter(event_type=AuditEventType.OPEN311_KEY_ISSUED).exists()
    out = io.StringIO()
    call_command("open311_apikey", "--list", stdout=out)
    assert "12345-platform\tactive" in out.getvalue() and key not in out.getvalue()


def test_only_post_writes(world, client):
    assert client.post(f"{BASE}/services.json").status_code == 405
    assert client.put(f"{BASE}/requests.json").status_code == 405


# --- GET requests ---------------------------------------------------------------------------------------------


def _answer(c: Complaint, world, reply="已责成该局整改，增设一个窗口。"):
    sup = world.city_supervisor
    wi = workitem.perform(c.work_item, "accept", sup)
    wi = workitem.perform(wi, "handle_directly", sup)
    wi = workitem.perform(wi, "record_result", sup, data={"text": "属实"})

    def answer(item):
        c.public_reply, c.finding, c.replied_at = reply, "true", timezone.now()
        c.save()

    workitem.perform(wi, "review_pass", sup, data={"public_reply": reply, "finding": "true"}, effect=answer)
    return Complaint.objects.get(pk=c.pk)


def test_a_client_reads_its_own_requests_with_the_reply_and_never_the_submitter(
    world, office, category, client, key
):
    tid = registered(client, post(client, key, world))
    c = _answer(Complaint.objects.get(tracking_no=tid), world)
    for url in (f"{BASE}/requests.json", f"{BASE}/requests/{tid}.json", f"{BASE}/requests.xml"):
        resp = client.get(url, HTTP_X_API_KEY=key)
        text = resp.content.decode()
        assert resp.status_code == 200 and tid in text, url
        for canary in (
            MARK,
            "投诉",
            PHONE,
            EMAIL,
            "zhao.canary",
            "device-canary-1",
            "营业执照",
            "政务服务中心",
        ):
            assert canary not in text.replace("效能投诉", ""), (url, canary)
    row = body(client.get(f"{BASE}/requests/{tid}.json", HTTP_X_API_KEY=key))[0]
    assert row["status"] == "closed" and row["status_notes"] == c.public_reply
    assert row["agency_responsible"] == office.name and row["service_code"] == "delay"
    assert row["requested_datetime"].endswith("+08:00")
    for field in (
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ):
        assert field in row


def test_open_requests_show_the_deadline_and_not_accepted_ones_the_reason(
    world, office, category, client, key
):
    tid = registered(client, post(client, key, world))
    row = body(client.get(f"{BASE}/requests/{tid}.json", HTTP_X_API_KEY=key))[0]
    assert row["status"] == "open" and row["expected_datetime"] and row["status_notes"] == ""
    c = Complaint.objects.get(tracking_no=tid)

    def why(item):
        c.not_accepted_reason = "不属于效能投诉范围。"
        c.save()

    workitem.perform(c.work_item, "reject", world.city_supervisor, data={"reason": "x"}, effect=why)
    row = body(client.get(f"{BASE}/requests/{tid}.json", HTTP_X_API_KEY=key))[0]
    assert row["status"] == "closed" and row["status_notes"] == "不属于效能投诉范围。"


def test_without_a_key_only_published_complaints_are_listed(world, office, category, client, key):
    tid = registered(client, post(client, key, world))
    assert body(client.get(f"{BASE}/requests.json")) == []
    assert client.get(f"{BASE}/requests/{tid}.json").status_code == 404
    c = _answer(Complaint.objects.get(tracking_no=tid), world)
    c.consent_publish = c.published = True
    c.save()
    rows = body(client.get(f"{BASE}/requests.json"))
    assert [r["service_request_id"] for r in rows] == [tid]
    assert client.get(f"{BASE}/requests/{tid}.json").status_code == 200


def test_another_clients_requests_stay_hidden(world, office, category, client, key):
    tid = registered(client, post(client, key, world))
    other = issue_key("city-app")
    assert body(client.get(f"{BASE}/requests.json", HTTP_X_API_KEY=other)) == []
    assert client.get(f"{BASE}/requests/{tid}.json", HTTP_X_API_KEY=other).status_code == 404
    assert client.get(f"{BASE}/requests.json", HTTP_X_API_KEY="o311_wrong").status_code == 403


def _submit_at(world, category, client_row, when):
    c, _code, _created = services.submit(
        channel="open311",
        category=category,
        subject_unit=world.ua,
        content="内容内容内容",
        anonymous=True,
        open311_client=client_row,
        submitted_at=when,
    )
    return c


def test_filters_window_and_status(world, office, category, client, key):
    o = Open311Client.objects.get(name="12345-platform")
    now = timezone.now()
    recent = _submit_at(world, category, o, now - timedelta(days=3))
    old = _submit_at(world, category, o, now - timedelta(days=120))
    other_cat = services.submit(
        channel="open311",
        category=category.__class__.objects.get(code="buck_passing"),
        subject_unit=world.ua,
        content="内容内容内容",
        anonymous=True,
        open311_client=o,
    )[0]

    def ids(**params):
        return {
            r["service_request_id"]
            for r in body(client.get(f"{BASE}/requests.json", params, HTTP_X_API_KEY=key))
        }

    # Default: the last 90 days.
    assert ids() == {recent.tracking_no, other_cat.tracking_no}
    start = (now - timedelta(days=130)).isoformat()
    end = (now - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == {old.tracking_no}
    assert ids(start_date=start) == {old.tracking_no}  # start alone: 90 days from it
    assert ids(service_code="delay") == {recent.tracking_no}
    assert ids(service_code="delay,buck_passing") == {recent.tracking_no, other_cat.tracking_no}
    assert ids(status="open") == {recent.tracking_no, other_cat.tracking_no}
    assert ids(status="closed") == set()
    # A list of ids overrides every other parameter (the old one is outside the window).
    assert ids(service_request_id=f"{old.tracking_no},{recent.tracking_no}", status="closed") == {
        old.tracking_no,
        recent.tracking_no,
    }


@pytest.mark.parametrize(
    "params,words",
    [
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-02T00:00:00+08:00"}, "90"),
        ({"start_date": "2026-01-01"}, "ISO 8601"),
        ({"end_date": "yesterday"}, "ISO 8601"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "end_date"),
        ({"status": "pending"}, "status"),
    ],
)
def test_bad_filters_are_400(world, client, params, words):
    resp = client.get(f"{BASE}/requests.json", params)
    assert resp.status_code == 400 and words in body(resp)[0]["description"]
    root = body(client.get(f"{BASE}/requests.xml", params))
    assert root.tag == "errors" and root.find("error").findtext("code") == "400"


def test_at_most_max_requests(world, office, category, client, key, monkeypatch):
    from xiaoneng.complaints import open311

    monkeypatch.setattr(open311, "MAX_REQUESTS", 2)
    for _i in range(3):
        post(client, key, world)
    intake.register_pending()
    assert len(body(client.get(f"{BASE}/requests.json", HTTP_X_API_KEY=key))) == 2


def test_reads_are_rate_limited_per_address(world, client, settings):
    settings.XIAONENG_RATE_LIMITS = {"open311_get": (2, 60)}
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    resp = client.get(f"{BASE}/services.json")
    assert resp.status_code == 429 and body(resp)[0]["code"] == 429


def test_posts_are_rate_limited_per_client(world, office, category, client, key, settings):
    settings.XIAONENG_RATE_LIMITS = {"open311_post": (1, 60)}
    assert post(client, key, world).status_code == 200
    assert post(client, key, world).status_code == 429
    assert IntakeRequest.objects.count() == 1
