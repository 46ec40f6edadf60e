"""The public intake queue from the command line: how many submissions wait, failed or are registered, and a
registration run by hand (numbers only — the rows themselves are never shown)."""

from django.core.management.base import BaseCommand

from xiaoneng.complaints import intake
from xiaoneng.complaints.models import IntakeRequest, IntakeStatus


class Command(BaseCommand):
    help = "Show the public intake queue's counts; --register runs the registration now."

    def add_arguments(self, parser):
        parser.add_argument("--register", action="store_true", help="register the waiting submissions now")
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="give failed submissions their attempts back and register them (after fixing the cause)",
        )

    def handle(self, *args, register=False, retry_failed=False, **options):
        if retry_failed:
            IntakeRequest.objects.filter(status=IntakeStatus.FAILED).update(attempts=0)
        if register or retry_failed:
            done = intake.register_pending(retry_failed=retry_failed)
            self.stdout.write(f"registered {done['registered']}, failed {done['failed']}")
        counts = intake.counts()
        self.stdout.write(" ".join(f"{status} {counts[status]}" for status in IntakeStatus.values))
