"""The scheduler: enqueues the periodic jobs of settings.SCHEDULE and marks its own heartbeat."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from xiaoneng.core.models import Heartbeat


def tick(due: dict[str, float], now: float) -> None:
    """One beat: the heartbeat, then every job whose time has come (a job's next time is set only once it is
    enqueued, so one that could not be enqueued is tried again on the next beat)."""
    Heartbeat.objects.update_or_create(name="scheduler", defaults={"beat_at": timezone.now()})
    for name, (path, every) in settings.SCHEDULE.items():
        if now >= due[name]:
            import_string(path).enqueue()
            due[name] = now + every


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
                try:
                    tick(due, time.monotonic())
                except DatabaseError as exc:
                    # The database busy (SQLite's single writer held by a long job past the busy timeout) or
                    # briefly unreachable: say so and beat again in a second — a scheduler that died here
                    # would stop every deadline sweep (and `make run` stops everything when one part exits).
                    self.stderr.write(
                        f"scheduler: database unavailable ({type(exc).__name__}: {exc}); retrying"
                    )
                    close_old_connections()
                if once:
                    return
                time.sleep(1)
        except KeyboardInterrupt:
            pass
