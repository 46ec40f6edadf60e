"""Accounts and roles: 三员分立, the security administrator assigns roles, every change audited."""

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org import services
from xiaoneng.org.models import Person
from xiaoneng.org.roles import Role


@pytest.fixture
def admin_person(world):
    return Person.objects.create(name="王管理", unit=world.uc, position="信息科")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first,second", [("sysadmin", "secadmin"), ("secadmin", "auditor"), ("auditor", "sysadmin")]
)
def test_one_person_never_holds_two_of_the_three_admin_roles(world, admin_person, first, second):
    services.create_account(
        actor=None,
        username="admin1",
        role=first,
        unit=world.uc,
        person=admin_person,
        password="Str0ng-Passw0rd!",
    )
    with pytest.raises(ValidationError, match="三员分立"):
        services.create_account(
            actor=None,
            username="admin2",
            role=second,
            unit=world.uc,
            person=admin_person,
            password="Str0ng-Passw0rd!",
        )


@pytest.mark.django_db
def test_set_role_refuses_a_three_admin_conflict(world, admin_person):
    services.create_account(
        actor=None,
        username="admin1",
        role="auditor",
        unit=world.uc,
        person=admin_person,
        password="Str0ng-Passw0rd!",
    )
    other = services.create_account(
        actor=None,
        username="admin2",
        role="liaison",
        unit=world.uc,
        person=admin_person,
        password="Str0ng-Passw0rd!",
    )
    with pytest.raises(ValidationError, match="三员分立"):
        services.set_role(actor=world.users["secadmin"], user=other, role="sysadmin")
    services.set_role(
        actor=world.users["secadmin"], user=other, role="supervisor"
    )  # not one of the three: fine


@pytest.mark.django_db
def test_only_secadmin_assigns_roles_and_it_is_audited(world):
    target = world.users["liaison"]
    with pytest.raises(PermissionError):
        services.set_role(actor=world.users["sysadmin"], user=target, role="supervisor")
    resp = world.client("secadmin").post(f"/api/users/{target.pk}/set-role/", {"role": "unit_leader"})
    assert resp.status_code == 200 and resp.json()["role"] == "unit_leader"
    event = AuditEvent.objects.get(event_type=AuditEventType.ROLE_CHANGED)
    assert event.data == {"from": "liaison", "to": "unit_leader"} and event.actor_name == "a_secadmin"
    assert (
        world.client("sysadmin").post(f"/api/users/{target.pk}/set-role/", {"role": "leader"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_secadmin_cannot_change_own_role_and_unknown_roles_are_refused(world):
    me = world.users["secadmin"]
    c = world.client("secadmin")
    assert c.post(f"/api/users/{me.pk}/set-role/", {"role": "auditor"}).status_code == 400
    resp = c.post(f"/api/users/{world.users['npc'].pk}/set-role/", {"role": "emperor"})
    assert resp.status_code == 400 and "未知角色" in resp.json()["detail"]


@pytest.mark.django_db
def test_weak_passwords_are_refused_at_account_creation(world):
    with pytest.raises(ValidationError):
        services.create_account(
            actor=None, username="weak", role="liaison", unit=world.ua, password="12345678"
        )


@pytest.mark.django_db
def test_the_three_admins_see_no_case_content(world, task_kind):
    from xiaoneng.core import workitem

    workitem.create(
        kind="test_task", actor=world.users["supervisor"], title="东湖区的事项", owner_unit=world.ua
    )
    for role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):
        assert world.client(role).get("/api/work-items/").json()["count"] == 0
        assert world.client(role).get("/items/").status_code == 403


@pytest.mark.django_db
def test_superuser_check_refuses_production(world, settings):
    from xiaoneng.core.checks import no_active_superuser

    settings.XIAONENG_PRODUCTION = True
    assert no_active_superuser(None) == []
    world.users["sysadmin"].is_superuser = True
    world.users["sysadmin"].save()
    assert [e.id for e in no_active_superuser(None)] == ["xiaoneng.E002"]


def test_development_keys_are_refused_in_production(settings):
    from xiaoneng.core.checks import no_development_keys

    settings.XIAONENG_PRODUCTION = True
    assert [e.id for e in no_development_keys(None)] == ["xiaoneng.E001"]
    settings.XIAONENG_KEY_PROVIDER = {
        "class": "xiaoneng.core.crypto.FileKeyProvider",
        "path": "/etc/xiaoneng/keys.json",
    }
    assert no_development_keys(None) == []
