"""Background work: the database queue (embedded default) and RQ on Redis (scale) run the same tasks; the
scheduler enqueues periodic jobs; /healthz reports database, queue and scheduler."""

import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from xiaoneng.core import notify, tasks
from xiaoneng.core.models import Delivery, DeliveryStatus, Heartbeat, Notification

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_the_database_queue_runs_the_heartbeat_through_db_worker():
    result = tasks.heartbeat.enqueue()
    assert not Heartbeat.objects.filter(name="worker").exists()
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert Heartbeat.objects.filter(name="worker").exists()
    assert result.backend == "default"


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_the_scheduler_marks_its_heartbeat_and_enqueues_each_job():
    from django_tasks_db.models import DBTaskResult

    call_command("run_scheduler", "--once")
    assert Heartbeat.objects.filter(name="scheduler").exists()
    names = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert {"xiaoneng.core.tasks.heartbeat", "xiaoneng.core.tasks.sweep_deadlines"} <= names


@pytest.mark.django_db(transaction=True)  # the scheduler closes a connection that failed: no test transaction
def test_the_scheduler_survives_a_busy_database_and_beats_again(monkeypatch):
    """A beat that meets "database is locked" (SQLite's writer held by a long job) is reported and retried a
    second later; the scheduler does not exit (make run would stop every part with it)."""
    import io

    from django.db import OperationalError

    from xiaoneng.core.management.commands import run_scheduler

    real = run_scheduler.tick
    calls = {"tick": 0, "sleep": 0}

    def flaky(due, now):
        calls["tick"] += 1
        if calls["tick"] == 1:
            raise OperationalError("database is locked")
        return real(due, now)

    def sleep(_seconds):
        calls["sleep"] += 1
        if calls["sleep"] == 2:
            raise KeyboardInterrupt  # stop after the second beat

    monkeypatch.setattr(run_scheduler, "tick", flaky)
    monkeypatch.setattr(run_scheduler.time, "sleep", sleep)
    err = io.StringIO()
    call_command("run_scheduler", stderr=err, stdout=io.StringIO())
    assert "database is locked" in err.getvalue() and "retrying" in err.getvalue()
    assert calls["tick"] == 2 and Heartbeat.objects.filter(name="scheduler").exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_rq_on_redis_runs_the_same_task():
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    url = os.environ.get("XIAONENG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    queues = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    with override_settings(
        RQ_QUEUES=queues, TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    ):
        django_rq.get_connection("default").flushdb()
        result = tasks.heartbeat.enqueue()
        worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker)
        worker.work(burst=True)
        assert Heartbeat.objects.filter(name="worker").exists()
        result.refresh()
        assert result.status == "SUCCESSFUL" and result.return_value == "ok"


@pytest.mark.django_db
def test_healthz_reports_each_part(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["checks"] == {
        "database": "ok",
        "scheduler": "missing",
        "queue": "missing",
        "task_backend": "database",
    }
    now = timezone.now()
    Heartbeat.objects.create(name="scheduler", beat_at=now)
    Heartbeat.objects.create(name="worker", beat_at=now - timedelta(minutes=10))
    assert client.get("/healthz").json()["checks"]["queue"] == "stale"
    Heartbeat.objects.filter(name="worker").update(beat_at=now)
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_stored_once_and_delivered_by_the_worker(world):
    notify.ConsoleChannel.sent.clear()
    user = world.users["liaison"]
    user.person.phone = "13700001111"
    user.person.save()
    n = notify.notify(user, "item-1-warning", "事项即将到期", "请于明日前办结", channels=("sms", "dingtalk"))
    again = notify.notify(user, "item-1-warning", "事项即将到期", channels=("sms",))
    assert again is None and Notification.objects.filter(recipient=user).count() == 1
    # The immediate backend of the test settings runs the delivery task on commit.
    assert set(Delivery.objects.filter(notification=n).values_list("status", flat=True)) == {
        DeliveryStatus.SENT
    }
    assert sorted(m["to"] for m in notify.ConsoleChannel.sent) == ["13700001111", "a_liaison"]


@pytest.mark.django_db
def test_a_failing_channel_is_retried_then_marked_failed(world, monkeypatch):
    user = world.users["liaison"]
    user.person.phone = "13700001111"
    user.person.save()
    n = notify.notify(user, "k", "标题", channels=())
    d = Delivery.objects.create(notification=n, channel="sms")

    def boom(self, **kwargs):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(notify.ConsoleChannel, "send", boom)
    outcomes = [notify.deliver_now(d.pk) for _ in range(notify.MAX_ATTEMPTS)]
    assert outcomes[:-1] == ["retry"] * (notify.MAX_ATTEMPTS - 1) and outcomes[-1] == "failed"
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and "gateway down" in d.last_error


@pytest.mark.django_db
def test_inbox_is_private_and_marks_read(world):
    n = notify.notify(world.users["liaison"], "k", "给联络员的消息")
    assert "给联络员的消息" in world.client("liaison").get("/inbox/").content.decode()
    assert "给联络员的消息" not in world.client("unit_leader").get("/inbox/").content.decode()
    world.client("liaison").post("/inbox/", {"id": n.pk})
    n.refresh_from_db()
    assert n.read_at is not None
