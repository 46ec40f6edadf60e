"""The public intake queue (complaints/intake.py): a submission is checked and acknowledged with one row, and the
registration worker turns rows into complaints in batches — the same complaints `services.submit` makes, never two
for one row, nothing acknowledged lost, the identity encrypted while it waits and gone from the row afterwards."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import at
from xiaoneng.complaints import intake, services
from xiaoneng.complaints.models import Attachment, Complaint, IntakeRequest, IntakeStatus
from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent, Recusal, TimelineEvent, WorkItem
from xiaoneng.core.workflow import TransitionRefused

from .test_open311 import BASE, body
from .test_portal import post_complaint

NAME, PHONE, EMAIL = "赵排队", "13766667777", "zhao.queue@example.cn"
IP, DEVICE = "198.51.100.23", "QueuePhone/1.0"
PSEUDONYM = "anon-0123456789abcdef"


def submission(world, category, **kw):
    data = dict(
        channel="web",
        category=category,
        subject_unit=world.ua,
        subject_person_text="3号窗口",
        content="  窗口人员上班时间玩手机，让我等了两个小时。 ",
        name=f" {NAME} ",
        phone=PHONE,
        email=EMAIL,
        ip=IP,
        device=DEVICE,
        consent_publish=True,
        location=" 东湖区政务服务中心 ",
    )
    data.update(kw)
    return data


def queue(world, category, key="portal:k1", **kw) -> intake.Receipt:
    return intake.accept(idempotency_key=key, **submission(world, category, **kw))


# --- acknowledging ------------------------------------------------------------------------------------------------


def test_a_submission_is_one_row_and_nothing_else(world, office, category):
    audit_rows = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        receipt = queue(world, category)
    row = receipt.row
    assert receipt.created and len(receipt.code) == services.QUERY_CODE_LENGTH
    assert re.fullmatch(r"TS\d{14}", row.tracking_no) and row.status == IntakeStatus.PENDING
    assert services.query_code_hash(row.tracking_no, receipt.code) == row.query_code_hash
    assert row.office == office and row.channel == "web"
    # No complaint, no work item, no audit row, no clock: the worker's job.
    assert not Complaint.objects.exists() and not WorkItem.objects.exists()
    assert AuditEvent.objects.count() == audit_rows
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    assert "core_auditchainhead" not in sql and "core_workitem" not in sql and "core_calendar" not in sql
    inserts = [q for q in ctx.captured_queries if q["sql"].lower().startswith("insert")]
    # The unit's office, the row (SQLite first reads whether the key exists; PostgreSQL skips it ON CONFLICT),
    # savepoints: the test runs inside a transaction.
    assert len(inserts) == 1 and len(ctx.captured_queries) <= 7, [q["sql"] for q in ctx.captured_queries]


def test_the_identity_waits_encrypted(world, office, category):
    row = queue(world, category).row
    with connection.cursor() as cur:
        cur.execute("select identity from complaints_intakerequest where id = %s", [row.pk])
        (stored,) = cur.fetchone()
    assert stored.startswith("sm4gcm:")
    for clear in (NAME, PHONE, EMAIL, IP, DEVICE):
        assert clear not in stored
    assert json.loads(IntakeRequest.objects.get(pk=row.pk).identity)["phone"] == PHONE


def test_the_same_key_is_acknowledged_once(world, office, category):
    first = queue(world, category, key="portal:same")
    again = queue(world, category, key="portal:same", content="改了几个字也还是同一次提交。")
    assert again.row.pk == first.row.pk and not again.created and again.code is None
    assert IntakeRequest.objects.count() == 1


@pytest.mark.parametrize(
    "change,code",
    [
        ({"content": "   "}, "content_required"),
        ({"phone": "12ab"}, "bad_phone"),
        ({"phone": "", "email": ""}, "contact_required"),
        ({"channel": "pigeon"}, "bad_channel"),
    ],
)
def test_the_queue_refuses_what_submit_refuses_with_the_same_words(world, office, category, change, code):
    with pytest.raises(TransitionRefused) as queued:
        queue(world, category, **change)
    with pytest.raises(TransitionRefused) as direct:
        services.submit(idempotency_key="direct", **submission(world, category, **change))
    assert queued.value.code == direct.value.code == code
    assert queued.value.message == direct.value.message and "(" in queued.value.message  # Chinese (English)
    assert not IntakeRequest.objects.exists() and not Complaint.objects.exists()


def test_an_inactive_category_and_a_unit_no_office_receives_are_refused(world, category):
    with pytest.raises(TransitionRefused) as e:
        queue(world, category)  # no efficiency office in the world yet
    assert e.value.code == "no_receiving_office"
    category.active = False
    category.save()
    with pytest.raises(TransitionRefused) as e:
        queue(world, category)
    assert e.value.code == "bad_category"
    assert not IntakeRequest.objects.exists()


def test_queued_and_direct_tracking_numbers_never_meet(world, office, category):
    direct, _code, _new = services.submit(**submission(world, category))
    queued = queue(world, category).row
    assert int(direct.tracking_no[-6:]) < services.SERIAL_SPLIT <= int(queued.tracking_no[-6:])


# --- registering --------------------------------------------------------------------------------------------------


def _fields(obj, skip=()):
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in skip and not f.primary_key
    }


def test_registration_makes_exactly_what_submit_makes(world, office, category):
    """Field by field: the complaint, its work item, timeline, 回避 and audit row from the queue equal those
    services.submit makes of the same input at the same moment (ids and the per-complaint numbers aside)."""
    token = audit.current_ip.set(
        PSEUDONYM
    )  # the request's address, as the middleware records it for the public
    try:
        with time_machine.travel(at("2026-03-06 16:30"), tick=False):  # Friday afternoon: the clock matters
            direct, _code, _new = services.submit(
                idempotency_key="portal:direct", **submission(world, category)
            )
            receipt = queue(world, category, key="portal:queued")
            assert intake.register_pending() == {"registered": 1, "failed": 0}
    finally:
        audit.current_ip.reset(token)
    queued = Complaint.objects.get(tracking_no=receipt.row.tracking_no)
    direct = Complaint.objects.get(pk=direct.pk)
    per_complaint = {"work_item_id", "tracking_no", "query_code_hash", "idempotency_key"}
    assert _fields(queued, per_complaint) == _fields(direct, per_complaint)
    assert queued.identity_name == NAME and queued.identity_ip == IP and queued.identity_device == DEVICE
    assert services.find_by_tracking(queued.tracking_no, receipt.code).pk == queued.pk

    qi, di = queued.work_item, direct.work_item
    assert _fields(qi) == _fields(di) and qi.deadline is not None  # deadline, stage, next check: one clock

    def timeline(item):
        return [_fields(e, {"item_id"}) for e in TimelineEvent.objects.filter(item=item).order_by("id")]

    assert timeline(qi) == timeline(di) and len(timeline(qi)) == 1

    def recusals(item):
        return sorted((r.unit_id, r.person_id) for r in Recusal.objects.filter(work_item=item))

    assert recusals(qi) == recusals(di) == [(world.ua.pk, None)]

    def audit_row(item):
        e = AuditEvent.objects.get(object_type="core.workitem", object_id=str(item.pk))
        return _fields(e, {"object_id", "prev_hash", "hash"})

    assert audit_row(qi) == audit_row(di)
    assert audit_row(qi)["ip"] == PSEUDONYM and audit_row(qi)["event_type"] == AuditEventType.WORKITEM_CREATED
    assert audit.verify().ok


def test_a_registered_row_keeps_only_the_link(world, office, category):
    row = queue(world, category).row
    intake.register_pending()
    row.refresh_from_db()
    c = Complaint.objects.get(tracking_no=row.tracking_no)
    assert row.status == IntakeStatus.REGISTERED and row.complaint_id == c.pk and row.registered_at
    assert row.identity == "" and row.content == "" and row.attachments == []
    assert c.content == "窗口人员上班时间玩手机，让我等了两个小时。" and c.identity_phone == PHONE


def test_registration_runs_in_batches_with_a_constant_number_of_statements(world, office, category):
    def cost(n: int, first: int) -> tuple[int, int]:
        for i in range(n):
            queue(world, category, key=f"portal:b{first + i}")
        with CaptureQueriesContext(connection) as ctx:
            result = intake.register_pending(batch=100)
        statements = [
            q["sql"]
            for q in ctx.captured_queries
            # savepoints, and the calendar's version check that the clock makes every few seconds
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE")) and "core_calendarversion" not in q["sql"]
        ]
        return result["registered"], len(statements)

    cost(1, 1000)  # the first run reads the calendar and starts the audit chain
    # (15: SQLite takes at most 999 parameters a statement, so Django splits larger inserts; PostgreSQL's are one
    # statement whatever the batch, core/bulk.py.)
    few, many = cost(3, 0), cost(15, 100)
    assert few[0] == 3 and many[0] == 15
    assert many[1] == few[1] <= 12, (few, many)  # per batch, not per complaint
    assert Complaint.objects.count() == 19 == AuditEvent.objects.filter(event_type=500).count()
    assert audit.verify().ok


def test_running_again_registers_nothing_twice(world, office, category):
    for i in range(3):
        queue(world, category, key=f"portal:again{i}")
    assert intake.register_pending(batch=2) == {"registered": 3, "failed": 0}
    assert intake.register_pending() == {"registered": 0, "failed": 0}
    assert intake.register_pending(retry_failed=True) == {"registered": 0, "failed": 0}
    assert Complaint.objects.count() == 3 == WorkItem.objects.count()


def test_a_crash_mid_batch_leaves_the_rows_waiting_and_the_rerun_registers_them_once(
    world, office, category, monkeypatch
):
    for i in range(4):
        queue(world, category, key=f"portal:crash{i}")
    from xiaoneng.core import bulk

    real_insert = bulk.insert

    def crash(model, rows, **kw):
        if model is Recusal:  # after the work items, their events and the complaints were written
            raise SystemExit("worker killed")
        return real_insert(model, rows, **kw)

    monkeypatch.setattr(bulk, "insert", crash)
    with pytest.raises(SystemExit):
        intake.register_pending()
    assert not Complaint.objects.exists() and not WorkItem.objects.exists()
    assert IntakeRequest.objects.filter(status=IntakeStatus.PENDING).count() == 4
    monkeypatch.setattr(bulk, "insert", real_insert)
    assert intake.register_pending() == {"registered": 4, "failed": 0}
    assert Complaint.objects.count() == 4 and audit.verify().ok


def test_a_row_whose_complaint_exists_is_linked_not_doubled(world, office, category):
    earlier, _code, _new = services.submit(idempotency_key="portal:twice", **submission(world, category))
    row = queue(world, category, key="portal:twice").row
    assert intake.register_pending() == {"registered": 1, "failed": 0}
    row.refresh_from_db()
    assert row.complaint_id == earlier.pk and Complaint.objects.count() == 1


def test_a_row_that_fails_is_kept_with_the_kind_of_error_and_the_others_go_through(
    world, office, category, monkeypatch, caplog
):
    rows = [queue(world, category, key=f"portal:f{i}").row for i in range(3)]
    real = services.register_queued

    def picky(batch, **kw):
        if any(r.pk == rows[1].pk for r in batch):
            raise ValueError(f"cannot take {NAME} {PHONE}")  # an error that happens to quote the data
        return real(batch, **kw)

    monkeypatch.setattr(services, "register_queued", picky)
    caplog.set_level(logging.DEBUG)
    assert intake.register_pending() == {"registered": 2, "failed": 1}
    bad = IntakeRequest.objects.get(pk=rows[1].pk)
    assert bad.status == IntakeStatus.FAILED and bad.attempts == 1 and bad.failure == "ValueError"
    assert json.loads(bad.identity)["name"] == NAME  # kept, to be registered once the fault is fixed
    for record in caplog.records:
        assert NAME not in record.getMessage() and PHONE not in record.getMessage()
    # The kick after a submission leaves failed rows alone; the scheduled run retries them, up to a limit.
    assert intake.register_pending() == {"registered": 0, "failed": 0}
    for attempt in range(2, intake.MAX_ATTEMPTS + 1):
        assert intake.register_pending(retry_failed=True) == {"registered": 0, "failed": 1}
        assert IntakeRequest.objects.get(pk=bad.pk).attempts == attempt
    assert intake.register_pending(retry_failed=True) == {"registered": 0, "failed": 0}
    monkeypatch.setattr(services, "register_queued", real)
    IntakeRequest.objects.filter(pk=bad.pk).update(attempts=0)  # an operator, after the fix
    assert intake.register_pending(retry_failed=True) == {"registered": 1, "failed": 0}
    assert Complaint.objects.count() == 3 and intake.counts()["failed"] == 0


def test_the_registration_is_enqueued_on_commit(world, office, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue(world, category)
    assert len(callbacks) == 1  # the test settings' immediate backend ran it then
    assert Complaint.objects.count() == 1


def test_one_deferred_task_per_process_while_it_waits(world, office, category, monkeypatch):
    from xiaoneng.complaints import tasks

    enqueued = []

    class Deferring:
        supports_defer = True

    class Task:
        def get_backend(self):
            return Deferring()

        def using(self, **kw):
            enqueued.append(kw["run_after"])
            return self

        def enqueue(self):
            return None

    monkeypatch.setattr(tasks, "register_intake", Task())
    monkeypatch.setattr(intake, "_kick_due", 0.0)
    monkeypatch.setattr(intake, "_kick_defers", None)
    for _i in range(5):
        intake.kick()
    assert len(enqueued) == 1  # the other four commits are seen by that task
    monkeypatch.setattr(intake, "_kick_due", 0.0)  # that task is due (or ran): the next commit enqueues again
    intake.kick()
    assert len(enqueued) == 2


def test_a_queue_that_is_down_never_fails_the_submission(world, office, category, monkeypatch, caplog):
    from xiaoneng.complaints import tasks

    class Down:
        def get_backend(self):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "register_intake", Down())
    monkeypatch.setattr(intake, "_kick_defers", None)
    intake.kick()  # logged; the scheduler's run registers the row
    assert "not enqueued" in caplog.text


def test_the_scheduler_runs_the_catch_up(settings):
    path, every = settings.SCHEDULE["complaints_intake"]
    assert path == "xiaoneng.complaints.tasks.register_intake_catch_up" and every <= 60


# --- what the public sees meanwhile ---------------------------------------------------------------------------------


def test_the_portal_confirms_at_once_and_tracking_says_being_registered(world, office, category, client):
    resp, _data = post_complaint(client, world, category)
    html = client.get(resp["Location"]).content.decode()
    tracking = re.search(r'data-testid="tracking-no">([A-Z0-9]+)<', html)[1]
    code = re.search(r'data-testid="query-code">([A-Z0-9]+)<', html)[1]
    assert not Complaint.objects.exists()
    page = client.post("/portal/track/", {"tracking_no": tracking, "code": code})
    text = page.content.decode()
    assert (
        page.status_code == 200 and "已收到，正在登记" in text and "投诉已提交" in text and tracking in text
    )
    wrong = client.post("/portal/track/", {"tracking_no": tracking, "code": "WRONG123"})
    assert wrong.status_code == 400
    rate = client.post("/portal/track/rate/", {"tracking_no": tracking, "code": code, "rating": "satisfied"})
    assert rate.status_code == 409
    intake.register_pending()
    text = client.post("/portal/track/", {"tracking_no": tracking, "code": code}).content.decode()
    assert "已收到，待受理" in text


def test_tracking_a_queued_complaint_in_english(world, office, category, client, settings):
    receipt = queue(world, category)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = client.post("/portal/track/", {"tracking_no": receipt.row.tracking_no, "code": receipt.code})
    assert "being registered" in text.content.decode()


def test_portal_attachments_wait_with_the_row_and_join_the_complaint(world, office, category, client, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_portal_attachments import jpeg_with_exif

    photo = SimpleUploadedFile("王举报.jpg", jpeg_with_exif(), content_type="image/jpeg")
    resp, _data = post_complaint(client, world, category, attachments=[photo])
    assert resp.status_code == 302
    row = IntakeRequest.objects.get()
    assert len(row.attachments) == 1 and row.attachments[0]["name"] == "attachment-1.jpg"
    intake.register_pending()
    att = Attachment.objects.get()
    assert att.complaint.tracking_no == row.tracking_no and not att.for_unit
    assert att.file.read()[:2] == b"\xff\xd8"


def test_open311_answers_a_token_and_the_id_once_registered(world, office, category, client):
    from xiaoneng.complaints.management.commands.open311_apikey import issue_key

    key = issue_key("queue-client")
    resp = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": "delay",
            "attribute[unit]": world.ua.code,
            "description": "窗口让我改天再来。",
            "token": "q-1",
        },
    )
    assert body(resp) == [
        {"token": "q-1", "service_notice": body(resp)[0]["service_notice"], "account_id": None}
    ]
    assert body(client.get(f"{BASE}/tokens/q-1.json")) == [{"token": "q-1"}]
    root = body(client.get(f"{BASE}/tokens/q-1.xml"))
    assert (
        root.find("request").findtext("token") == "q-1"
        and root.find("request").find("service_request_id") is None
    )
    intake.register_pending()
    tid = Complaint.objects.get().tracking_no
    assert body(client.get(f"{BASE}/tokens/q-1.json")) == [{"service_request_id": tid, "token": "q-1"}]
    assert client.get(f"{BASE}/requests/{tid}.json", HTTP_X_API_KEY=key).status_code == 200


def test_the_operators_command_shows_numbers_only_and_registers(world, office, category):
    import io

    from django.core.management import call_command

    queue(world, category)
    out = io.StringIO()
    call_command("intake_queue", stdout=out)
    assert out.getvalue().strip() == "pending 1 registered 0 failed 0"
    out = io.StringIO()
    call_command("intake_queue", "--register", stdout=out)
    assert "registered 1, failed 0" in out.getvalue() and "pending 0 registered 1" in out.getvalue()
    assert NAME not in out.getvalue() and Complaint.objects.count() == 1


def test_reference_data_is_remembered_and_follows_what_is_saved(
    world, office, category, django_assert_num_queries
):
    assert intake.category("delay") == category and intake.unit(world.ua.code) == world.ua
    with django_assert_num_queries(0):
        assert intake.category("delay") == category and intake.unit(world.ua.code) == world.ua
    category.active = False
    category.save()  # this process forgets at once; others within intake.REFERENCE_SECONDS
    assert intake.category("delay") is None
    assert intake.unit("NO-SUCH") is None and ("unit", "NO-SUCH") not in intake._reference  # not remembered
    office.handles_complaints = False
    office.save()
    assert intake.receiving_office(world.ua) == world.uc


@pytest.mark.redis
def test_rate_limits_on_redis_count_in_one_round_trip_and_expire(settings, monkeypatch):
    """On the real Redis: each hit is one pipelined round trip (INCR + EXPIRE), the third hit in a window of two
    is refused, and the counter expires with its window."""
    import os

    import redis
    from django.core.cache.backends.redis import RedisCache

    from xiaoneng.complaints import ratelimit

    url = os.environ.get("XIAONENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    cache = RedisCache(url, {"KEY_PREFIX": "xn-test-rl"})
    executed = []
    real_pipeline = redis.client.Pipeline.execute

    def counting(self, *args, **kwargs):
        executed.append([c[0][0] for c in self.command_stack])
        return real_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting)
    monkeypatch.setattr(ratelimit, "caches", {"default": cache})
    settings.XIAONENG_RATE_LIMITS = {"open311_post": (2, 60)}
    who = f"client:{os.getpid()}:{time.time_ns()}"
    assert ratelimit.hit("open311_post", who) is None
    assert ratelimit.hit("open311_post", who) is None
    assert ratelimit.hit("open311_post", who) > 0
    assert executed == [["INCRBY", "EXPIRE"]] * 3
    assert ratelimit.blocked("open311_post", who) > 0  # read back through Django's cache (failure-only limits)
    assert ratelimit.blocked("open311_post", who + ":other") is None
    raw = redis.Redis.from_url(url)
    keys = raw.keys("xn-test-rl:*")
    assert keys and all(0 < raw.ttl(k) <= 65 for k in keys)
    raw.delete(*keys)
