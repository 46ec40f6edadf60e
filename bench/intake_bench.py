"""Benchmark of the public intake: complaints posted to Open311 (POST /open311/v2/requests.json with an api_key)
against gunicorn + PostgreSQL on loopback, with the registration worker running beside it as in production; the
same Open311 POST as it was before the intake queue, and a bare Django JSON endpoint, in the same run.

    .venv/bin/python bench/intake_bench.py [--seconds 20] [--rounds 4] [--connections 16] [--workers 4]
                                           [--worker-nice 10] [--keep]

Builds a fresh database ``xiaoneng_intake_bench`` on the local PostgreSQL (127.0.0.1:5432, user postgres; dropped
at the end unless ``--keep``), migrates it, loads the demo city (its efficiency offices receive the complaints),
issues an Open311 key, and starts gunicorn (sync workers, persistent database connections) with
bench/intake_bench_conf.py: the product's settings plus the bench's two extra views (intake_bench_urls.py). Rate
limits are lifted for the run (XIAONENG_RATE_LIMITS) and the cache is Redis when one answers on 127.0.0.1:6379
(as in production), else each worker's local memory. The registration worker is the product's: one
``manage.py db_worker`` process (django-tasks' database backend, the embedded default), fed by the task each web
process enqueues after a submission's commit (intake.kick: one deferred task per process at a time).

The load generator is asyncio on raw sockets in this process (one request per connection, as gunicorn's sync
workers answer): N connections in a closed loop, each posting a complaint with a unique token (spread over the
demo's units and the categories), for a warm-up and then the measured seconds. Three phases, which take turns
(``--rounds``, default 4, so that whatever else the machine runs meanwhile falls on all three alike):

1. before — POST /open311/bench-direct.json: the Open311 POST as it was before the queue (services.submit in the
   request: the work item, the clock, the audit chain's lock held to the commit). Complaints/s, latency.
2. queued — POST /open311/v2/requests.json (the product): acknowledged/s (200 with a token) and latency while the
   worker registers alongside (at ``--worker-nice``, default 10: the acknowledgements come first), registered/s
   while those phases ran, the largest backlog, and after the last turn the wait until the worker has drained
   the queue. Checked: acknowledged == stored (the queue's rows for the acknowledged tokens) == registered
   (complaints with those rows' keys), and the audit chain verifies.
3. bare — a bare Django JSON view with the same middleware.

It also prints, measured in-process (one POST at a time, test client, no concurrency), the SQL statements and the
wall time of one submission by each path. Targets (printed, never asserted): ≥ 300 complaints/s on 2 cores, zero
lost. The generator, gunicorn, the worker and PostgreSQL share the machine's CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

DB_NAME = "xiaoneng_intake_bench"
SERVER = "postgresql://postgres@127.0.0.1:5432"
TARGET = 300.0
TOKEN_TAG = "bench"
DRAIN_TIMEOUT = 600.0


def prepare_database() -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the load generator ---------------------------------------------------------------------------------------


class Stats:
    def __init__(self, marker: bytes) -> None:
        self.marker = marker  # what an acknowledgement carries: b'"token": "' or b'"service_request_id": "'
        self.latencies: list[float] = []
        self.ok = 0
        self.errors = 0
        self.statuses: dict[
            int, int
        ] = {}  # the answers that were not acknowledgements, by status (0: no answer)
        self.values: set[str] = set()


async def one(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        data = await reader.read()  # Connection: close — the answer ends with the connection
    finally:
        writer.close()
    head, _sep, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body


def build(port: int, path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


# One numbering for every loop of the run: each request's token is new (a repeated token is a retry, which the
# intake answers with the first submission — correct, but not a new complaint).
COUNTER = itertools.count()


async def closed_loop(port: int, make, connections: int, seconds: float, stats: Stats | None) -> None:
    deadline = time.perf_counter() + seconds
    counter = COUNTER

    async def worker() -> None:
        while time.perf_counter() < deadline:
            request = make(next(counter))
            t0 = time.perf_counter()
            try:
                status, body = await one(port, request)
            except OSError:
                status, body = 0, b""
            if stats is None:
                continue
            stats.latencies.append(time.perf_counter() - t0)
            if status == 200 and stats.marker in body:
                stats.ok += 1
                start = body.index(stats.marker) + len(stats.marker)
                stats.values.add(body[start : body.index(b'"', start)].decode())
            else:
                stats.errors += 1
                stats.statuses[status] = stats.statuses.get(status, 0) + 1

    await asyncio.gather(*(worker() for _i in range(connections)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_load(
    port: int, make, connections: int, warmup: float, seconds: float, marker: bytes
) -> tuple[Stats, float]:
    asyncio.run(closed_loop(port, make, connections, warmup, None))
    stats = Stats(marker)
    t0 = time.perf_counter()
    asyncio.run(closed_loop(port, make, connections, seconds, stats))
    return stats, time.perf_counter() - t0


def latency(stats: Stats) -> str:
    ms = 1000
    return (
        f"p50 {percentile(stats.latencies, 50) * ms:.1f} ms, p95 {percentile(stats.latencies, 95) * ms:.1f} ms, "
        f"p99 {percentile(stats.latencies, 99) * ms:.1f} ms; errors {stats.errors}"
        + (f" {stats.statuses}" if stats.statuses else "")
    )


# --- the queue, watched from outside ----------------------------------------------------------------------------


def queue_counts() -> dict[str, int]:
    with psycopg.connect(f"{SERVER}/{DB_NAME}", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM complaints_intakerequest GROUP BY status"
        ).fetchall()
    return {"pending": 0, "registered": 0, "failed": 0, **dict(rows)}


class Watcher(threading.Thread):
    """Samples the queue every half second: the largest backlog seen, and when registration catches up."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.samples: list[tuple[float, dict[str, int]]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.perf_counter(), queue_counts()))
            self.stop.wait(0.5)


# --- the run --------------------------------------------------------------------------------------------------


def setup() -> tuple[str, list[str], list[str]]:
    import django

    django.setup()
    from django.core.management import call_command

    from xiaoneng.complaints.management.commands.open311_apikey import issue_key
    from xiaoneng.complaints.models import Category
    from xiaoneng.org import demo
    from xiaoneng.org.models import Unit

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo.seed()
    key = issue_key("intake-bench")
    # The demo's background loaders (a year of cases …) are not this bench's work: the worker starts on an empty
    # task queue.
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    units = list(
        Unit.objects.filter(is_active=True, handles_complaints=False)
        .order_by("code")
        .values_list("code", flat=True)
    )
    categories = list(Category.objects.filter(active=True).values_list("code", flat=True))
    print(
        f"setup: migrate + demo city + key in {time.perf_counter() - t0:.1f} s "
        f"({len(units)} units complained about, {len(categories)} categories)"
    )
    return key, units, categories


def in_process(key: str, unit: str, category: str) -> dict[str, tuple[int, float]]:
    """Per path: SQL statements of one POST and its mean wall time over 50 POSTs (test client, one at a time,
    rolled back)."""
    from django.db import connection, transaction
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    out = {}
    for label, path in (("before", "/open311/bench-direct.json"), ("queued", "/open311/v2/requests.json")):
        with transaction.atomic():
            form = {"api_key": key, "service_code": category, "attribute[unit]": unit, "phone": "13900000000"}
            for i in range(5):  # warm caches (calendar, categories)
                client.post(path, {**form, "description": "预热", "token": f"warm-{label}-{i}"})
            statements: list[str] = []

            def count(execute, sql, *rest, statements=statements):
                statements.append(sql)
                return execute(sql, *rest)

            with connection.execute_wrapper(count):
                resp = client.post(path, {**form, "description": "查询计数", "token": f"count-{label}"})
            assert resp.status_code == 200, resp.content
            n = 50
            t0 = time.perf_counter()
            for i in range(n):
                client.post(path, {**form, "description": "计时", "token": f"time-{label}-{i}"})
            out[label] = (len(statements), (time.perf_counter() - t0) / n)
            transaction.set_rollback(True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="measured seconds per phase, over all rounds (default 20)"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="niceness of the registration worker (default 10: acknowledgements first, registration catches up)",
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="the phases take turns this many times (default 4)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    prepare_database()
    var_dir = Path(tempfile.mkdtemp(prefix="xiaoneng_intake_"))
    (var_dir / "static").mkdir()
    env = {
        "XIAONENG_DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "XIAONENG_DB_CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "intake_bench_conf",
        "XIAONENG_VAR_DIR": str(var_dir),
        "XIAONENG_DEMO_MODE": "1",
        "XIAONENG_DEBUG": "0",
        "XIAONENG_LOG_LEVEL": "WARNING",
        "XIAONENG_TASK_BACKEND": "database",
        "XIAONENG_RATE_LIMITS": "open311_post=100000000/60,open311_get=100000000/60",
        "XIAONENG_DEMO_ROUTINE_ITEMS": "0",
        "XIAONENG_DEMO_ESERVICE_CASES": "0",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT / 'bench'}",
    }
    cache = "Redis (127.0.0.1:6379/14)" if redis_up() else "local memory per worker"
    if redis_up():
        env["BENCH_REDIS_URL"] = "redis://127.0.0.1:6379/14"
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        with psycopg.connect(f"{SERVER}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        print(
            f"intake benchmark: gunicorn ({args.workers} sync workers) + 1 registration worker (manage.py "
            f"db_worker, database task backend, nice {args.worker_nice}) + PostgreSQL {pg_version} on 127.0.0.1, "
            f"database {DB_NAME} (new), "
            f"cache {cache}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load: asyncio in this process, "
            f"{args.connections} connections, closed loop; the three phases take turns {args.rounds} times, "
            f"{args.seconds:.0f} s measured per phase in all ({args.warmup:.0f} s warm-up first, 1 s before each "
            "later turn); generator, web, worker and database share the CPUs"
        )
        key, units, categories = setup()
        measured = in_process(key, units[0], categories[0])
        for label, (queries, seconds) in measured.items():
            print(
                f"in-process, one POST at a time ({label}): {queries} SQL statements, {seconds * 1000:.1f} ms wall"
            )

        port = free_port()
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv" / "bin" / "gunicorn"),
                    "xiaoneng.wsgi:application",
                    "--workers",
                    str(args.workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                env=dict(os.environ),
                start_new_session=True,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    "nice",
                    "-n",
                    str(args.worker_nice),
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "db_worker",
                    "--interval",
                    "0.5",
                    "--no-startup-delay",
                    "--no-reload",
                    "--verbosity",
                    "0",
                ],
                env=dict(os.environ),
                start_new_session=True,
            )
        )
        for _i in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        from xiaoneng.complaints.models import Complaint, IntakeRequest, Open311Client
        from xiaoneng.core import audit

        client_pk = Open311Client.objects.get(name="intake-bench").pk

        def form(i: int, tag: str) -> dict[str, str]:
            return {
                "api_key": key,
                "service_code": categories[i % len(categories)],
                "attribute[unit]": units[i % len(units)],
                "description": f"第{i}号压测投诉：窗口人员办事拖拉，群众来回跑了三次。",
                "first_name": "测",
                "last_name": "试",
                "phone": f"139{i % 10**8:08d}",
                "token": f"{TOKEN_TAG}-{tag}-{os.getpid()}-{i}",
            }

        # The three phases take turns, `rounds` times, so a change in what else runs on the machine (other
        # processes share its CPUs) falls on all three alike.
        phases = {
            "before": ("/open311/bench-direct.json", b'"service_request_id": "', "direct"),
            "queued": ("/open311/v2/requests.json", b'"token": "', "queued"),
            "bare": ("/bench/bare.json", b'"ok": true', "bare"),
        }
        totals = {name: Stats(marker) for name, (_p, marker, _t) in phases.items()}
        elapsed = dict.fromkeys(phases, 0.0)
        rates: dict[str, list[float]] = {name: [] for name in phases}
        queued_registered, queued_turns = 0, 0.0
        watcher = Watcher()
        watcher.start()
        for r in range(args.rounds):
            for name, (path, marker, tag) in phases.items():

                def make(i: int, path=path, tag=tag) -> bytes:
                    return build(port, path, form(i, tag))

                if name == "queued":
                    before_counts, turn_start = queue_counts(), time.perf_counter()
                stats, seconds = run_load(
                    port,
                    make,
                    args.connections,
                    args.warmup if r == 0 else 1.0,
                    args.seconds / args.rounds,
                    marker,
                )
                if name == "queued":  # warm-up included: the worker registers those rows too
                    queued_registered += queue_counts()["registered"] - before_counts["registered"]
                    queued_turns += time.perf_counter() - turn_start
                total = totals[name]
                total.latencies += stats.latencies
                total.ok += stats.ok
                total.errors += stats.errors
                total.values |= stats.values
                for status, n in stats.statuses.items():
                    total.statuses[status] = total.statuses.get(status, 0) + n
                elapsed[name] += seconds
                rates[name].append((stats.ok if name != "bare" else len(stats.latencies)) / seconds)
        t_load_end = time.perf_counter()
        at_load_end = queue_counts()
        while True:
            counts = queue_counts()
            if counts["pending"] == 0 or time.perf_counter() - t_load_end > DRAIN_TIMEOUT:
                break
            time.sleep(0.2)
        t_drained = time.perf_counter()
        watcher.stop.set()
        watcher.join()
        before, queued, bare = totals["before"], totals["queued"], totals["bare"]
        before_rate = before.ok / elapsed["before"]
        ack_rate = queued.ok / elapsed["queued"]
        bare_rate = len(bare.latencies) / elapsed["bare"]
        registered_rate = queued_registered / queued_turns
        before_stored = Complaint.objects.filter(tracking_no__in=list(before.values)).count()
        keys = [f"open311:{token}:{client_pk}" for token in queued.values]
        stored = IntakeRequest.objects.filter(idempotency_key__in=keys).count()
        registered_rows = IntakeRequest.objects.filter(idempotency_key__in=keys, status="registered").count()
        registered = Complaint.objects.filter(idempotency_key__in=keys).count()
        failed = IntakeRequest.objects.filter(status="failed").count()
        backlog = max(c["pending"] for _t, c in watcher.samples) if watcher.samples else 0
        t0 = time.perf_counter()
        chain = audit.verify()
        verify_seconds = time.perf_counter() - t0

        def spread(name: str) -> str:
            return "rounds " + ", ".join(f"{x:.0f}" for x in rates[name])

        print(
            f"before (services.submit in the request): {before.ok} complaints in {elapsed['before']:.1f} s = "
            f"{before_rate:.0f}/s ({spread('before')}); {latency(before)}; acknowledged == stored: "
            f"{before.ok} == {before_stored}"
        )
        print(
            f"queued (the product): {queued.ok} acknowledged in {elapsed['queued']:.1f} s = {ack_rate:.0f}/s "
            f"({spread('queued')}; target ≥ {TARGET:.0f}: {'ok' if ack_rate >= TARGET else 'MISS'}); "
            f"{latency(queued)}"
        )
        print(
            f"registration: {queued_registered} registered during the queued turns (warm-ups included, "
            f"{queued_turns:.1f} s) = {registered_rate:.0f}/s; "
            f"largest backlog seen {backlog}, {at_load_end['pending']} waiting at the end of the run, drained "
            f"{t_drained - t_load_end:.1f} s later; failed rows {failed}"
        )
        lost = queued.ok - registered
        print(
            f"acknowledged == stored == registered: {queued.ok} == {stored} == {registered} (rows marked "
            f"registered: {registered_rows}) — {'ok, none lost' if lost == 0 and stored == queued.ok else 'LOST'}; "
            f"audit chain: {'verifies' if chain.ok else 'BROKEN at ' + str(chain.broken_id)} "
            f"({chain.checked} rows, {verify_seconds:.1f} s)"
        )
        print(
            f"baseline: bare Django JSON endpoint {bare_rate:.0f} requests/s ({spread('bare')}), {latency(bare)}; "
            f"queued / bare = {ack_rate / bare_rate:.2f}, before / bare = {before_rate / bare_rate:.2f}, "
            f"queued / before = {ack_rate / before_rate:.1f}×"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        ok = lost == 0 and stored == queued.ok == registered_rows and chain.ok and before.ok == before_stored
        return 0 if ok else 1
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if not args.keep:
            drop_database()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
