"""The security administrator's page: create accounts, deactivate, reset passwords, unlock; the bootstrap of
the three administrators on a new production system."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import PASSWORD
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org.models import User


@pytest.mark.django_db
def test_secadmin_creates_an_account_with_a_one_time_password(world, client):
    c = world.client("secadmin")
    resp = c.post(
        "/admin/accounts/",
        {
            "op": "create",
            "username": "new_liaison",
            "display_name": "王新",
            "unit": world.ua.pk,
            "role": "liaison",
        },
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "new_liaison" in page
    user = User.objects.get(username="new_liaison")
    assert user.must_change_password and user.role == "liaison" and user.unit == world.ua
    password = page.split("<code>")[1].split("</code>")[0]
    assert client.post("/login/", {"username": "new_liaison", "password": password}).status_code == 302
    assert client.get("/")["Location"] == "/password/change/"


@pytest.mark.django_db
def test_duplicate_username_and_unknown_role_are_refused(world):
    c = world.client("secadmin")
    resp = c.post(
        "/admin/accounts/",
        {"op": "create", "username": "a_liaison", "unit": world.ua.pk, "role": "liaison"},
        follow=True,
    )
    assert "用户名已存在" in resp.content.decode()
    resp = c.post(
        "/admin/accounts/",
        {"op": "create", "username": "x1", "unit": world.ua.pk, "role": "king"},
        follow=True,
    )
    assert "未知角色" in resp.content.decode() and not User.objects.filter(username="x1").exists()


@pytest.mark.django_db
def test_deactivated_accounts_cannot_log_in_and_reactivation_is_audited(world, client):
    target = world.users["npc"]
    c = world.client("secadmin")
    c.post("/admin/accounts/", {"op": "deactivate", "user": target.pk})
    assert client.post("/login/", {"username": "a_npc", "password": PASSWORD}).status_code == 200
    c.post("/admin/accounts/", {"op": "activate", "user": target.pk})
    assert client.post("/login/", {"username": "a_npc", "password": PASSWORD}).status_code == 302
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {AuditEventType.USER_DEACTIVATED, AuditEventType.USER_ACTIVATED} <= types


@pytest.mark.django_db
def test_unlock_lifts_a_lockout(world, client):
    for _ in range(5):
        client.post("/login/", {"username": "a_leader", "password": "nope"})
    assert client.post("/login/", {"username": "a_leader", "password": PASSWORD}).status_code == 429
    page = world.client("secadmin").get("/admin/accounts/").content.decode()
    assert 'data-testid="locked"' in page
    world.client("secadmin").post("/admin/accounts/", {"op": "unlock", "user": world.users["leader"].pk})
    assert client.post("/login/", {"username": "a_leader", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_reset_password_forces_a_change(world, client):
    resp = world.client("secadmin").post(
        "/admin/accounts/", {"op": "reset", "user": world.users["leader"].pk}
    )
    password = resp.content.decode().split("<code>")[1].split("</code>")[0]
    assert client.post("/login/", {"username": "a_leader", "password": PASSWORD}).status_code == 200
    assert client.post("/login/", {"username": "a_leader", "password": password}).status_code == 302
    assert User.objects.get(username="a_leader").must_change_password


@pytest.mark.django_db
def test_bootstrap_creates_the_three_admins_once(world, capsys):
    User.objects.filter(role__in=["sysadmin", "secadmin", "auditor"]).update(is_active=False)
    call_command("bootstrap_admins", "--unit", world.uc.code)
    out = capsys.readouterr().out
    made = User.objects.filter(username__in=["sysadmin", "secadmin", "auditor"], is_active=True)
    assert made.count() == 3 and len({u.person_id for u in made}) == 3
    assert all(u.must_change_password for u in made) and "secadmin" in out
    with pytest.raises(CommandError, match="已有三员账号"):
        call_command("bootstrap_admins", "--unit", world.uc.code)
