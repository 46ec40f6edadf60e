"""Re-encrypt every encrypted column under the key provider's current key (after adding a new key id)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from xiaoneng.core import audit, crypto
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.fields import EncryptedTextField


def encrypted_columns():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


class Command(BaseCommand):
    help = "Re-encrypt personal data under the current key (key rotation). Safe to re-run; reports counts."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args, batch=1000, **options):
        provider = crypto.get_provider()
        total = 0
        for model, field in encrypted_columns():
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            q = connection.ops.quote_name
            last, rotated = None, 0
            while True:
                with connection.cursor() as cur:
                    where = f"WHERE {q(pk)} > %s " if last is not None else ""
                    cur.execute(
                        f"SELECT {q(pk)}, {q(column)} FROM {q(table)} {where}ORDER BY {q(pk)} LIMIT %s",
                        ([last] if last is not None else []) + [batch],
                    )
                    rows = cur.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                updates = [
                    (crypto.reencrypt(token, context=field.encryption_context, provider=provider), row_pk)
                    for row_pk, token in rows
                    if token and crypto.needs_rotation(token, provider)
                ]
                if updates:
                    with transaction.atomic(), connection.cursor() as cur:
                        cur.executemany(f"UPDATE {q(table)} SET {q(column)} = %s WHERE {q(pk)} = %s", updates)
                rotated += len(updates)
            self.stdout.write(f"{model._meta.label}.{field.name}: {rotated} re-encrypted")
            total += rotated
        audit.record(
            AuditEventType.KEYS_ROTATED,
            actor_name="rotate_keys",
            data={"rotated": total, "key": provider.current_key_id()},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"密钥轮换完成 (key rotation done): {total} values now under {provider.current_key_id()}"
            )
        )
