"""Model fields for personal data encrypted at rest (SM4-GCM, GB/T 32907; see :mod:`xiaoneng.core.crypto`)."""

from __future__ import annotations

from typing import Any, cast

from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull, Lookup

from . import crypto


class _EncryptedExact(Exact):
    """``field=None`` (turned into ``isnull`` by Django) and ``field=""`` only: tokens are randomised."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs not in (None, ""):
            field = getattr(lhs, "output_field", None)
            raise FieldError(_lookup_message(field, "exact"))
        super().__init__(lhs, rhs)


def _lookup_message(field: Any, lookup_name: str) -> str:
    context = getattr(field, "encryption_context", None) or "this field"
    return (
        f"{context} is encrypted (SM4-GCM with a random nonce) and cannot be searched with "
        f"'{lookup_name}'; only 'isnull' (and '=None' / '=\"\"') work. "
        "Search by a blind index column (xiaoneng.core.crypto.blind_index) instead."
    )


class EncryptedTextField(models.TextField):
    """A ``TextField`` stored as an ``sm4gcm:<kid>:<...>`` token and read back as plaintext.

    The encryption context is ``"<app_label>.<ModelName>.<field name>"`` (set in ``contribute_to_class``),
    so a token copied into another column does not decrypt. Pass ``context="..."`` to pin it (e.g. after
    renaming a model, to keep reading old rows). ``None`` and ``""`` are stored as they are. Keys come from
    :func:`xiaoneng.core.crypto.get_provider` at save/load time.

    Filtering is refused except ``isnull`` (and ``=None`` / ``=""``): equal plaintexts give different
    tokens. Keep a :func:`~xiaoneng.core.crypto.blind_index` column beside it for equality search.
    Note that ``dumpdata`` serialises the plaintext (``loaddata`` re-encrypts it).
    """

    description = "Text encrypted with SM4-GCM"

    def __init__(self, *args: Any, context: str | None = None, **kwargs: Any) -> None:
        self._explicit_context = context
        self.encryption_context: str | None = context
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if self._explicit_context is None:
            self.encryption_context = f"{cls._meta.app_label}.{cls._meta.object_name}.{name}"

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self._explicit_context is not None:
            kwargs["context"] = self._explicit_context
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = list(super().check(**kwargs))
        if self.primary_key or self._unique or self.db_index:
            errors.append(
                checks.Error(
                    "An EncryptedTextField cannot be a primary key, unique or indexed: its tokens are "
                    "randomised, so the index would never match.",
                    hint="Put unique=True / db_index=True on a blind index column instead.",
                    obj=self,
                    id="xiaoneng.E101",
                )
            )
        return errors

    def _context(self) -> str:
        if not self.encryption_context:
            raise FieldError("EncryptedTextField is not attached to a model yet; no encryption context")
        return self.encryption_context

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self._context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self._context())

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name == "isnull":
            return cast("type[Lookup]", IsNull)
        if lookup_name == "exact":
            return _EncryptedExact
        raise FieldError(_lookup_message(self, lookup_name))

    def get_transform(self, lookup_name: str) -> None:
        raise FieldError(_lookup_message(self, lookup_name))
