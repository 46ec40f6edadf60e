"""`make run`: web (gunicorn) + task worker + scheduler in one terminal; Ctrl-C stops all three."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start web, worker and scheduler together (the embedded default)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args, bind="127.0.0.1:8000", **options):
        py = sys.executable
        manage = [py, str(settings.BASE_DIR / "manage.py")]
        env = dict(os.environ)
        worker = manage + (["rqworker", "default"] if settings.TASK_BACKEND == "rq" else ["db_worker"])
        procs = {
            "web": subprocess.Popen(
                [
                    py,
                    "-m",
                    "gunicorn",
                    "xiaoneng.wsgi",
                    "--bind",
                    bind,
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                ],
                env=env,
            ),
            "worker": subprocess.Popen(worker, env=env),
            "scheduler": subprocess.Popen(manage + ["run_scheduler"], env=env),
        }

        def stop(*_):
            for p in procs.values():
                if p.poll() is None:
                    p.terminate()
            deadline = time.time() + 10
            for p in procs.values():
                try:
                    p.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    p.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
        try:
            while True:
                for name, p in procs.items():
                    if p.poll() is not None:
                        self.stderr.write(f"{name} exited with {p.returncode}; stopping the others.")
                        stop()
                        sys.exit(p.returncode or 1)
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\n正在停止 (stopping) …")
            stop()
