"""Commercial (SM-series) cryptography for personal data, the audit chain and blind indexes.

What is used, and the standards behind it:

* **SM4** block cipher — GB/T 32907-2016 (GM/T 0002-2012) — in **GCM** mode (GB/T 17964-2021; the same
  construction as RFC 8998's ``TLS_SM4_GCM_SM3``), through OpenSSL via the ``cryptography`` package
  (``algorithms.SM4`` + ``modes.GCM``). Authenticated encryption: a 96-bit random nonce per message, a
  128-bit tag, and the *context* (``"org.Person.phone"``) and key id bound as associated data, so a value
  copied into another column or relabelled with another key id does not decrypt.
* **SM3** hash — GB/T 32905-2016 (GM/T 0004-2012).
* **HMAC-SM3** — HMAC (RFC 2104, GB/T 15852.2-2012) over SM3; known answers from GM/T 0042-2015 App. D.3.
* **Key derivation** for MAC keys — HKDF (RFC 5869) with SM3 as the hash: ``HKDF-SM3(ikm=master MAC key,
  salt=none, info="xiaoneng/mac-key/v1\\0" + purpose, L=32)``. One master MAC key, independent keys per
  purpose (``"audit"``, ``"blind-index"``, ...).

This supports the "confidentiality of important data in storage" and "integrity of audit records" items of
GB/T 39786-2021 (信息系统密码应用基本要求) and the de-identified display of GB/T 35273-2020 §3.14/§9.

Token format (stable; stored in the database, never change it without a new prefix)::

    sm4gcm:<kid>:<base64url(nonce[12] || ciphertext || tag[16]), no padding>

``<kid>`` matches ``[A-Za-z0-9][A-Za-z0-9_.-]{0,31}``. The associated data is
``b"xiaoneng/sm4gcm/v1\\0" + kid + b"\\0" + context`` (UTF-8).

Keys come from a :class:`KeyProvider`. :func:`get_provider` builds the one named by the Django setting
``XIAONENG_KEY_PROVIDER``, e.g.
``{"class": "xiaoneng.core.crypto.FileKeyProvider", "path": "/etc/xiaoneng/keys.json"}``.
Key material itself never lives in settings: :func:`build_provider` refuses options named like keys.
Every pure function here takes ``provider=`` explicitly; only :func:`get_provider` reads settings.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac as _std_hmac
import json
import os
import re
import secrets
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

__all__ = [
    "TOKEN_PREFIX",
    "DecryptionError",
    "DevKeyProvider",
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyConfigurationError",
    "KeyProvider",
    "StaticKeyProvider",
    "blind_index",
    "build_provider",
    "decrypt",
    "derive_mac_key",
    "encrypt",
    "get_provider",
    "hmac_sm3",
    "hmac_sm3_hex",
    "hmac_sm3_verify",
    "id_number_check_digit",
    "is_encrypted",
    "mask_email",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "needs_rotation",
    "normalise_for_index",
    "reencrypt",
    "reset_provider_cache",
    "sm3_hex",
    "token_key_id",
    "validate_id_number",
    "validate_phone",
]

TOKEN_PREFIX = "sm4gcm"
SM4_KEY_BYTES = 16  # GB/T 32907: 128-bit key
NONCE_BYTES = 12  # GCM's 96-bit IV
TAG_BYTES = 16
MAC_KEY_BYTES = 32  # SM3 output size; HMAC-SM3 keys and the master MAC key
_AAD_LABEL = b"xiaoneng/sm4gcm/v1\x00"
_HKDF_LABEL = b"xiaoneng/mac-key/v1\x00"
_KID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


class KeyConfigurationError(ImproperlyConfigured):
    """The key provider is missing, misconfigured, or its key file is unsafe."""


class DecryptionError(ValueError):
    """A token could not be decrypted: malformed, tampered with, wrong context, or unknown key id."""


# --------------------------------------------------------------------------------------------------------
# Key providers
# --------------------------------------------------------------------------------------------------------


@runtime_checkable
class KeyProvider(Protocol):
    """Where SM4 data keys and HMAC-SM3 keys come from.

    ``key()`` raises :class:`KeyError` for an unknown key id. Providers may set a class attribute
    ``is_development = True`` (keys beside the code); the production settings refuse those.
    """

    def current_key_id(self) -> str:
        """The key id new tokens are encrypted under."""
        ...

    def key(self, key_id: str) -> bytes:
        """The 16-byte SM4 key (GB/T 32907) with this id; :class:`KeyError` if unknown."""
        ...

    def mac_key(self, purpose: str) -> bytes:
        """A 32-byte HMAC-SM3 key for ``purpose`` ("audit", "blind-index", ...)."""
        ...


def derive_mac_key(master: bytes, purpose: str) -> bytes:
    """HKDF-SM3 (RFC 5869, SM3 per GB/T 32905): a 32-byte key for ``purpose`` from the master MAC key."""
    if not purpose:
        raise ValueError("mac_key purpose must be a non-empty string")
    hkdf = HKDF(algorithm=hashes.SM3(), length=MAC_KEY_BYTES, salt=None, info=_HKDF_LABEL + purpose.encode())
    return hkdf.derive(master)


def _check_kid(kid: str, source: str) -> str:
    if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
        raise KeyConfigurationError(
            f"{source}: key id {kid!r} is invalid (letters, digits, '_', '.', '-'; at most 32 characters)"
        )
    return kid


def _parse_hex(value: object, *, what: str, source: str, size: int | None = None, min_size: int = 0) -> bytes:
    if not isinstance(value, str):
        raise KeyConfigurationError(f"{source}: {what} must be a hex string")
    try:
        raw = bytes.fromhex(value.strip())
    except ValueError:
        raise KeyConfigurationError(f"{source}: {what} is not valid hex") from None
    if size is not None and len(raw) != size:
        raise KeyConfigurationError(
            f"{source}: {what} must be {size} bytes ({size * 2} hex characters), got {len(raw)} bytes"
        )
    if len(raw) < min_size:
        raise KeyConfigurationError(
            f"{source}: {what} must be at least {min_size} bytes ({min_size * 2} hex characters)"
        )
    return raw


class _KeySet:
    """Common behaviour: a current key id, SM4 keys by id, one master MAC key."""

    is_development: ClassVar[bool] = False

    _current: str
    _keys: dict[str, bytes]
    _mac_master: bytes

    def _init_keys(self, current: str, keys: Mapping[str, bytes], mac_master: bytes, source: str) -> None:
        if not keys:
            raise KeyConfigurationError(f"{source}: no SM4 keys configured")
        for kid, raw in keys.items():
            _check_kid(kid, source)
            if len(raw) != SM4_KEY_BYTES:
                raise KeyConfigurationError(f"{source}: SM4 key {kid!r} must be {SM4_KEY_BYTES} bytes")
        if current not in keys:
            raise KeyConfigurationError(f"{source}: current key id {current!r} is not among the keys")
        if len(mac_master) < MAC_KEY_BYTES:
            raise KeyConfigurationError(f"{source}: the MAC key must be at least {MAC_KEY_BYTES} bytes")
        self._current = current
        self._keys = dict(keys)
        self._mac_master = bytes(mac_master)
        self._mac_cache: dict[str, bytes] = {}

    def current_key_id(self) -> str:
        return self._current

    def key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise KeyError(f"unknown key id {key_id!r}") from None

    def key_ids(self) -> list[str]:
        """All key ids this provider can decrypt with (current first)."""
        return [self._current, *(k for k in self._keys if k != self._current)]

    def mac_key(self, purpose: str) -> bytes:
        derived = self._mac_cache.get(purpose)
        if derived is None:
            derived = self._mac_cache[purpose] = derive_mac_key(self._mac_master, purpose)
        return derived

    def __repr__(self) -> str:  # never the key material
        return f"<{type(self).__name__} current={self._current!r} keys={sorted(self._keys)}>"


class StaticKeyProvider(_KeySet):
    """Keys handed over in memory — for tests and for code that already holds the keys (e.g. a KMS/HSM
    adapter that unwrapped them). Never configure this from settings."""

    is_development: ClassVar[bool] = True

    def __init__(self, current: str, keys: Mapping[str, bytes], mac_master: bytes) -> None:
        self._init_keys(current, keys, mac_master, "StaticKeyProvider")

    @classmethod
    def generate(cls, key_ids: tuple[str, ...] = ("k0",)) -> StaticKeyProvider:
        """Random keys; the first id is current."""
        keys = {k: secrets.token_bytes(SM4_KEY_BYTES) for k in key_ids}
        return cls(key_ids[0], keys, secrets.token_bytes(MAC_KEY_BYTES))


class EnvKeyProvider(_KeySet):
    """Keys from the environment (systemd ``EnvironmentFile=`` with mode 0600, a container secret, ...).

    ``XIAONENG_KEYS="k2026:<32 hex>,k2025:<32 hex>"`` — the first entry is current, the others only
    decrypt. ``XIAONENG_MAC_KEY="<at least 64 hex>"`` — the master MAC key (never rotated lightly: it keys
    the blind indexes and the audit chain).

    ``path`` is accepted and ignored so that one settings dict (``{"class": ..., "path": ...}``) can name
    any provider.
    """

    KEYS_VAR: ClassVar[str] = "XIAONENG_KEYS"
    MAC_VAR: ClassVar[str] = "XIAONENG_MAC_KEY"

    def __init__(self, environ: Mapping[str, str] | None = None, *, path: str | None = None) -> None:
        env = os.environ if environ is None else environ
        source = f"environment variable {self.KEYS_VAR}"
        spec = env.get(self.KEYS_VAR, "").strip()
        if not spec:
            raise KeyConfigurationError(f"{self.KEYS_VAR} is not set (expected 'kid1:hex32,kid0:hex32')")
        keys: dict[str, bytes] = {}
        current = ""
        for entry in spec.split(","):
            entry = entry.strip()
            if not entry:
                continue
            kid, sep, hexkey = entry.partition(":")
            kid = kid.strip()
            if not sep:
                raise KeyConfigurationError(f"{source}: entry {kid[:8]!r}... is not 'kid:hex'")
            _check_kid(kid, source)
            if kid in keys:
                raise KeyConfigurationError(f"{source}: key id {kid!r} appears twice")
            keys[kid] = _parse_hex(hexkey, what=f"key {kid!r}", source=source, size=SM4_KEY_BYTES)
            current = current or kid
        mac_hex = env.get(self.MAC_VAR, "")
        if not mac_hex.strip():
            raise KeyConfigurationError(
                f"{self.MAC_VAR} is not set (at least {MAC_KEY_BYTES * 2} hex characters)"
            )
        mac = _parse_hex(
            mac_hex, what="the MAC key", source=f"environment variable {self.MAC_VAR}", min_size=MAC_KEY_BYTES
        )
        self._init_keys(current, keys, mac, source)


class FileKeyProvider(_KeySet):
    """Keys from a JSON file outside the code and the settings, e.g. ``/etc/xiaoneng/keys.json``::

        {"current": "k2026", "keys": {"k2026": "<32 hex>", "k2025": "<32 hex>"}, "mac": "<64 hex>"}

    The file must be a regular file that other users cannot read or write (``chmod 600``, or ``640`` with
    the service's group); anything else is refused. Read once; restart (or :func:`reset_provider_cache`)
    after a rotation.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._load()

    def _load(self) -> None:
        path = self.path
        try:
            st = path.stat()
        except FileNotFoundError:
            raise KeyConfigurationError(f"key file {path} does not exist") from None
        if not stat.S_ISREG(st.st_mode):
            raise KeyConfigurationError(f"key file {path} is not a regular file")
        if st.st_mode & stat.S_IRWXO:
            raise KeyConfigurationError(
                f"key file {path} is accessible to all users (mode {stat.S_IMODE(st.st_mode):04o}); "
                f"refusing to use it. Run: chmod 600 {path}  (or 640 with the service's group)"
            )
        source = f"key file {path}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyConfigurationError(f"{source} cannot be read as JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise KeyConfigurationError(f'{source} must hold {{"current": ..., "keys": {{...}}, "mac": ...}}')
        current = data.get("current")
        if not isinstance(current, str):
            raise KeyConfigurationError(f'{source}: "current" must name one of the keys')
        keys = {
            _check_kid(kid, source): _parse_hex(
                hexkey, what=f"key {kid!r}", source=source, size=SM4_KEY_BYTES
            )
            for kid, hexkey in data["keys"].items()
        }
        mac = _parse_hex(data.get("mac"), what='"mac"', source=source, min_size=MAC_KEY_BYTES)
        self._init_keys(current, keys, mac, source)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path} current={self._current!r} keys={sorted(self._keys)}>"


_PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DEV_KEY_PATH = _PROJECT_ROOT / "var" / "dev-keys.json"


class DevKeyProvider(FileKeyProvider):
    """The embedded default and the tests: a :class:`FileKeyProvider` whose file (under the project's
    ``var/``) is created with random keys, mode 0600, on first use. Keys beside the code: never in production
    (``is_development``; the production settings refuse it)."""

    is_development: ClassVar[bool] = True

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = Path(path) if path is not None else DEFAULT_DEV_KEY_PATH
        if not path.exists():
            _create_key_file(path)
        super().__init__(path)


def _create_key_file(path: Path, kid: str = "dev1") -> None:
    """Write a fresh key file atomically with mode 0600; if another process won the race, keep theirs."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    content = json.dumps(
        {
            "current": kid,
            "keys": {kid: secrets.token_hex(SM4_KEY_BYTES)},
            "mac": secrets.token_hex(MAC_KEY_BYTES),
        },
        indent=2,
    )
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic, never overwrites
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: exclusive create instead
            try:
                fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd2, "w", encoding="utf-8") as fh:
                    fh.write(content + "\n")
    finally:
        os.unlink(tmp)


# Option names that would put key material into settings.
_SECRET_OPTIONS = frozenset({"key", "keys", "mac", "mac_key", "mac_master", "master", "secret", "secrets"})


def build_provider(spec: Mapping[str, Any]) -> KeyProvider:
    """Instantiate the provider described by ``{"class": "dotted.path", **kwargs}``."""
    from django.utils.module_loading import import_string

    if not isinstance(spec, Mapping) or not spec.get("class"):
        raise KeyConfigurationError(
            'XIAONENG_KEY_PROVIDER must be a dict like {"class": "xiaoneng.core.crypto.FileKeyProvider", '
            '"path": "/etc/xiaoneng/keys.json"}'
        )
    options = {k: v for k, v in spec.items() if k != "class"}
    leaked = sorted(_SECRET_OPTIONS.intersection(options))
    if leaked:
        raise KeyConfigurationError(
            f"XIAONENG_KEY_PROVIDER carries {', '.join(leaked)}: key material never goes into settings; "
            "use FileKeyProvider or EnvKeyProvider"
        )
    target = spec["class"]
    try:
        cls = import_string(target) if isinstance(target, str) else target
    except ImportError as exc:
        raise KeyConfigurationError(
            f"XIAONENG_KEY_PROVIDER class {target!r} cannot be imported: {exc}"
        ) from None
    provider = cls(**options)
    if not isinstance(provider, KeyProvider):
        raise KeyConfigurationError(f"{target!r} does not implement current_key_id(), key() and mac_key()")
    return provider


_provider: KeyProvider | None = None
_provider_lock = threading.Lock()


def get_provider() -> KeyProvider:
    """The process-wide provider named by ``settings.XIAONENG_KEY_PROVIDER`` (built once, then cached)."""
    global _provider
    provider = _provider
    if provider is None:
        with _provider_lock:
            if _provider is None:
                from django.conf import settings

                spec = getattr(settings, "XIAONENG_KEY_PROVIDER", None)
                if spec is None:
                    raise KeyConfigurationError("settings.XIAONENG_KEY_PROVIDER is not set")
                _provider = build_provider(spec)
            provider = _provider
    return provider


def reset_provider_cache() -> None:
    """Forget the cached provider (tests; after a key rotation without a restart)."""
    global _provider
    with _provider_lock:
        _provider = None


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "XIAONENG_KEY_PROVIDER":
        reset_provider_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="xiaoneng.core.crypto.reset_provider_cache")


# --------------------------------------------------------------------------------------------------------
# SM4-GCM tokens
# --------------------------------------------------------------------------------------------------------


def _aad(kid: str, context: str) -> bytes:
    return _AAD_LABEL + kid.encode("ascii") + b"\x00" + context.encode("utf-8")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _B64URL_RE.fullmatch(text):
        raise DecryptionError("token payload is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("token payload is not base64url") from None
    if _b64encode(raw) != text:  # reject non-canonical encodings: one token per ciphertext
        raise DecryptionError("token payload is not canonical base64url")
    return raw


def _split(token: str) -> tuple[str, str]:
    if not isinstance(token, str):
        raise DecryptionError(f"token must be a string, not {type(token).__name__}")
    prefix, sep1, rest = token.partition(":")
    kid, sep2, payload = rest.partition(":")
    if prefix != TOKEN_PREFIX or not sep1 or not sep2:
        raise DecryptionError(f"not a {TOKEN_PREFIX} token")
    if not _KID_RE.fullmatch(kid):
        raise DecryptionError("token key id is malformed")
    return kid, payload


def _check_context(context: str) -> None:
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string such as 'org.Person.phone'")


def is_encrypted(value: object) -> bool:
    """Whether ``value`` looks like a token of ours (syntax only; does not decrypt)."""
    if not isinstance(value, str):
        return False
    try:
        _split(value)
    except DecryptionError:
        return False
    return True


def token_key_id(token: str) -> str:
    """The key id a token was encrypted under (:class:`DecryptionError` if it is not a token)."""
    return _split(token)[0]


def encrypt(plaintext: str, *, context: str, provider: KeyProvider | None = None) -> str:
    """SM4-GCM-encrypt ``plaintext`` under the provider's current key.

    ``context`` names where the value lives (``"<app_label>.<Model>.<field>"``) and is authenticated with
    the key id; decrypting with another context fails. Each call draws a fresh random 96-bit nonce, so equal
    plaintexts give different tokens (use :func:`blind_index` for equality search).
    """
    if not isinstance(plaintext, str):
        raise TypeError(f"plaintext must be str, not {type(plaintext).__name__}")
    _check_context(context)
    provider = provider or get_provider()
    kid = _check_kid(provider.current_key_id(), type(provider).__name__)
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(provider.key(kid)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_aad(kid, context))
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return f"{TOKEN_PREFIX}:{kid}:{_b64encode(nonce + ciphertext + encryptor.tag)}"


def decrypt(token: str, *, context: str, provider: KeyProvider | None = None) -> str:
    """Decrypt a token made by :func:`encrypt` with the same ``context``.

    Raises :class:`DecryptionError` when the token is malformed, was tampered with, belongs to another
    context, or names a key id the provider does not have.
    """
    _check_context(context)
    kid, payload = _split(token)
    raw = _b64decode(payload)
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("token is too short")
    provider = provider or get_provider()
    try:
        key = provider.key(kid)
    except KeyError:
        raise DecryptionError(f"unknown key id {kid!r}: the key provider does not hold it") from None
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_aad(kid, context))
    try:
        data = decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionError(
            f"authentication failed for a {context!r} token: tampered with, or encrypted for another context"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - authenticated data we wrote ourselves
        raise DecryptionError("decrypted data is not UTF-8") from None


def needs_rotation(token: str, provider: KeyProvider | None = None) -> bool:
    """True when ``token`` was encrypted under a key id other than the provider's current one."""
    kid = token_key_id(token)
    provider = provider or get_provider()
    return kid != provider.current_key_id()


def reencrypt(token: str, *, context: str, provider: KeyProvider | None = None) -> str:
    """Decrypt and, if it is under an old key, re-encrypt under the current key.

    Always authenticates the token (a wrong context raises :class:`DecryptionError`); returns ``token``
    unchanged when it already uses the current key, so a rotation job can compare and skip the write.
    """
    provider = provider or get_provider()
    plaintext = decrypt(token, context=context, provider=provider)
    if not needs_rotation(token, provider):
        return token
    return encrypt(plaintext, context=context, provider=provider)


# --------------------------------------------------------------------------------------------------------
# SM3, HMAC-SM3, blind indexes
# --------------------------------------------------------------------------------------------------------


def sm3_hex(data: bytes) -> str:
    """SM3 digest (GB/T 32905-2016) of ``data``, 64 lowercase hex characters."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3 (RFC 2104 / GB/T 15852.2 with SM3): 32 bytes."""
    mac = _crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    """HMAC-SM3 of ``data`` under ``key``, 64 lowercase hex characters (the audit chain's link)."""
    return hmac_sm3(key, data).hex()


def hmac_sm3_verify(key: bytes, data: bytes, expected_hex: str) -> bool:
    """Constant-time check of an HMAC-SM3 hex value."""
    return _std_hmac.compare_digest(hmac_sm3_hex(key, data), expected_hex.lower())


_INDEX_STRIP_RE = re.compile(r"[\s\-‐‑‒–—―－]+")


def normalise_for_index(value: str) -> str:
    """NFKC (full-width digits to ASCII), drop whitespace and hyphens, upper-case (``x`` → ``X``)."""
    return _INDEX_STRIP_RE.sub("", unicodedata.normalize("NFKC", value)).upper()


def blind_index(
    value: str | None, *, purpose: str = "blind-index", provider: KeyProvider | None = None
) -> str:
    """Deterministic HMAC-SM3 of the normalised value under the per-purpose key: equal inputs give equal
    indexes ("same complainant") without decrypting, and the index reveals nothing without the key.

    Normalise semantically first where it matters (pass :func:`validate_phone`'s result so that
    ``+86 138…`` and ``138…`` match). Empty input gives ``""`` (no index), never a shared constant. Use a
    distinct ``purpose`` per kind of value (e.g. ``"blind-index:phone"``) if indexes must not be comparable
    across columns. Rotating the master MAC key changes every index: rebuild them.
    """
    if not value:
        return ""
    normalised = normalise_for_index(value)
    if not normalised:
        return ""
    provider = provider or get_provider()
    return hmac_sm3_hex(provider.mac_key(purpose), normalised.encode("utf-8"))


# --------------------------------------------------------------------------------------------------------
# Masking (GB/T 35273-2020 de-identified display)
# --------------------------------------------------------------------------------------------------------

_PHONE_SEP_RE = re.compile(r"[\s\-‐‑‒–—―()（）.]+")


def _compact_phone(value: str) -> str:
    return _PHONE_SEP_RE.sub("", unicodedata.normalize("NFKC", value).strip())


def _parse_phone(value: str) -> tuple[str, str, str] | None:
    """``("mobile", "", "13812345678")`` or ``("landline", "0571", "88888888")``; None if not Chinese."""
    compact = _compact_phone(value)
    if compact.startswith("+86"):
        rest, international = compact[3:], True
    elif compact.startswith("0086"):
        rest, international = compact[4:], True
    elif compact.startswith("86") and len(compact) == 13 and compact[2] == "1":
        rest, international = compact[2:], True
    else:
        rest, international = compact, False
    if not rest.isdigit() or not rest.isascii():
        return None
    if re.fullmatch(r"1\d{10}", rest):
        return ("mobile", "", rest)
    if international and not rest.startswith("0"):
        rest = "0" + rest  # +86 571 8888 8888: the trunk prefix 0 is dropped abroad
    if rest.startswith("010") or rest.startswith("02"):
        area = rest[:3]
    elif re.match(r"0[3-9]\d\d", rest):
        area = rest[:4]
    else:
        return None
    local = rest[len(area) :]
    if re.fullmatch(r"[2-9]\d{6,7}", local):
        return ("landline", area, local)
    return None


def mask_phone(value: str | None) -> str:
    """``13812345678`` / ``+86 138 1234 5678`` → ``138****5678``; ``0571-88888888`` → ``0571****8888``.

    Anything else: first 3 and last 4 characters kept when at least 11 remain after removing separators,
    otherwise all stars (length kept). Empty → ``""``.
    """
    if not value:
        return ""
    parsed = _parse_phone(value)
    if parsed is not None:
        kind, area, number = parsed
        if kind == "mobile":
            return f"{number[:3]}****{number[-4:]}"
        return f"{area}****{number[-4:]}"
    compact = _compact_phone(value)
    if len(compact) >= 11:
        return compact[:3] + "*" * (len(compact) - 7) + compact[-4:]
    return "*" * len(compact)


def mask_id_number(value: str | None) -> str:
    """``110101199003071234`` → ``110***********1234``: first 3 and last 4 kept, length kept.

    Fewer than 8 characters: all stars. Empty → ``""``.
    """
    if not value:
        return ""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()
    if len(compact) < 8:
        return "*" * len(compact)
    return compact[:3] + "*" * (len(compact) - 7) + compact[-4:]


def mask_name(value: str | None) -> str:
    """``张三丰`` → ``张**``, ``欧阳`` → ``欧*``: first character kept, a star per other character.

    A one-character name becomes ``*``. Empty → ``""``.
    """
    if not value:
        return ""
    name = value.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_email(value: str | None) -> str:
    """``zhang@example.cn`` → ``z***@example.cn``: first character of the local part and the domain kept,
    always three stars (the length is not revealed). Empty → ``""``."""
    if not value:
        return ""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        local, domain = address, ""
    masked = (local[0] + "***") if len(local) > 1 else "***"
    return f"{masked}@{domain}" if at else masked


# --------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------


def validate_phone(value: str) -> str:
    """Normalise a Chinese phone number or raise :class:`ValueError` (messages never echo the number).

    Mobile → ``"13812345678"`` (``+86``/``0086``/``86`` prefixes, spaces, hyphens, full-width digits
    accepted). Landline with area code → ``"0571-88888888"`` (3-digit area codes 010 and 02x, otherwise
    4 digits; local number 7-8 digits). Extensions are not accepted.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("请填写电话号码 (Phone number is required)")
    parsed = _parse_phone(value)
    if parsed is None:
        raise ValueError(
            "电话号码格式不正确：手机号为11位，固定电话需带区号 "
            "(Invalid phone number: a mobile has 11 digits, a landline needs its area code)"
        )
    kind, area, number = parsed
    if kind == "mobile":
        if not re.fullmatch(r"1[3-9]\d{9}", number):
            raise ValueError("手机号码号段不正确 (Invalid mobile phone number prefix)")
        return number
    return f"{area}-{number}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
_ID_CHECK = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("需要17位数字 (Need exactly 17 digits)")
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str:
    """Normalise a 公民身份号码 (GB 11643-1999) or raise :class:`ValueError` (messages never echo it).

    Spaces removed, full-width digits folded, ``x`` upper-cased; a 15-digit (pre-1999) number is upgraded
    to 18 digits (``19`` inserted into the year, check character appended). Checks: 17 digits + digit/X,
    first digit not 0, a real birth date from 1900 on, and the MOD 11-2 check character.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("请填写身份证号码 (ID number is required)")
    number = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()
    if re.fullmatch(r"[0-9]{15}", number):
        first17 = number[:6] + "19" + number[6:]
        number = first17 + id_number_check_digit(first17)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValueError(
            "身份证号码应为18位，最后一位可为X (An ID number has 18 characters; the last may be X)"
        )
    if number[0] == "0":
        raise ValueError("身份证号码地址码不正确 (Invalid ID number: bad region code)")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError("身份证号码出生日期不正确 (Invalid ID number: bad date of birth)") from None
    if birth.year < 1900:
        raise ValueError("身份证号码出生日期不正确 (Invalid ID number: bad date of birth)")
    if id_number_check_digit(number[:17]) != number[17]:
        raise ValueError("身份证号码校验位不正确 (Invalid ID number: the check character does not match)")
    return number
