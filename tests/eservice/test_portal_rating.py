"""好差评 on the public portal: an applicant finds their case by its number and the query code on the receipt (or
the mobile number the application gave), sees it, and rates it once on five levels; the rating goes through the
same intake as one from the approval system, so a 差评 becomes the same rectification. Nobody else learns
anything about a case, and the applicant's phone and code are never stored in clear."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from tests.conftest import at
from tests.test_i18n import assert_no_chinese_chrome, data_values, english, page
from xiaoneng.eservice import event_files, ingest, ratings, sweep
from xiaoneng.eservice.models import (
    Case,
    CaseAlert,
    CaseEvent,
    DataAnomaly,
    IngestBatch,
    Matter,
    MonthlyStat,
)

from .test_api_and_files import csv_upload

NOW = at("2026-03-05 12:00")
PHONE = "13812345678"
CODE = "K7Q2-9MX4"
NOT_FOUND = "办件编号与查询码或手机号不匹配"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the rate-limit counters live in the (local-memory) cache
    yield
    cache.clear()


@pytest.fixture
def done(matters, source, feed):
    """A licence applied for at a window with the applicant's phone and query code, completed on 4 March."""
    out = ingest.ingest(
        source,
        [
            feed.app(
                "SP-0001",
                "DH-XK-001",
                "2026-03-02 09:00",
                window="DH-W1",
                applicant_phone=PHONE,
                query_code=CODE,
            ),
            feed.ev("SP-0001", "acceptance", "2026-03-02 09:30"),
            feed.ev("SP-0001", "handling", "2026-03-03 09:30"),
            feed.ev("SP-0001", "review", "2026-03-03 10:30"),
            feed.ev("SP-0001", "decision", "2026-03-03 11:30"),
            feed.ev("SP-0001", "completion", "2026-03-04 10:00"),
        ],
        now=NOW,
    )
    assert out.accepted == 6
    return Case.objects.get(case_no="SP-0001")


def lookup(client, case_no="SP-0001", proof=CODE, **extra):
    return client.post("/portal/service/", {"case_no": case_no, "proof": proof}, **extra)


def rate(client, rating, case_no="SP-0001", proof=CODE):
    return client.post("/portal/service/rate/", {"case_no": case_no, "proof": proof, "rating": rating})


# --- what the intake keeps ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_applicants_phone_and_code_are_kept_only_as_keyed_indexes(world, done):
    assert done.applicant_index and done.query_code_index
    assert done.applicant_index != done.query_code_index
    stored = json.dumps(list(Case.objects.values()), default=str)
    stored += json.dumps(list(CaseEvent.objects.values()), default=str)
    assert PHONE not in stored and CODE not in stored and "9MX4" not in stored
    application = CaseEvent.objects.get(type="application")
    assert set(application.data) == {"matter", "window"}


@pytest.mark.django_db
def test_an_application_with_a_bad_phone_is_refused_and_the_number_is_not_kept(world, matters, source, feed):
    out = ingest.ingest(
        source, [feed.app("SP-9", "DH-XK-001", "2026-03-02 09:00", applicant_phone="1381234")], now=NOW
    )
    assert out.rejected == 1 and out.problems[0]["code"] == "malformed"
    assert "手机号" in out.problems[0]["detail"]
    anomaly = DataAnomaly.objects.get()
    assert "1381234" not in json.dumps(anomaly.payload) and anomaly.payload["applicant_phone"].startswith("*")


@pytest.mark.django_db
def test_a_rejected_applications_query_code_is_not_kept_in_the_anomaly(world, matters, source, feed):
    ingest.ingest(source, [feed.app("SP-9", "NO-SUCH", "2026-03-02 09:00", query_code=CODE)], now=NOW)
    anomaly = DataAnomaly.objects.get()
    assert anomaly.code == "unknown_matter" and anomaly.payload["query_code"] == "****"


@pytest.mark.django_db
def test_a_query_code_too_short_to_protect_the_case_is_refused(world, matters, source, feed):
    out = ingest.ingest(source, [feed.app("SP-9", "DH-XK-001", "2026-03-02 09:00", query_code="12")], now=NOW)
    assert out.rejected == 1 and "查询码" in out.problems[0]["detail"]


@pytest.mark.django_db
def test_the_same_application_with_another_phone_is_not_a_replay(world, matters, source, feed):
    first = feed.app("SP-9", "DH-XK-001", "2026-03-02 09:00", applicant_phone=PHONE)
    ingest.ingest(source, [first], now=NOW)
    assert ingest.ingest(source, [first], now=NOW).replayed == 1
    changed = {**first, "applicant_phone": "13900001111"}
    assert ingest.ingest(source, [changed], now=NOW).problems[0]["code"] == "conflicting_replay"


@pytest.mark.django_db
def test_a_batch_file_carries_the_phone_and_code_columns(world, matters, source):
    rows = [("F1", "C1", "申请", "2026-03-02 09:00", "DH-QR-002", "W1", "", "", "")]
    upload = csv_upload(rows)
    text = upload.read().decode("utf-8-sig").splitlines()
    text[0] += ",申请人手机号,查询码"
    text[1] += f",+86 138-1234-5678,{CODE}"
    upload = type(upload)("events.csv", ("\n".join(text) + "\n").encode(), content_type="text/csv")
    [out] = event_files.ingest_file(source, upload)
    assert out.accepted == 1
    c = Case.objects.get(case_no="C1")
    assert c.applicant_index == ingest.phone_index(PHONE)
    assert c.query_code_index == ingest.query_code_index("C1", CODE)


# --- finding one's case -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_works_on_a_phone(world):
    resp = Client().get("/portal/service/")
    html = resp.content.decode()
    assert resp.status_code == 200 and 'name="viewport"' in html
    assert 'name="case_no"' in html and 'name="proof"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("proof", [CODE, "k7q2 9mx4", PHONE, "+86 138 1234 5678"])
def test_the_applicant_finds_the_case_by_query_code_or_phone(world, done, proof):
    resp = lookup(Client(), proof=proof)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "建筑工程施工许可证核发" in html and "已办结" in html and 'name="rating"' in html
    assert html.count('type="radio"') == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case_no,proof",
    [
        ("SP-0001", "WRONG-CODE"),  # wrong code
        ("SP-0001", "13900001111"),  # someone else's phone
        ("SP-0002", CODE),  # a code proves only its own case
        ("NO-SUCH", CODE),  # an unknown case
        ("SP-0001", "-- --"),  # a proof that normalises to nothing
    ],
)
def test_without_the_proof_nothing_about_the_case_is_shown(
    world, done, matters, source, feed, case_no, proof
):
    ingest.ingest(source, [feed.app("SP-0002", "DH-XK-001", "2026-03-02 10:00")], now=NOW)  # no proof at all
    resp = lookup(Client(), case_no=case_no, proof=proof)
    html = resp.content.decode()
    assert resp.status_code == 400 and NOT_FOUND in html
    assert "建筑工程施工许可证核发" not in html and "东湖区" not in html


@pytest.mark.django_db
def test_a_case_reported_without_proof_cannot_be_found_or_rated(world, matters, source, feed):
    ingest.ingest(source, [feed.app("SP-0003", "DH-XK-001", "2026-03-02 10:00")], now=NOW)
    assert ratings.find_for_applicant("SP-0003", "") is None
    assert ratings.find_for_applicant("SP-0003", "---") is None
    assert rate(Client(), 5, case_no="SP-0003", proof="---").status_code == 400


@pytest.mark.django_db
def test_missing_fields_are_told_at_the_field(world):
    resp = Client().post("/portal/service/", {"case_no": "", "proof": ""})
    assert resp.status_code == 400 and resp.content.decode().count("is-invalid") == 2


# --- rating --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_portal_rating_goes_through_the_intake_like_the_systems(world, done):
    with time_machine.travel(at("2026-03-05 10:00"), tick=False):
        resp = rate(Client(), 4)
    assert resp.status_code == 200 and "感谢您的评价" in resp.content.decode()
    done.refresh_from_db()
    assert (done.rating, done.rated_at) == (4, at("2026-03-05 10:00"))
    event = CaseEvent.objects.get(type="rating")
    assert event.event_id == f"portal-rating-{done.pk}" and event.data == {"rating": 4, "via": "portal"}
    batch = IngestBatch.objects.get(channel="portal")
    assert (batch.events, batch.accepted) == (1, 1)
    m = MonthlyStat.objects.get()
    assert (m.rated, m.satisfied, m.bad) == (1, 1, 0)
    # Staff see where the rating came from on the case page.
    html = world.client("supervisor").get(f"/eservice/cases/{done.pk}/").content.decode()
    assert 'data-testid="via-portal"' in html


@pytest.mark.django_db
def test_a_bad_rating_from_the_portal_becomes_a_rectification(world, done):
    with time_machine.travel(at("2026-03-05 10:00"), tick=False):
        assert rate(Client(), 2).status_code == 200
        sweep.sweep()
    alert = CaseAlert.objects.get(case=done)
    assert (alert.type, alert.work_item.kind, alert.work_item.owner_unit) == (
        "bad_rating",
        "eservice_rectification",
        world.ua,
    )
    assert MonthlyStat.objects.get().bad == 1


@pytest.mark.django_db
def test_a_case_is_rated_once_whichever_side_rates_first(world, done, source, feed):
    client = Client()
    with time_machine.travel(at("2026-03-05 10:00"), tick=False):
        assert rate(client, 5).status_code == 200
        again = rate(client, 1)
    assert again.status_code == 409 and "已评价" in again.content.decode()
    assert "非常满意" in again.content.decode()  # what was given stands
    # The system reporting its own rating afterwards: a duplicate, recorded as an anomaly.
    out = ingest.ingest(
        source, [feed.ev("SP-0001", "rating", "2026-03-05 11:00", rating=3)], now=NOW.replace(day=6)
    )
    assert out.problems[0]["code"] == "duplicate"
    assert Case.objects.get(pk=done.pk).rating == 5


@pytest.mark.django_db
def test_a_case_the_system_rated_shows_its_rating_and_no_form(world, done, source, feed):
    ingest.ingest(source, [feed.ev("SP-0001", "rating", "2026-03-04 11:00", rating=3)], now=NOW)
    html = lookup(Client()).content.decode()
    assert "基本满意" in html and 'name="rating"' not in html


@pytest.mark.django_db
def test_an_open_case_cannot_be_rated_yet(world, matters, source, feed):
    ingest.ingest(
        source,
        [
            feed.app("SP-0004", "DH-XK-001", "2026-03-02 09:00", query_code=CODE),
            feed.ev("SP-0004", "acceptance", "2026-03-02 09:30"),
        ],
        now=NOW,
    )
    html = lookup(Client(), case_no="SP-0004").content.decode()
    assert "办理中" in html and "办结后可以评价" in html and 'name="rating"' not in html
    resp = rate(Client(), 5, case_no="SP-0004")
    assert resp.status_code == 409 and "办结后才能评价" in resp.content.decode()
    assert not CaseEvent.objects.filter(type="rating").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rating", ["", "0", "6", "good"])
def test_a_rating_outside_the_five_levels_is_refused(world, done, rating):
    resp = rate(Client(), rating)
    assert resp.status_code == 400 and 'data-testid="form-error"' in resp.content.decode()
    assert Case.objects.get(pk=done.pk).rating is None


@pytest.mark.django_db
def test_rating_with_a_wrong_proof_rates_nothing(world, done):
    resp = rate(Client(), 1, proof="WRONG-CODE")
    assert resp.status_code == 400 and NOT_FOUND in resp.content.decode()
    assert Case.objects.get(pk=done.pk).rating is None and not IngestBatch.objects.filter(channel="portal")


@pytest.mark.django_db
def test_lookups_and_ratings_are_rate_limited_per_address(world, done, settings):
    settings.XIAONENG_RATE_LIMITS = {"track": (3, 600), "rate": (2, 3600)}
    client = Client()
    for _i in range(3):
        assert lookup(client, proof="WRONG").status_code == 400
    blocked = lookup(client)  # even the right proof, once the address is over its limit
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "建筑工程施工许可证核发" not in blocked.content.decode()
    assert lookup(client, REMOTE_ADDR="198.51.100.9").status_code == 200  # another address is not limited
    for _i in range(2):
        assert rate(client, "", proof="WRONG").status_code == 400
    assert rate(client, 5).status_code == 429
    assert Case.objects.get(pk=done.pk).rating is None


@pytest.mark.django_db
def test_the_portal_index_links_to_the_rating_page(world):
    assert 'href="/portal/service/"' in Client().get("/portal/").content.decode()


@pytest.mark.django_db
def test_the_rating_pages_in_english(world, done, monkeypatch):
    import tests.test_i18n as i18n

    extra = [*Matter.objects.values_list("name", flat=True)]
    monkeypatch.setattr(i18n, "data_values", lambda: data_values() + extra)
    client = english(Client())
    resp = client.get("/portal/service/")
    assert resp.status_code == 200
    assert_no_chinese_chrome(page(resp), "/portal/service/")
    resp = lookup(client)
    assert resp.status_code == 200
    assert_no_chinese_chrome(page(resp), "lookup")
    assert "Very satisfied" in page(resp)
    resp = rate(client, 5)
    assert_no_chinese_chrome(page(resp), "rated")
    resp = lookup(client, proof="WRONG")
    assert "do not match" in page(resp)
    assert_no_chinese_chrome(page(resp), "not found")


@pytest.mark.django_db
def test_guessing_one_cases_proof_from_many_addresses_locks_that_case_number(world, done, settings):
    """Wrong proofs for one case number count across addresses (the per-address limits do not stop a guess
    spread over many): past `case_proof_fail` the number cannot be looked up or rated until the hour ends —
    not even with the right proof, and nothing about the case is shown. Right proofs do not count; other case
    numbers are untouched."""
    settings.XIAONENG_RATE_LIMITS = {"case_proof_fail": (4, 3600)}
    assert lookup(Client(), REMOTE_ADDR="192.0.2.200").status_code == 200  # a right proof: not counted
    for i in range(4):
        assert lookup(Client(), proof=f"GUESS{i}", REMOTE_ADDR=f"203.0.113.{i + 1}").status_code == 400
    for resp in (lookup(Client(), REMOTE_ADDR="192.0.2.201"), rate(Client(), 5)):
        assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
        assert "建筑工程施工许可证核发" not in resp.content.decode()
    assert (
        lookup(Client(), case_no="SP-9999", proof="X1234").status_code == 400
    )  # another number: still answered
    assert Case.objects.get(pk=done.pk).rating is None
