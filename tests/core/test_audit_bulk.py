"""The bulk paths batch writers use: audit rows appended many at once (`audit.record_many`) stay one verifiable
chain with the rows `record` appends, and `core.bulk` never writes an encrypted field's plaintext."""

import pytest
from django.db import connection

from xiaoneng.core import audit, bulk
from xiaoneng.core.audit import GENESIS, AuditEventType
from xiaoneng.core.models import AuditChainHead, AuditEvent
from xiaoneng.org.models import Person

pytestmark = pytest.mark.django_db


def _batch(n, start=0):
    return [
        {"event_type": AuditEventType.LOGIN, "actor_name": f"user{i}", "data": {"i": i}, "ip": "anon-x"}
        for i in range(start, start + n)
    ]


def test_a_batch_is_linked_in_order_and_verifies_with_single_rows_around_it():
    first = audit.record(AuditEventType.LOGIN, actor_name="before")
    rows = audit.record_many(_batch(5))
    last = audit.record(AuditEventType.LOGOUT, actor_name="after")
    assert rows[0].prev_hash == first.hash and last.prev_hash == rows[-1].hash
    assert (
        [r.pk for r in rows] == sorted(r.pk for r in rows) and rows[0].pk > first.pk and last.pk > rows[-1].pk
    )
    for a, b in zip(rows, rows[1:], strict=False):
        assert b.prev_hash == a.hash
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_id == last.pk and head.last_hash == last.hash
    result = audit.verify()
    assert result.ok and result.checked == 7


def test_a_batch_on_an_empty_trail_starts_the_chain():
    rows = audit.record_many(_batch(3))
    assert rows[0].prev_hash == GENESIS and audit.verify().ok
    assert audit.record_many([]) == []


def test_stored_rows_hash_the_same_as_written():
    audit.record_many(
        [{"event_type": AuditEventType.WORKITEM_CREATED, "object_type": "core.workitem", "object_id": 7}]
        + _batch(2)
    )
    stored = list(AuditEvent.objects.order_by("id"))
    assert stored[0].object_id == "7" and stored[1].data == {"i": 0} and stored[1].ip == "anon-x"
    assert audit.verify().checked == 3


def test_a_changed_row_in_a_batch_is_found():
    rows = audit.record_many(_batch(3))
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("UPDATE core_auditevent SET actor_name = %s WHERE id = %s", ["mallory", rows[1].pk])
    result = audit.verify()
    assert not result.ok and result.broken_id == rows[1].pk


def test_bulk_writes_encrypt_encrypted_fields(world):
    people = [Person(name="批量写入", unit=world.ua, phone="13912340000", id_number="110101199003074477")]
    bulk.insert(Person, people)
    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number FROM org_person WHERE id = %s", [people[0].pk])
        phone, id_number = cur.fetchone()
    assert phone.startswith("sm4gcm:") and "13912340000" not in phone and id_number.startswith("sm4gcm:")
    assert Person.objects.get(pk=people[0].pk).phone == "13912340000"
    people[0].phone = "13912340001"
    bulk.update(Person, people, ["phone"])
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM org_person WHERE id = %s", [people[0].pk])
        (phone,) = cur.fetchone()
    assert phone.startswith("sm4gcm:") and Person.objects.get(pk=people[0].pk).phone == "13912340001"
