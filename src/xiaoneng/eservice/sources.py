"""Approval systems (审批系统) and their API keys: only the key's SHA-256 is stored, the key is shown once."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType
from xiaoneng.org.models import Region

from .models import SourceSystem

PREFIX = "esv_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(name: str, region: Region, *, actor=None) -> tuple[SourceSystem, str]:
    """A new key for the system `name` reporting for departments in `region`'s subtree (created, or re-keyed
    and un-revoked); audited. Returns the system and the key (shown once, never stored)."""
    key = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        source, _created = SourceSystem.objects.update_or_create(
            name=name,
            defaults={
                "key_hash": digest(key),
                "region": region,
                "region_path": region.path,
                "revoked_at": None,
            },
        )
        audit.record(
            AuditEventType.ESERVICE_KEY_ISSUED,
            actor=actor,
            actor_name="" if actor else "manage.py",
            obj=source,
            data={"name": name, "region": region.code},
        )
    return source, key


def revoke_key(source: SourceSystem, *, actor=None) -> SourceSystem:
    with transaction.atomic():
        source.revoked_at = source.revoked_at or timezone.now()
        source.save(update_fields=["revoked_at"])
        audit.record(
            AuditEventType.ESERVICE_KEY_REVOKED,
            actor=actor,
            actor_name="" if actor else "manage.py",
            obj=source,
            data={"name": source.name},
        )
    return source


def for_key(key: str) -> SourceSystem | None:
    """The live system holding `key`, or None (unknown or revoked key alike)."""
    if not key or not key.startswith(PREFIX) or len(key) > 200:
        return None
    source = SourceSystem.objects.filter(key_hash=digest(key)).first()
    if source is None or source.revoked_at is not None:
        return None
    return source
