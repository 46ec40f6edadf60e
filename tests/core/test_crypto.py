"""xiaoneng.core.crypto and EncryptedTextField: no database needed.

Runs alone with ``pytest tests/core/test_crypto.py -p no:django`` (minimal settings configured below) and
inside the full pytest-django suite (the project's test settings are used; providers are passed explicitly
or swapped with ``override_settings``).
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from django.apps.registry import Apps  # noqa: E402
from django.core.exceptions import FieldError  # noqa: E402
from django.db import models  # noqa: E402
from django.test import override_settings  # noqa: E402

from xiaoneng.core import crypto  # noqa: E402
from xiaoneng.core.crypto import (  # noqa: E402
    DecryptionError,
    DevKeyProvider,
    EnvKeyProvider,
    FileKeyProvider,
    KeyConfigurationError,
    StaticKeyProvider,
)
from xiaoneng.core.fields import EncryptedTextField  # noqa: E402

CTX = "org.Person.phone"
K0 = "00112233445566778899aabbccddeeff"
K1 = "ffeeddccbbaa99887766554433221100"
MAC = "0f" * 32


def env_provider(keys: str = f"kid1:{K1},kid0:{K0}", mac: str = MAC) -> EnvKeyProvider:
    return EnvKeyProvider(environ={"XIAONENG_KEYS": keys, "XIAONENG_MAC_KEY": mac})


@pytest.fixture
def provider() -> StaticKeyProvider:
    return StaticKeyProvider.generate(("k1", "k0"))


def write_key_file(path: Path, data: dict[str, object], mode: int = 0o600) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    os.chmod(path, mode)
    return path


KEY_FILE_DATA = {"current": "k2026", "keys": {"k2026": K1, "k2025": K0}, "mac": MAC}


# ------------------------------------------------------------------------------------------ known answers


def test_sm3_known_answers() -> None:
    # GB/T 32905-2016 Appendix A, examples 1 and 2.
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert crypto.sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


@pytest.mark.parametrize(
    ("key", "data", "expected"),
    [
        # GM/T 0042-2015 Appendix D.3 (also in OpenSSL's evpmac_sm.txt)
        (
            bytes(range(1, 33)),
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" * 2,
            "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
        ),
        (
            bytes(range(1, 38)),
            b"\xcd" * 50,
            "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
        ),
    ],
)
def test_hmac_sm3_known_answers(key: bytes, data: bytes, expected: str) -> None:
    assert crypto.hmac_sm3_hex(key, data) == expected
    assert crypto.hmac_sm3_verify(key, data, expected.upper())
    assert not crypto.hmac_sm3_verify(key, data + b"x", expected)


def test_sm4_block_known_answer() -> None:
    # GB/T 32907-2016 Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_known_answer() -> None:
    # RFC 8998 Appendix A.1 (SM4-GCM), the construction encrypt() uses.
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    pt = bytes.fromhex("AA" * 8 + "BB" * 8 + "CC" * 8 + "DD" * 8 + "EE" * 8 + "FF" * 8 + "EE" * 8 + "AA" * 8)
    enc = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(pt) + enc.finalize()
    assert ct.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert enc.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


# ------------------------------------------------------------------------------------------ tokens


@pytest.mark.parametrize("text", ["13812345678", "张三丰，杭州市西湖区文三路 88 号", "", "𠀀 emoji 🙂"])
def test_round_trip(provider: StaticKeyProvider, text: str) -> None:
    token = crypto.encrypt(text, context=CTX, provider=provider)
    assert token.startswith("sm4gcm:k1:")
    assert text not in token or text == ""
    assert crypto.decrypt(token, context=CTX, provider=provider) == text
    assert crypto.is_encrypted(token)
    assert crypto.token_key_id(token) == "k1"


def test_token_format_is_the_documented_one(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("手机", context=CTX, provider=provider)
    prefix, kid, payload = token.split(":")
    assert (prefix, kid) == ("sm4gcm", "k1")
    assert "=" not in payload
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    nonce, ct, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(provider.key("k1")), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(b"xiaoneng/sm4gcm/v1\x00k1\x00" + CTX.encode())
    assert (dec.update(ct) + dec.finalize()).decode() == "手机"


def test_fresh_nonce_each_time(provider: StaticKeyProvider) -> None:
    tokens = {crypto.encrypt("13812345678", context=CTX, provider=provider) for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.urlsafe_b64decode(t.split(":")[2] + "==")[:12] for t in tokens}
    assert len(nonces) == 50


def test_tampering_with_any_payload_byte_fails(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("110101199003071234", context=CTX, provider=provider)
    head, payload = token.rsplit(":", 1)
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    for i in range(len(raw)):  # nonce, ciphertext and tag
        for bit in (0x01, 0x80):
            bad = bytearray(raw)
            bad[i] ^= bit
            forged = head + ":" + base64.urlsafe_b64encode(bytes(bad)).rstrip(b"=").decode()
            with pytest.raises(DecryptionError):
                crypto.decrypt(forged, context=CTX, provider=provider)


def test_tampering_with_any_token_character_fails(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("13812345678", context=CTX, provider=provider)
    for i, ch in enumerate(token):
        for replacement in {"A", "b", "-", ":"} - {ch}:
            forged = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(DecryptionError):
                crypto.decrypt(forged, context=CTX, provider=provider)
    for forged in (token[:-1], token + "A", token[:20], "sm4gcm:k1:", "plain text", "sm4gcm:k1:" + "A" * 40):
        with pytest.raises(DecryptionError):
            crypto.decrypt(forged, context=CTX, provider=provider)


def test_wrong_context_fails(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("13812345678", context="org.Person.phone", provider=provider)
    with pytest.raises(DecryptionError, match="another context"):
        crypto.decrypt(token, context="org.Person.id_number", provider=provider)


def test_key_id_is_authenticated() -> None:
    # Same key bytes under two ids: relabelling the token still fails, because the kid is associated data.
    same = StaticKeyProvider("a", {"a": b"k" * 16, "b": b"k" * 16}, b"m" * 32)
    token = crypto.encrypt("x", context=CTX, provider=same)
    with pytest.raises(DecryptionError):
        crypto.decrypt(token.replace("sm4gcm:a:", "sm4gcm:b:"), context=CTX, provider=same)


def test_unknown_key_id_fails(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("x", context=CTX, provider=provider)
    other = StaticKeyProvider.generate(("k9",))
    with pytest.raises(DecryptionError, match="unknown key id 'k1'"):
        crypto.decrypt(token, context=CTX, provider=other)


def test_wrong_key_fails(provider: StaticKeyProvider) -> None:
    token = crypto.encrypt("x", context=CTX, provider=provider)
    same_ids_other_keys = StaticKeyProvider.generate(("k1", "k0"))
    with pytest.raises(DecryptionError):
        crypto.decrypt(token, context=CTX, provider=same_ids_other_keys)


def test_bad_arguments() -> None:
    p = StaticKeyProvider.generate()
    with pytest.raises(ValueError, match="context"):
        crypto.encrypt("x", context="", provider=p)
    with pytest.raises(TypeError):
        crypto.encrypt(b"x", context=CTX, provider=p)  # type: ignore[arg-type]
    assert not crypto.is_encrypted("13812345678")
    assert not crypto.is_encrypted(None)


def test_rotation() -> None:
    old = env_provider(keys=f"kid0:{K0}")
    token0 = crypto.encrypt("张三 13812345678", context=CTX, provider=old)
    assert crypto.token_key_id(token0) == "kid0"
    assert not crypto.needs_rotation(token0, old)

    new = env_provider(keys=f"kid1:{K1},kid0:{K0}")  # kid1 made current, kid0 kept for reading
    assert new.current_key_id() == "kid1"
    assert crypto.decrypt(token0, context=CTX, provider=new) == "张三 13812345678"
    assert crypto.needs_rotation(token0, new)

    token1 = crypto.reencrypt(token0, context=CTX, provider=new)
    assert crypto.token_key_id(token1) == "kid1"
    assert not crypto.needs_rotation(token1, new)
    assert crypto.decrypt(token1, context=CTX, provider=new) == "张三 13812345678"
    assert crypto.reencrypt(token1, context=CTX, provider=new) == token1  # already current: unchanged
    with pytest.raises(DecryptionError):
        crypto.reencrypt(token0, context="org.Person.id_number", provider=new)

    retired = env_provider(keys=f"kid1:{K1}")  # kid0 dropped after the re-encryption job
    assert crypto.decrypt(token1, context=CTX, provider=retired) == "张三 13812345678"
    with pytest.raises(DecryptionError, match="unknown key id"):
        crypto.decrypt(token0, context=CTX, provider=retired)


# ------------------------------------------------------------------------------------------ providers


def test_env_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAONENG_KEYS", f" kid1:{K1} , kid0:{K0.upper()} ")
    monkeypatch.setenv("XIAONENG_MAC_KEY", MAC)
    p = EnvKeyProvider()
    assert p.current_key_id() == "kid1"
    assert p.key("kid0") == bytes.fromhex(K0)
    assert p.key_ids() == ["kid1", "kid0"]
    with pytest.raises(KeyError):
        p.key("nope")
    assert len(p.mac_key("audit")) == 32
    assert p.mac_key("audit") != p.mac_key("blind-index")
    assert p.mac_key("audit") == crypto.derive_mac_key(bytes.fromhex(MAC), "audit")
    assert not p.is_development
    assert K1 not in repr(p)
    assert EnvKeyProvider(path="/ignored").current_key_id() == "kid1"


@pytest.mark.parametrize(
    ("keys", "mac", "message"),
    [
        ("", MAC, "XIAONENG_KEYS is not set"),
        (f"kid1:{K1}", "", "XIAONENG_MAC_KEY is not set"),
        (f"kid1:{K1}", "0f" * 16, "at least 32 bytes"),
        ("kid1:abc", MAC, "not valid hex"),
        (f"kid1:{K1}00", MAC, "must be 16 bytes"),
        (f"kid1:{K1},kid1:{K0}", MAC, "appears twice"),
        (f"-bad:{K1}", MAC, "invalid"),
        (K1, MAC, "not 'kid:hex'"),
    ],
)
def test_env_provider_errors(keys: str, mac: str, message: str) -> None:
    with pytest.raises(KeyConfigurationError, match=message):
        EnvKeyProvider(environ={"XIAONENG_KEYS": keys, "XIAONENG_MAC_KEY": mac})


def test_file_provider(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "keys.json", KEY_FILE_DATA)
    p = FileKeyProvider(path)
    assert p.current_key_id() == "k2026"
    assert p.key("k2025") == bytes.fromhex(K0)
    assert not p.is_development
    # Same master MAC key, same derived keys, whichever provider holds it.
    assert p.mac_key("audit") == env_provider().mac_key("audit")
    token = crypto.encrypt("x", context=CTX, provider=p)
    assert crypto.decrypt(token, context=CTX, provider=FileKeyProvider(str(path))) == "x"
    os.chmod(path, 0o640)  # group-readable (the service's group) is allowed
    FileKeyProvider(path)


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o602, 0o666])
def test_file_provider_refuses_world_accessible(tmp_path: Path, mode: int) -> None:
    path = write_key_file(tmp_path / "keys.json", KEY_FILE_DATA, mode=mode)
    with pytest.raises(KeyConfigurationError, match="accessible to all users") as exc:
        FileKeyProvider(path)
    assert "chmod 600" in str(exc.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**KEY_FILE_DATA, "current": "k1999"}, "not among the keys"),
        ({"current": "k2026", "keys": {"k2026": K1}}, '"mac"'),
        ({"current": "k2026", "keys": {}, "mac": MAC}, "no SM4 keys"),
        ([1, 2], "must hold"),
    ],
)
def test_file_provider_bad_content(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)
    with pytest.raises(KeyConfigurationError, match=message):
        FileKeyProvider(path)


def test_file_provider_missing_or_not_json(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError, match="does not exist"):
        FileKeyProvider(tmp_path / "absent.json")
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    os.chmod(path, 0o600)
    with pytest.raises(KeyConfigurationError, match="JSON"):
        FileKeyProvider(path)
    with pytest.raises(KeyConfigurationError, match="regular file"):
        FileKeyProvider(tmp_path)


def test_dev_provider_creates_private_file_once(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dev-keys.json"
    p = DevKeyProvider(path)
    assert DevKeyProvider.is_development is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["current"] == p.current_key_id() == "dev1"
    assert len(p.key("dev1")) == 16
    again = DevKeyProvider(path)  # reused, not regenerated
    assert again.key("dev1") == p.key("dev1")
    assert again.mac_key("audit") == p.mac_key("audit")
    assert not list(path.parent.glob(".keys-*"))  # no temporary files left behind
    token = crypto.encrypt("x", context=CTX, provider=p)
    assert crypto.decrypt(token, context=CTX, provider=again) == "x"


def test_dev_provider_refuses_a_loosened_file(tmp_path: Path) -> None:
    path = tmp_path / "dev-keys.json"
    DevKeyProvider(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyConfigurationError, match="accessible to all users"):
        DevKeyProvider(path)


def test_build_provider_refuses_keys_in_settings() -> None:
    with pytest.raises(KeyConfigurationError, match="never goes into settings"):
        crypto.build_provider({"class": "xiaoneng.core.crypto.StaticKeyProvider", "keys": {"k": K0}})
    with pytest.raises(KeyConfigurationError, match="must be a dict"):
        crypto.build_provider({"path": "/etc/xiaoneng/keys.json"})
    with pytest.raises(KeyConfigurationError, match="cannot be imported"):
        crypto.build_provider({"class": "xiaoneng.core.crypto.NoSuchProvider"})


def test_get_provider_reads_settings_lazily_and_caches(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "keys.json", KEY_FILE_DATA)
    spec = {"class": "xiaoneng.core.crypto.FileKeyProvider", "path": str(path)}
    try:
        with override_settings(XIAONENG_KEY_PROVIDER=spec):
            first = crypto.get_provider()
            assert isinstance(first, FileKeyProvider)
            assert first.current_key_id() == "k2026"
            assert crypto.get_provider() is first
            crypto.reset_provider_cache()
            assert crypto.get_provider() is not first
            dev_spec = {"class": "xiaoneng.core.crypto.DevKeyProvider", "path": str(tmp_path / "dev.json")}
            with override_settings(XIAONENG_KEY_PROVIDER=dev_spec):  # setting_changed resets the cache
                assert isinstance(crypto.get_provider(), DevKeyProvider)
            token = crypto.encrypt("默认", context=CTX)
            assert crypto.token_key_id(token) == "k2026"
            assert crypto.decrypt(token, context=CTX) == "默认"
    finally:
        crypto.reset_provider_cache()


# ------------------------------------------------------------------------------------------ blind index


def test_blind_index() -> None:
    p = env_provider()
    index = crypto.blind_index("13812345678", provider=p)
    assert len(index) == 64 and int(index, 16) >= 0
    assert crypto.blind_index("138 1234-5678", provider=p) == index
    assert crypto.blind_index("１３８１２３４５６７８", provider=p) == index  # full-width digits
    assert crypto.blind_index("11010519491231002x", provider=p) == crypto.blind_index(
        "11010519491231002X", provider=p
    )
    assert crypto.blind_index("13812345679", provider=p) != index
    assert crypto.blind_index("13812345678", purpose="blind-index:phone", provider=p) != index
    assert crypto.blind_index("13812345678", provider=StaticKeyProvider.generate()) != index
    assert index == crypto.hmac_sm3_hex(p.mac_key("blind-index"), b"13812345678")
    assert crypto.blind_index("", provider=p) == ""
    assert crypto.blind_index(" - ", provider=p) == ""
    assert crypto.blind_index(None, provider=p) == ""


# ------------------------------------------------------------------------------------------ masking


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("008613812345678", "138****5678"),
        ("0571-88888888", "0571****8888"),
        ("057188888888", "0571****8888"),
        ("010-62345678", "010****5678"),
        ("12345", "*****"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value: str | None, expected: str) -> None:
    assert crypto.mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("110101199003071234", "110***********1234"),
        ("11010519491231002x", "110***********002X"),
        ("110105491231002", "110********1002"),
        ("1234567", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value: str | None, expected: str) -> None:
    assert crypto.mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("张三丰", "张**"), ("欧阳", "欧*"), ("欧阳娜娜", "欧***"), ("张", "*"), ("", ""), (None, "")],
)
def test_mask_name(value: str | None, expected: str) -> None:
    assert crypto.mask_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhang@example.cn", "z***@example.cn"),
        ("a@example.cn", "***@example.cn"),
        ("nodomain", "n***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_email(value: str | None, expected: str) -> None:
    assert crypto.mask_email(value) == expected


# ------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0571-88888888", "0571-88888888"),
        ("(0571) 8888 8888", "0571-88888888"),
        ("057188888888", "0571-88888888"),
        ("010 62345678", "010-62345678"),
        ("+86 10 62345678", "010-62345678"),
        ("020-8765432", "020-8765432"),
    ],
)
def test_validate_phone(value: str, expected: str) -> None:
    assert crypto.validate_phone(value) == expected


@pytest.mark.parametrize(
    "value", ["", "  ", "12345678901", "1381234567", "138123456789", "abc", "+1 415 555 1234", "88888888"]
)
def test_validate_phone_rejects(value: str) -> None:
    with pytest.raises(ValueError) as exc:
        crypto.validate_phone(value)
    message = str(exc.value)
    assert "phone" in message.lower() and any("\u4e00" <= c <= "\u9fff" for c in message)
    assert "12345" not in message and "1381" not in message  # never echoes the number


def test_id_check_digit() -> None:
    assert crypto.id_number_check_digit("11010519491231002") == "X"
    with pytest.raises(ValueError):
        crypto.id_number_check_digit("1101051949123100")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("110105491231002", "11010519491231002X"),  # 15-digit number upgraded (GB 11643-1999)
    ],
)
def test_validate_id_number(value: str, expected: str) -> None:
    assert crypto.validate_id_number(value) == expected


def _with_check(first17: str) -> str:
    return first17 + crypto.id_number_check_digit(first17)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "check character"),  # wrong check digit (should be X)
        ("11010519491231002Y", "18"),
        ("1101051949123100", "18"),
        ("", "required"),
        (_with_check("11010519490230002"), "date of birth"),  # 30 February
        (_with_check("11010518991231002"), "date of birth"),
        (_with_check("01010519491231002"), "region"),
    ],
)
def test_validate_id_number_rejects(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as exc:
        crypto.validate_id_number(value)
    assert "身份证" in str(exc.value)
    assert "1949" not in str(exc.value)


# ------------------------------------------------------------------------------------------ model field

_test_apps = Apps(installed_apps=[])


class Citizen(models.Model):
    phone = EncryptedTextField("手机号码", blank=True, default="")
    id_number = EncryptedTextField(blank=True, null=True)
    legacy = EncryptedTextField(blank=True, default="", context="people.Resident.phone")

    class Meta:
        app_label = "cryptotest"
        apps = _test_apps

    def __str__(self) -> str:
        return f"Citizen {self.pk}"


@pytest.fixture
def dev_keys(tmp_path: Path):
    spec = {"class": "xiaoneng.core.crypto.DevKeyProvider", "path": str(tmp_path / "keys.json")}
    with override_settings(XIAONENG_KEY_PROVIDER=spec):
        yield crypto.get_provider()
    crypto.reset_provider_cache()


def test_field_context_from_model() -> None:
    assert Citizen._meta.get_field("phone").encryption_context == "cryptotest.Citizen.phone"
    assert Citizen._meta.get_field("id_number").encryption_context == "cryptotest.Citizen.id_number"
    assert Citizen._meta.get_field("legacy").encryption_context == "people.Resident.phone"


def test_field_encrypts_and_decrypts(dev_keys: crypto.KeyProvider) -> None:
    field = Citizen._meta.get_field("phone")
    token = field.get_prep_value("13812345678")
    assert token.startswith("sm4gcm:dev1:")
    assert crypto.decrypt(token, context="cryptotest.Citizen.phone", provider=dev_keys) == "13812345678"
    assert field.from_db_value(token, None, None) == "13812345678"
    other = Citizen._meta.get_field("id_number")
    with pytest.raises(DecryptionError):  # a token copied into another column
        other.from_db_value(token, None, None)
    for empty in (None, ""):
        assert field.get_prep_value(empty) == empty
        assert field.from_db_value(empty, None, None) == empty


def test_field_refuses_lookups() -> None:
    with pytest.raises(FieldError, match="cryptotest.Citizen.phone is encrypted"):
        Citizen.objects.filter(phone="13812345678")
    for lookup in ("icontains", "startswith", "in", "lower", "gt"):
        with pytest.raises(FieldError, match="blind index"):
            Citizen.objects.filter(**{f"phone__{lookup}": "138"})
    Citizen.objects.filter(phone__isnull=True)
    Citizen.objects.filter(id_number=None)
    Citizen.objects.filter(phone="")


def test_field_deconstruct_is_stable() -> None:
    field = Citizen._meta.get_field("phone")
    name, path, args, kwargs = field.deconstruct()
    assert (name, path, args) == ("phone", "xiaoneng.core.fields.EncryptedTextField", [])
    assert kwargs == {"verbose_name": "手机号码", "blank": True, "default": ""}
    _, _, _, legacy_kwargs = Citizen._meta.get_field("legacy").deconstruct()
    assert legacy_kwargs["context"] == "people.Resident.phone"
    clone = field.clone()
    assert clone.deconstruct()[1:] == (path, args, kwargs)


def test_field_check_rejects_indexes() -> None:
    field = EncryptedTextField(unique=True)
    field.set_attributes_from_name("phone")
    field.model = Citizen
    assert [e.id for e in field.check()] == ["xiaoneng.E101"]
    assert "xiaoneng.E101" not in [e.id for e in Citizen._meta.get_field("phone").check()]
