"""The audit trail: chained, verified, append-only on PostgreSQL, and part of the business write."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from xiaoneng.core import audit
from xiaoneng.core.audit import GENESIS, AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org import services
from xiaoneng.org.models import User
from xiaoneng.org.roles import Role


def _three_events():
    return [audit.record(AuditEventType.LOGIN, actor_name=f"user{i}", data={"i": i}) for i in range(3)]


def _tamper(sql, params):
    """Change a row behind the application's back (as an attacker with database access would)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SET LOCAL session_replication_role = replica"
            )  # superuser only: bypasses the trigger
        cur.execute(sql, params)


@pytest.mark.django_db
def test_each_event_links_to_the_previous_one():
    a, b, c = _three_events()
    assert a.prev_hash == GENESIS
    assert b.prev_hash == a.hash and c.prev_hash == b.hash
    assert audit.verify().ok and audit.verify().checked == 3


@pytest.mark.django_db
def test_a_changed_row_is_found():
    a, b, c = _three_events()
    _tamper("UPDATE core_auditevent SET actor_name = %s WHERE id = %s", ["mallory", b.pk])
    result = audit.verify()
    assert not result.ok and result.broken_id == b.pk and "changed" in result.reason


@pytest.mark.django_db
def test_a_removed_row_is_found():
    a, b, c = _three_events()
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [b.pk])
    result = audit.verify()
    assert not result.ok and result.broken_id == c.pk


@pytest.mark.django_db
def test_removing_the_newest_rows_is_found():
    a, b, c = _three_events()
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [c.pk])
    result = audit.verify()
    assert not result.ok and "newest" in result.reason


@pytest.mark.django_db
def test_audit_verify_command_reports_the_first_broken_link():
    a, b, c = _three_events()
    call_command("audit_verify")  # intact: no error
    _tamper("UPDATE core_auditevent SET data = %s WHERE id = %s", ['{"i": 99}', a.pk])
    with pytest.raises(CommandError, match=f"event id {a.pk}"):
        call_command("audit_verify")


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql", ["UPDATE core_auditevent SET actor_name = 'x'", "DELETE FROM core_auditevent"]
)
def test_postgresql_refuses_update_and_delete(sql):
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_if_the_audit_write_fails_the_business_write_fails(world, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("audit store unavailable")

    monkeypatch.setattr(audit, "_link", broken)
    with pytest.raises(DatabaseError):
        services.create_account(
            actor=world.users["secadmin"],
            username="newbie",
            role=Role.LIAISON,
            unit=world.ua,
            password="Str0ng-Passw0rd!",
        )
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db
def test_only_the_auditor_reads_the_trail_over_the_api(world):
    audit.record(AuditEventType.LOGIN, actor=world.users["liaison"])
    for role in Role.values:
        resp = world.client(role).get("/api/audit-events/")
        count = resp.json()["count"] if resp.status_code == 200 else 0
        assert (count > 0) == (role == Role.AUDITOR), role


@pytest.mark.django_db
def test_auditor_verifies_from_the_page(world):
    _three_events()
    resp = world.client("auditor").post("/audit/")
    assert "审计日志完整" in resp.content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.AUDIT_VERIFIED).exists()


@pytest.mark.django_db
def test_retention_purge_keeps_six_months_and_the_chain_verifiable(settings):
    import time_machine

    from tests.conftest import at

    settings.AUDIT_RETENTION_DAYS = 30  # below the legal minimum: six months are kept anyway
    with time_machine.travel(at("2025-01-10 09:00"), tick=False):
        old = [audit.record(AuditEventType.LOGIN, actor_name="old") for _ in range(3)]
    with time_machine.travel(at("2025-06-01 09:00"), tick=False):
        recent = audit.record(AuditEventType.LOGIN, actor_name="recent")  # under six months on 2025-08-01
    with time_machine.travel(at("2025-08-01 09:00"), tick=False):
        assert audit.purge_expired() == 3
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    result = audit.verify()
    assert result.ok and result.checked == 2  # the recent row and the purge's own record


@pytest.mark.django_db
def test_deleting_the_oldest_rows_outside_the_purge_is_found():
    a, b, c = _three_events()
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [a.pk])
    result = audit.verify()
    assert not result.ok and result.broken_id == b.pk


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_postgresql_refuses_deleting_rows_younger_than_six_months_even_in_purge_mode():
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT set_config('xiaoneng.audit_purge', 'on', true)")
        cur.execute("DELETE FROM core_auditevent")
