"""The scheduler: enqueues the periodic jobs of settings.SCHEDULE and marks its own heartbeat."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from xiaoneng.core.models import Heartbeat


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (heartbeat, deadline sweep …) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue every job once and exit")

    def handle(self, *args, once=False, **options):
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *a: stop.update(now=True))
        due: dict[str, float] = {name: 0.0 for name in settings.SCHEDULE}
        self.stdout.write(f"scheduler: {', '.join(settings.SCHEDULE)}")
        try:
            while not stop["now"]:
                close_old_connections()
                now = time.monotonic()
                Heartbeat.objects.update_or_create(name="scheduler", defaults={"beat_at": timezone.now()})
                for name, (path, every) in settings.SCHEDULE.items():
                    if now >= due[name]:
                        import_string(path).enqueue()
                        due[name] = now + every
                if once:
                    return
                time.sleep(1)
        except KeyboardInterrupt:
            pass
