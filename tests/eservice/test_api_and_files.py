"""The intake from the outside: the batch API (per-system keys, JSON array, the answer lists every problem),
batch files (.csv in UTF-8 or GB18030, .xlsx), the pages and the commands."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.eservice import sources
from xiaoneng.eservice.models import Case, CaseEvent, DataAnomaly, IngestBatch


@pytest.fixture
def key(world):
    _system, key = sources.issue_key("东湖区审批系统", world.a)
    return key


def post(key, body, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client().post(
        "/api/eservice/events/", json.dumps(body), content_type="application/json", **headers, **extra
    )


@pytest.mark.django_db
def test_the_api_takes_a_batch_and_answers_every_problem(world, matters, key, feed):
    events = [
        feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
        feed.ev("C1", "acceptance", "2026-03-02 10:00"),
        feed.ev("C1", "completion", "2026-03-01 10:00"),  # before its acceptance
    ]
    resp = post(key, events)
    assert resp.status_code == 200
    body = resp.json()
    assert {k: body[k] for k in ("received", "accepted", "replayed", "rejected", "flagged")} == {
        "received": 3,
        "accepted": 2,
        "replayed": 0,
        "rejected": 1,
        "flagged": 0,
    }
    assert body["problems"][0]["event_id"] == events[2]["event_id"]
    assert body["problems"][0]["code"] == "out_of_order"
    again = post(key, {"events": events}).json()  # the wrapped form; a retry
    assert (again["replayed"], again["accepted"], again["rejected"]) == (2, 0, 1)
    assert DataAnomaly.objects.count() == 2  # the retried bad event is recorded again: it was sent again
    assert AuditEvent.objects.filter(event_type=AuditEventType.ESERVICE_EVENTS_INGESTED).count() == 2


@pytest.mark.django_db
def test_the_api_needs_a_live_key_and_never_a_login(world, matters, key, feed):
    events = [feed.app("C1", "DH-XK-001", "2026-03-02 09:00")]
    assert post(None, events).status_code == 401
    assert post("esv_wrong", events).status_code == 401
    c = world.client("supervisor")  # a logged-in person is not an approval system
    assert c.post("/api/eservice/events/", events, content_type="application/json").status_code == 401
    assert post(None, events, HTTP_X_API_KEY=key).status_code == 200
    sources.revoke_key(sources.for_key(key))
    resp = post(key, events)
    assert (
        resp.status_code == 401
        and resp.json()["detail"] == "接口密钥无效或已吊销 (invalid or revoked API key)"
    )
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_api_refuses_what_is_not_a_batch(world, matters, key, feed, settings):
    assert post(key, {"event": 1}).status_code == 400
    settings.ESERVICE = {"max_batch": 2}
    resp = post(key, [feed.app(f"C{i}", "DH-XK-001", "2026-03-02 09:00") for i in range(3)])
    assert resp.status_code == 413 and resp.json()["code"] == "batch_too_large"
    assert not Case.objects.exists() and not IngestBatch.objects.exists()


@pytest.mark.django_db
def test_cases_and_anomalies_are_read_in_scope(world, matters, key, feed):
    post(
        key,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
            feed.app("Q1", "DH-QR-002", "2026-03-02 09:00"),
            feed.ev("Q1", "acceptance", "2026-03-01 09:00"),
        ],
    )
    liaison = world.client("liaison")  # 东湖区住建局: the licence's department, not the instant matter's
    assert [c["case_no"] for c in liaison.get("/api/eservice/cases/").json()["results"]] == ["C1"]
    assert liaison.get("/api/eservice/anomalies/").json()["results"] == []
    supervisor = world.client("supervisor")
    assert sorted(c["case_no"] for c in supervisor.get("/api/eservice/cases/").json()["results"]) == [
        "C1",
        "Q1",
    ]
    anomaly = supervisor.get("/api/eservice/anomalies/").json()["results"][0]
    assert (anomaly["case_no"], anomaly["code"]) == ("Q1", "out_of_order")
    case = Case.objects.get(case_no="C1")
    events = supervisor.get(f"/api/eservice/cases/{case.pk}/events/").json()
    assert [e["type"] for e in events] == ["application"]
    assert world.client("auditor").get("/api/eservice/cases/").json()["results"] == []


def csv_upload(rows, encoding="utf-8-sig", name="events.csv"):
    header = "事件编号,办件编号,事件类型,发生时间,事项编码,窗口编码,收费金额,评价,特别程序\n"
    text = header + "".join(",".join(r) + "\n" for r in rows)
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


ROWS = [
    ("F1", "C1", "申请", "2026-03-02 09:00", "DH-QR-002", "W1", "", "", ""),
    ("F2", "C1", "受理", "2026-03-02 09:05", "", "", "", "", ""),
    ("F3", "C1", "收费", "2026-03-02 09:06", "", "", "50", "", ""),
    ("F4", "C1", "办结", "2026-03-02 09:10", "", "", "", "", ""),
    ("F5", "C1", "好差评", "2026-03-02 09:12", "", "", "", "满意", ""),
    ("F6", "C2", "办结", "2026-03-02 09:10", "", "", "", "", ""),
]


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_csv_file_goes_through_the_same_intake(world, matters, source, encoding):
    from xiaoneng.eservice import event_files

    [out] = event_files.ingest_file(source, csv_upload(ROWS, encoding))
    assert (out.received, out.accepted, out.rejected) == (6, 5, 1)
    assert out.problems[0]["code"] == "unknown_case"
    c = Case.objects.get(case_no="C1")
    assert (c.status, c.rating, c.fee_total, c.onsite) == ("completed", 4, 50, True)
    [again] = event_files.ingest_file(source, csv_upload(list(reversed(ROWS)), encoding))
    assert (again.replayed, again.accepted) == (5, 0)  # the same file again, even reordered, adds nothing
    assert CaseEvent.objects.count() == 5 and IngestBatch.objects.filter(channel="file").count() == 2


@pytest.mark.django_db
def test_an_xlsx_file_and_a_refused_file(world, matters, source):
    from xiaoneng.core.imports import ImportRefused
    from xiaoneng.eservice import event_files

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["event_id", "case_no", "type", "at", "matter"])
    ws.append(["X1", "C1", "application", "2026-03-02T09:00:00+08:00", "DH-XK-001"])
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("e.xlsx", out.getvalue())
    [o] = event_files.ingest_file(source, upload)
    assert o.accepted == 1 and Case.objects.get().case_no == "C1"
    with pytest.raises(ImportRefused):
        event_files.ingest_file(source, SimpleUploadedFile("e.txt", b"hello"))
    with pytest.raises(ImportRefused):
        event_files.ingest_file(source, SimpleUploadedFile("e.csv", b"a,b\n1,2\n"))


@pytest.mark.django_db
def test_the_intake_page_takes_a_file_for_a_system_in_scope(world, matters, source):
    c = world.client("supervisor")
    resp = c.post("/eservice/intake/", {"source": source.pk, "file": csv_upload(ROWS)})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="intake-result"' in html and "F6" in html
    other, _k = sources.issue_key("西边的系统", world.b)
    resp = c.post("/eservice/intake/", {"source": other.pk, "file": csv_upload(ROWS)})
    assert resp.status_code == 400  # county B's system is not county A's to feed
    assert world.client("liaison").get("/eservice/intake/").status_code == 403


@pytest.mark.django_db
def test_pages_list_and_show_cases_in_scope(world, matters, source, feed):
    from xiaoneng.eservice import ingest

    ingest.ingest(
        source,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("C1", "acceptance", "2026-03-02 10:00"),
            feed.ev("C1", "supplement_notice", "2026-03-03 10:00"),
            feed.app("Q1", "DH-QR-002", "2026-03-02 09:00"),
        ],
    )
    s = world.client("supervisor")
    html = s.get("/eservice/cases/").content.decode()
    assert "C1" in html and "Q1" in html
    html = s.get("/eservice/cases/?measure=paused").content.decode()
    assert ">C1<" in html and ">Q1<" not in html
    c1 = Case.objects.get(case_no="C1")
    html = s.get(f"/eservice/cases/{c1.pk}/").content.decode()
    assert 'data-testid="case-pauses"' in html and "补正" in html
    liaison = world.client("liaison")
    assert ">Q1<" not in liaison.get("/eservice/cases/").content.decode()
    q1 = Case.objects.get(case_no="Q1")
    assert liaison.get(f"/eservice/cases/{q1.pk}/").status_code == 404
    assert s.get("/eservice/anomalies/").status_code == 200


@pytest.mark.django_db
def test_the_commands_issue_keys_and_take_files(world, matters, tmp_path, capsys):
    call_command("eservice_apikey", "命令行系统", "--region", world.a.code)
    key = capsys.readouterr().out.strip()
    assert sources.for_key(key).name == "命令行系统"
    path = tmp_path / "events.csv"
    path.write_bytes(csv_upload(ROWS).read())
    call_command("eservice_ingest", str(path), "--source", "命令行系统")
    out = capsys.readouterr().out
    assert "accepted=5" in out and "unknown_case" in out
    call_command("eservice_apikey", "--revoke", "命令行系统")
    assert sources.for_key(key) is None
