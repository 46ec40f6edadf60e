from django.core.management.base import BaseCommand, CommandError

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; report the first broken link (exit 1 when broken)."

    def handle(self, *args, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"审计日志链断裂 (audit chain broken) at event id {result.broken_id}: {result.reason}; "
                f"{result.checked} events before it verified."
            )
        audit.record(
            AuditEventType.AUDIT_VERIFIED, actor_name="audit_verify", data={"checked": result.checked}
        )
        self.stdout.write(
            self.style.SUCCESS(f"审计日志完整 (audit chain intact): {result.checked} events verified.")
        )
