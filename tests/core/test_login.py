"""Login: lockout after repeated failures, one answer for unknown users and wrong passwords, audit rows,
session timeouts, forced password change on first login outside demo mode."""

import time

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent

WRONG = "用户名或密码错误"


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


@pytest.mark.django_db
def test_right_password_logs_in_and_is_audited(world, client):
    resp = login(client, "a_liaison", PASSWORD)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGIN, actor_name="a_liaison").exists()


@pytest.mark.django_db
def test_unknown_user_and_wrong_password_get_the_same_answer(world, client):
    a = login(client, "a_liaison", "wrong-password")
    b = login(client, "nobody-here", "wrong-password")
    assert a.status_code == b.status_code == 200
    assert WRONG in a.content.decode() and WRONG in b.content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOGIN_FAILED).count() == 2


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_for_the_right_password(world, client):
    for _ in range(5):
        login(client, "a_liaison", "wrong-password")
    resp = login(client, "a_liaison", PASSWORD)
    assert resp.status_code == 429
    assert "锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event_type=AuditEventType.LOCKED_OUT).exists()


@pytest.mark.django_db
def test_an_unknown_user_is_locked_the_same_way(world, client):
    for _ in range(5):
        login(client, "nobody-here", "wrong-password")
    assert login(client, "nobody-here", "x").status_code == 429


@pytest.mark.django_db
def test_idle_session_expires(world, client, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    login(client, "a_liaison", PASSWORD)
    assert client.get("/").status_code == 200
    session = client.session
    session["xn_seen_at"] = time.time() - 120
    session.save()
    resp = client.get("/")
    assert resp.status_code == 302 and "expired=1" in resp["Location"]
    assert client.get("/").status_code == 302  # logged out
    assert AuditEvent.objects.filter(event_type=AuditEventType.SESSION_EXPIRED).exists()


@pytest.mark.django_db
def test_absolute_session_timeout(world, client, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 3600
    login(client, "a_liaison", PASSWORD)
    session = client.session
    session["xn_login_at"] = time.time() - 7200
    session.save()
    assert client.get("/").status_code == 302


@pytest.mark.django_db
@override_settings(DEMO_MODE=False)
def test_seeded_account_must_change_password_first(world, client):
    user = world.users["liaison"]
    user.must_change_password = True
    user.save()
    login(client, "a_liaison", PASSWORD)
    assert client.get("/")["Location"] == "/password/change/"
    assert client.get("/api/units/").status_code == 403
    weak = client.post(
        "/password/change/", {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"}
    )
    assert weak.status_code == 200  # refused, stays on the form
    resp = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "Qingjiang#2027x", "new_password2": "Qingjiang#2027x"},
    )
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    assert AuditEvent.objects.filter(event_type=AuditEventType.PASSWORD_CHANGED).exists()


@pytest.mark.django_db
@override_settings(DEMO_MODE=True)
def test_demo_mode_keeps_printed_passwords(world, client):
    world.users["liaison"].must_change_password = True
    world.users["liaison"].save()
    login(client, "a_liaison", PASSWORD)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_password_policy_wants_three_character_classes(world):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("alllowercaseletters", world.users["liaison"])
    validate_password("Qingjiang#2027x", world.users["liaison"])
