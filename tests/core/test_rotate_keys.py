"""Key rotation: add a key, make it current, run rotate_keys: every value is under the new key and still reads."""

import pytest
from django.core.management import call_command
from django.db import connection

from xiaoneng.core import crypto
from xiaoneng.org.models import Person


@pytest.mark.django_db
def test_rotate_keys_reencrypts_every_value(world, settings, tmp_path):
    old = crypto.get_provider()
    # A key file holding the development key under its id plus a new current key.
    import json
    import os
    import secrets

    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                "current": "k2027",
                "keys": {
                    "k2027": secrets.token_hex(16),
                    old.current_key_id(): old.key(old.current_key_id()).hex(),
                },
                "mac": old._mac_master.hex(),  # the same MAC key: blind indexes stay valid across SM4 key rotation
            }
        )
    )
    os.chmod(path, 0o600)
    settings.XIAONENG_KEY_PROVIDER = {"class": "xiaoneng.core.crypto.FileKeyProvider", "path": str(path)}
    crypto.reset_provider_cache()
    call_command("rotate_keys")
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM org_person WHERE id = %s", [world.pa.pk])
        token = cur.fetchone()[0]
    assert token.startswith("sm4gcm:k2027:")
    assert Person.objects.get(pk=world.pa.pk).phone == "13812345678"
    assert Person.objects.get(phone_index=crypto.blind_index("13812345678")) == world.pa
    call_command("rotate_keys")  # a second run finds nothing to do and changes nothing
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM org_person WHERE id = %s", [world.pa.pk])
        assert cur.fetchone()[0] == token
