"""Benchmark of the public intake: complaints posted to Open311 (POST /open311/v2/requests.json with an api_key)
against gunicorn + PostgreSQL on loopback, and a bare Django JSON endpoint in the same run as the baseline.

    .venv/bin/python bench/intake_bench.py [--seconds 20] [--connections 16] [--workers 4] [--keep]

Builds a fresh database ``xiaoneng_intake_bench`` on the local PostgreSQL (127.0.0.1:5432, user postgres; dropped
at the end unless ``--keep``), migrates it, loads the demo city (its efficiency offices receive the
complaints), issues an Open311 key, and starts gunicorn (sync workers, persistent database connections) with
bench/intake_bench_conf.py: the product's settings plus one bare JSON view at /bench/bare.json. Rate limits are
lifted for the run (XIAONENG_RATE_LIMITS) and the cache is Redis when one answers on 127.0.0.1:6379 (as in
production), else each worker's local memory.

The load generator is asyncio on raw sockets in this process (one request per connection, as gunicorn's sync
workers answer): N connections in a closed loop, each posting a complaint with a unique token (spread over
the demo's units and the categories), for a warm-up and then the measured seconds. It reports sustained
complaints/s, p50/p95/p99 latency, errors, and acknowledged (200 with a service_request_id) against stored
(rows with the bench's tokens counted in the database afterwards: they must be equal — nothing acknowledged
is lost); then the same closed loop against the bare endpoint, and the ratio. It also prints the SQL
statements one submission makes (measured in-process). Targets (printed, never asserted): ≥ 300 complaints/s
on 2 cores, zero lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.ok = 0
        self.errors = 0
        self.ids: set[str] = set()


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


async def closed_loop(port: int, make, connections: int, seconds: float, stats: Stats | None) -> None:
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

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
            marker = b'"service_request_id": "'
            if status == 200 and marker in body:
                stats.ok += 1
                start = body.index(marker) + len(marker)
                stats.ids.add(body[start : body.index(b'"', start)].decode())
            else:
                stats.errors += 1

    await asyncio.gather(*(worker() for _i in range(connections)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_load(port: int, make, connections: int, warmup: float, seconds: float) -> tuple[Stats, float]:
    asyncio.run(closed_loop(port, make, connections, warmup, None))
    stats = Stats()
    t0 = time.perf_counter()
    asyncio.run(closed_loop(port, make, connections, seconds, stats))
    return stats, time.perf_counter() - t0


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


def queries_per_submit(key: str, unit: str, category: str) -> int:
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            resp = client.post(
                "/open311/v2/requests.json",
                {
                    "api_key": key,
                    "service_code": category,
                    "attribute[unit]": unit,
                    "description": "查询计数",
                },
            )
        assert resp.status_code == 200, resp.content
        transaction.set_rollback(True)
    return len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
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
    }
    cache = "Redis (127.0.0.1:6379/14)" if redis_up() else "local memory per worker"
    if redis_up():
        env["BENCH_REDIS_URL"] = "redis://127.0.0.1:6379/14"
    os.environ.update(env)
    gunicorn = None
    try:
        with psycopg.connect(f"{SERVER}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        print(
            f"intake benchmark: gunicorn ({args.workers} sync workers) + PostgreSQL {pg_version} on 127.0.0.1, "
            f"database {DB_NAME} (new), cache {cache}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
            f"load: asyncio, {args.connections} connections, closed loop, {args.warmup:.0f} s warm-up + "
            f"{args.seconds:.0f} s measured per phase; the generator shares the CPUs"
        )
        key, units, categories = setup()
        print(
            f"SQL statements per submission (in-process, one POST): {queries_per_submit(key, units[0], categories[0])}"
        )

        port = free_port()
        gunicorn = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "xiaoneng.wsgi:application",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--pythonpath",
                f"{ROOT / 'src'},{ROOT / 'bench'}",
            ],
            env=dict(os.environ),
            start_new_session=True,
        )
        for _i in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        from xiaoneng.complaints.models import Complaint

        stored_before = Complaint.objects.filter(idempotency_key__startswith=f"open311:{TOKEN_TAG}-").count()

        def complaint(i: int) -> bytes:
            return build(
                port,
                "/open311/v2/requests.json",
                {
                    "api_key": key,
                    "service_code": categories[i % len(categories)],
                    "attribute[unit]": units[i % len(units)],
                    "description": f"第{i}号压测投诉：窗口人员办事拖拉，群众来回跑了三次。",
                    "first_name": "测",
                    "last_name": "试",
                    "phone": f"139{i % 10**8:08d}",
                    "token": f"{TOKEN_TAG}-{os.getpid()}-{i}",
                },
            )

        stats, elapsed = run_load(port, complaint, args.connections, args.warmup, args.seconds)
        stored = Complaint.objects.filter(tracking_no__in=list(stats.ids)).count()
        total_stored = Complaint.objects.filter(idempotency_key__startswith=f"open311:{TOKEN_TAG}-").count()
        rate = stats.ok / elapsed

        def bare(i: int) -> bytes:
            return build(
                port, "/bench/bare.json", {"api_key": key, "description": f"第{i}号", "token": str(i)}
            )

        bare_stats, bare_elapsed = run_load(port, bare, args.connections, args.warmup, args.seconds)
        # The bare view answers [{"ok": true}] (no service_request_id): every answer counts.
        bare_rate = len(bare_stats.latencies) / bare_elapsed

        ms = 1000
        print(
            f"intake: {stats.ok} complaints acknowledged in {elapsed:.1f} s = {rate:.0f} complaints/s "
            f"(target ≥ {TARGET:.0f}: {'ok' if rate >= TARGET else 'MISS'}); latency p50 "
            f"{percentile(stats.latencies, 50) * ms:.1f} ms, p95 {percentile(stats.latencies, 95) * ms:.1f} ms, "
            f"p99 {percentile(stats.latencies, 99) * ms:.1f} ms; errors {stats.errors}"
        )
        lost = stats.ok - stored
        print(
            f"acknowledged == stored: {stats.ok} acknowledged, {stored} of them in the database "
            f"({'ok, none lost' if lost == 0 else f'LOST {lost}'}); all bench rows incl. warm-up: "
            f"{total_stored - stored_before}"
        )
        print(
            f"baseline: bare Django JSON endpoint {bare_rate:.0f} requests/s, p95 "
            f"{percentile(bare_stats.latencies, 95) * ms:.1f} ms; intake / bare = {rate / bare_rate:.2f}"
        )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        return 0 if lost == 0 else 1
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if not args.keep:
            drop_database()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
