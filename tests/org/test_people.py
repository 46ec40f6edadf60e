"""Personal data: encrypted at rest, masked everywhere, revealed only with a reason and an audit row."""

import pytest
from django.db import connection

from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org.models import Person


@pytest.mark.django_db
def test_phone_and_id_number_are_sm4_tokens_in_the_database(world):
    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number FROM org_person WHERE id = %s", [world.pa.pk])
        phone, id_number = cur.fetchone()
    assert phone.startswith("sm4gcm:") and "13812345678" not in phone
    assert id_number.startswith("sm4gcm:") and "1949" not in id_number
    assert Person.objects.get(pk=world.pa.pk).phone == "13812345678"


@pytest.mark.django_db
def test_blind_index_finds_a_person_by_phone_without_decrypting(world):
    from xiaoneng.core import crypto

    assert Person.objects.get(phone_index=crypto.blind_index("138 1234 5678")) == world.pa


@pytest.mark.django_db
def test_the_api_and_pages_show_masked_values_only(world):
    c = world.client("supervisor")
    data = c.get(f"/api/people/{world.pa.pk}/").json()
    assert data["phone"] == "138****5678" and data["id_number"] == "110***********002X"
    page = c.get("/org/people/").content.decode()
    assert "138****5678" in page and "13812345678" not in page


@pytest.mark.django_db
def test_reveal_needs_a_reason_and_is_audited(world):
    c = world.client("supervisor")
    assert c.post(f"/api/people/{world.pa.pk}/reveal/", {}).status_code == 400
    resp = c.post(f"/api/people/{world.pa.pk}/reveal/", {"reason": "核实投诉线索"})
    assert resp.json() == {"phone": "13812345678", "id_number": "11010519491231002X"}
    event = AuditEvent.objects.get(event_type=AuditEventType.SENSITIVE_VIEWED)
    assert event.actor_name == "a_supervisor" and event.data["reason"] == "核实投诉线索"
    assert event.object_id == str(world.pa.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["liaison", "unit_leader", "sysadmin", "secadmin", "leader"])
def test_other_roles_cannot_reveal(world, role):
    resp = world.client(role).post(f"/api/people/{world.pa.pk}/reveal/", {"reason": "想看看"})
    assert resp.status_code == 403
    assert not AuditEvent.objects.filter(event_type=AuditEventType.SENSITIVE_VIEWED).exists()


@pytest.mark.django_db
def test_reveal_on_the_page(world):
    c = world.client("discipline")
    resp = c.post(f"/org/people/{world.pa.pk}/reveal/", {"reason": "审查调查"})
    assert "13812345678" in resp.content.decode()
    assert c.post(f"/org/people/{world.pa.pk}/reveal/", {"reason": ""}).status_code == 400
