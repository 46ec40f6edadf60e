"""Issue or revoke the api_key of a client system for the Open311 API (POST requests; see docs/open311.md).

    manage.py open311_apikey NAME            # a new key for NAME, printed once (a new key replaces the old one)
    manage.py open311_apikey --revoke NAME   # the key stops working at once (403)
    manage.py open311_apikey --list          # client systems and whether their key is live

Only the key's SHA-256 is stored; the key itself is shown once and cannot be read back.
"""

import hashlib
import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from xiaoneng.complaints.models import Open311Client
from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType


def issue_key(name: str) -> str:
    """A new key for client system `name` (created, or re-keyed and un-revoked), audited; returns the key."""
    key = "o311_" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    with transaction.atomic():
        client, _created = Open311Client.objects.update_or_create(
            name=name, defaults={"key_hash": digest, "revoked_at": None}
        )
        audit.record(
            AuditEventType.OPEN311_KEY_ISSUED, obj=client, actor_name="manage.py", data={"name": name}
        )
    return key


def revoke_key(name: str) -> Open311Client:
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().filter(name=name).first()
        if client is None:
            raise CommandError(f"no Open311 client named {name!r}")
        client.revoked_at = client.revoked_at or timezone.now()
        client.save(update_fields=["revoked_at"])
        audit.record(
            AuditEventType.OPEN311_KEY_REVOKED, obj=client, actor_name="manage.py", data={"name": name}
        )
    return client


class Command(BaseCommand):
    help = "Issue (prints it once) or revoke the Open311 api_key of a client system."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the client system, e.g. 12345-platform")
        parser.add_argument("--revoke", action="store_true", help="revoke NAME's key")
        parser.add_argument("--list", action="store_true", dest="list_clients", help="list client systems")

    def handle(self, *args, name=None, revoke=False, list_clients=False, **options):
        if list_clients:
            for c in Open311Client.objects.order_by("name"):
                state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
                self.stdout.write(f"{c.name}\t{state}")
            return
        if not name:
            raise CommandError("give the client system's NAME")
        if revoke:
            revoke_key(name)
            self.stdout.write(f"revoked: {name}")
            return
        self.stdout.write(issue_key(name))
