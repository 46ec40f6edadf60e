from django.core.management.base import BaseCommand

from xiaoneng.core import audit


class Command(BaseCommand):
    help = "Remove audit events older than the retention period (≥ six months); the chain stays verifiable."

    def handle(self, *args, **options):
        removed = audit.purge_expired()
        self.stdout.write(f"已清理到期审计日志 (expired audit events removed): {removed}")
