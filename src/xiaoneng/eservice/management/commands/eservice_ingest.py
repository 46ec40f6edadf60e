"""Take a batch file of case events (.csv or .xlsx) for an approval system, as the intake page does — for
scheduled transfers (a nightly export of an approval system dropped on the server).

    manage.py eservice_ingest --source NAME FILE
"""

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from xiaoneng.core.imports import ImportRefused
from xiaoneng.eservice import event_files
from xiaoneng.eservice.models import SourceSystem


class Command(BaseCommand):
    help = "Take a batch file of case events for an approval system (政务服务电子监察)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="the approval system's name")

    def handle(self, *args, file, source, **options):
        system = SourceSystem.objects.filter(name=source, revoked_at__isnull=True).first()
        if system is None:
            raise CommandError(f"no live approval system named {source!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        with path.open("rb") as f:
            upload = File(f, name=path.name)
            upload.size = path.stat().st_size
            try:
                outcomes = event_files.ingest_file(system, upload)
            except ImportRefused as exc:
                raise CommandError(exc.message) from None
        keys = ("received", "accepted", "replayed", "rejected", "flagged")
        totals = {k: sum(getattr(o, k) for o in outcomes) for k in keys}
        self.stdout.write(" ".join(f"{k}={v}" for k, v in totals.items()))
        for o in outcomes:
            for p in o.problems:
                self.stdout.write(f"{p['event_id']}\t{p['code']}\t{p['detail']}")
