"""Benchmark of the deadline sweep and the supervision ledger over many open items on PostgreSQL, in one run.

    .venv/bin/python bench/sweep_bench.py [--items 1000000] [--keep] [--naive 10000] [--per-item 2000] [--seed 7]

Builds a fresh database ``xiaoneng_bench`` on the local PostgreSQL (127.0.0.1:5432, user postgres; dropped at
the end unless ``--keep``; with ``--keep`` an existing bench database is reused and its next busy midnight is
swept), migrates it, loads the demo city (``xiaoneng.org.demo.seed``), gives every unit without one a liaison
(so the sweep's stage notifications cost what they cost in production) and seeds N open 督办事项 with SQL
(COPY into a staging table, then INSERT … SELECT into core_workitem and supervision_superviseditem): owner
units spread over the demo's units, starts over the year before the seed instant (10:00 of the last working
day), limits 5–120wd and 15–180d; 15% of them with one or two co-units (core_workitem_units), so a unit's
liaison sees items it takes part in as well as its own. Then VACUUM ANALYZE of every table (statistics before
anything is read, as docs/deployment.md asks after a bulk load) and the index statistics reset. Deadline, warning and red boundaries, stage and next check time come from the
clock's bulk path (``bulk_deadlines`` over ``clock_service.calendar()``), checked against ``clock.stage_at``
on a sample and against ``refresh_clock`` on items read back from the database. Baseline for the seeding:
``supervision.services.issue`` on a few items (rolled back). Then it times

- the sweep (``workitem.sweep(now=…)``, in batches): a typical minute (10:01 of that working day), the busiest
  minute (00:00 after it: every working-day limit ends at 24:00, so every warning, deadline and red boundary of
  the day falls due at once) with ``settings.SWEEP_WORKERS`` walks at once, and again at the same instant
  (idempotency: nothing left to check), with the cards and messages written; the next busy midnight with one
  walk, its SQL statements per item and per batch counted and its CPU time split between this process and the
  server's backend (read from /proc: the machine is shared, so wall-clock times move with the load). Baselines
  in the same run: that midnight swept first four times by one walk and rolled back, alternately with
  core_workitem's indexes as before migration core.0010 (13) and as now (6), paired on the same items; the
  per-item sweep the product had before (one transaction and a dozen statements per item,
  copied here) on the first ``--per-item`` items due at the busy midnight after that, committed, extrapolated
  to the busiest minute — the bulk sweep then takes the rest of that midnight; and re-evaluating every open
  item (reading it and ``refresh_clock`` on a random sample, extrapolated to all open items);
- the ledger as the page and the API read it (``supervision.selectors.ledger_from_params`` paged by
  ``LEDGER_ORDER.page``, core/paging.py: keyset on (deadline, id), walking the index of migration core.0008; one
  unit's items as two streams merged, its own by the (owner_unit, deadline, id) index of migration core.0010 and
  those it takes part in keyed by the co-unit table's (unit, deadline, workitem) index of migration core.0011,
  ``paging.covered_by``; the co-unit rows are COPYed after the items, so the database's trigger fills in their
  copy of the deadline as it does for the product's inserts) as the city (``supervisor``), a district
  supervisor (``supervisor_dh``), a unit's liaison (``liaison``, 市科技局) and the city filtered by that unit
  (lead or co-unit): the capped count (共 1000+ 项), the first page, a deep page (the middle, from the cursor a
  next link carries) and the page before it, 50 rows with the work item and owner unit the page shows; and the
  whole request (HTML page first and deep, API deep) through ``django.test.Client``. Baselines in the same run:
  one unit's ledger read as one query per page as before the streams (the cover removed: count, first and deep
  page), and what the ledger did before keyset pages (the co-unit filter as a join, DISTINCT, the paginator's
  exact COUNT and OFFSET pages), each statement cut off after 30 s (at a million items the old unit filter's
  plan runs for many minutes). Median of 5 runs each.

Times are wall-clock seconds (``time.perf_counter``): the database works in another process, on the same
2 cores (the load average is printed). No assertion on speed: the figures and the targets (a sweep minute
< 2 s, a ledger page < 100 ms) are printed with ok / MISS. At the end: which indexes the run read
(pg_stat_user_indexes since the seeding) and how many of core_workitem's updates were heap-only (HOT).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DB_NAME = os.environ.get("XIAONENG_BENCH_DB", "xiaoneng_bench")  # another name lets two runs share the server
SERVER = "postgresql://postgres@127.0.0.1:5432"
SH = ZoneInfo("Asia/Shanghai")
DAY = 86_400
MINUTES_PER_YEAR = 365 * 24 * 60
SWEEP_TARGET_S = 2.0
PAGE_TARGET_S = 0.100
PAGE = 50
RUNS = 5
BASELINE_TIMEOUT_S = 30
ORM_SAMPLE = 200

# The seeded limits: (amount, unit, share). Working days as supervisors set them, and natural days as a due date
# given on the issue form becomes (services.limit_until).
LIMITS = [
    (5, "wd", 0.05),
    (10, "wd", 0.15),
    (20, "wd", 0.30),
    (30, "wd", 0.10),
    (40, "wd", 0.10),
    (60, "wd", 0.05),
    (120, "wd", 0.05),
    (15, "d", 0.05),
    (30, "d", 0.05),
    (60, "d", 0.05),
    (90, "d", 0.03),
    (180, "d", 0.02),
]
STAGES = ["normal", "warning", "yellow", "red"]
CO_UNIT_SHARE = 0.15  # items with co-units (one or two)
STATES = ["issued", "signed"]
URGENCIES = (["normal", "urgent", "extra"], [0.7, 0.2, 0.1])

IntArray = npt.NDArray[np.int64]
now = time.perf_counter


# -- the database -------------------------------------------------------------------------------------------


def prepare_database(keep: bool) -> bool:
    """Create the bench database; True when it is new (False: --keep and it exists, reused as it is)."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and keep:
            return False
        if exists:
            conn.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return True


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def sql(query: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


def read_meta() -> dict[str, Any] | None:
    if not sql("SELECT 1 FROM pg_tables WHERE tablename = 'bench_sweep_meta'"):
        return None
    rows = sql("SELECT value FROM bench_sweep_meta WHERE key = 'meta'")
    return json.loads(rows[0][0]) if rows else None


def write_meta(meta: dict[str, Any]) -> None:
    sql("CREATE TABLE IF NOT EXISTS bench_sweep_meta (key text PRIMARY KEY, value text NOT NULL)")
    sql(
        "INSERT INTO bench_sweep_meta VALUES ('meta', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(meta)],
    )


def check_columns(table: str, provided: set[str]) -> None:
    """Refuse to seed when the table gained a NOT NULL column without a default that the seed does not fill
    (someone changed the model): better a clear stop than rows the product would not write."""
    rows = sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    missing = {r[0] for r in rows} - provided
    if missing:
        raise SystemExit(f"{table} has required columns this benchmark does not fill: {sorted(missing)}")


# -- the calendar moments -----------------------------------------------------------------------------------


def busy_midnight(cal: Any, after: date | None) -> tuple[datetime, datetime]:
    """(10:00 of a working day D, 24:00 of D): D is the last working day that has ended (or the first working
    day after `after`, when a kept database was swept already)."""
    if after is None:
        day = datetime.now(SH).date() - timedelta(days=1)
        while not cal.is_workday(day):
            day -= timedelta(days=1)
    else:
        day = after + timedelta(days=1)
        while not cal.is_workday(day):
            day += timedelta(days=1)
    morning = datetime(day.year, day.month, day.day, 10, tzinfo=SH)
    midnight = datetime(day.year, day.month, day.day, tzinfo=SH) + timedelta(days=1)
    return morning, midnight


# -- seeding ------------------------------------------------------------------------------------------------


def thresholds() -> tuple[int, int]:
    """The supervision kind's warning and red thresholds in working days (what the seed computes in bulk)."""
    from xiaoneng.clock import Limit, Unit
    from xiaoneng.core.workitem import kinds

    kind = kinds()["supervision"]
    warning, red = Limit.parse(kind.warning), Limit.parse(kind.red_after)
    if warning.unit is not Unit.WORKDAYS or red.unit is not Unit.WORKDAYS:
        raise SystemExit(
            f"the seed computes wd thresholds; the kind has {kind.warning!r} / {kind.red_after!r}"
        )
    return warning.amount, red.amount


def compute_items(cal: Any, n: int, ref: datetime, seed: int) -> dict[str, IntArray]:
    """N open items started over the year before `ref`: deadline, warning and red boundaries, stage at `ref` and
    next check time, all in bulk (int64 epoch seconds)."""
    from xiaoneng.clock import bulk_deadlines
    from xiaoneng.clock.calendars import EPOCH0_S

    warn_wd, red_wd = thresholds()
    rng = np.random.default_rng(seed)
    ref_s = int(ref.timestamp())
    start = np.sort(rng.integers(ref_s - 365 * DAY, ref_s, n, dtype=np.int64))
    lim = rng.choice(len(LIMITS), n, p=[share for _, _, share in LIMITS]).astype(np.int64)
    amount = np.array([a for a, _, _ in LIMITS], dtype=np.int64)[lim]
    unit = np.array([0 if u == "wd" else 1 for _, u, _ in LIMITS], dtype=np.int64)[lim]
    deadline, provisional = bulk_deadlines(cal, start, amount, unit)
    # The stage boundaries are counted in working days from the start, as clock.stage_at does: the limit's
    # measure in working days (a natural-day limit spans fewer), minus the warning, plus the red threshold.
    ix = cal.index
    shift = ix.offset_s - EPOCH0_S
    first = (start + shift) // DAY + 1  # counting starts the day after the start day
    end = (deadline + shift) // DAY  # the deadline is 24:00 of the last day
    measure = ix.count_before[end] - ix.count_before[first]
    early = measure - warn_wd
    warning = np.where(
        early > 0, bulk_deadlines(cal, start, np.maximum(early, 1), 0)[0], start
    )  # instant_at: the start itself when nothing is left before the warning
    warning = np.minimum(warning, deadline)
    red = bulk_deadlines(cal, start, measure + red_wd, 0)[0]
    stage = np.select([ref_s >= red, ref_s >= deadline, ref_s >= warning], [3, 2, 1], 0).astype(np.int64)
    nxt = np.where(warning > ref_s, warning, np.where(deadline > ref_s, deadline, red))
    nxt = np.where(stage == 3, -1, nxt)  # red: no next change (NULL)
    sign = bulk_deadlines(cal, start, 1, 0)[0]  # supervision.workflow.SIGN_LIMIT
    state = np.where((ref_s - start < 2 * DAY) | (rng.random(n) < 0.03), 0, 1)  # recent ones not signed yet
    return {
        "start": start,
        "lim": lim,
        "amount": amount,
        "unit": unit,
        "deadline": deadline,
        "provisional": provisional.astype(np.int64),
        "warning": warning,
        "red": red,
        "stage": stage,
        "next": nxt,
        "sign": sign,
        "state": state.astype(np.int64),
    }


def verify_clock(cal: Any, items: dict[str, IntArray], ref: datetime, sample: int, seed: int) -> int:
    """Compare the bulk figures with clock.stage_at, row by row, on a sample: how many rows disagree."""
    from xiaoneng.clock import Limit, StagePolicy, Unit, stage_at
    from xiaoneng.core.workitem import kinds

    kind = kinds()["supervision"]
    policy = StagePolicy(warning=kind.warning, red=kind.red_after)
    rng = np.random.default_rng(seed + 1)
    bad = 0
    for i in rng.choice(items["start"].size, min(sample, items["start"].size), replace=False).tolist():
        info = stage_at(
            cal,
            datetime.fromtimestamp(int(items["start"][i]), SH),
            Limit(int(items["amount"][i]), Unit.WORKDAYS if items["unit"][i] == 0 else Unit.DAYS),
            ref,
            policy,
        )
        nxt = -1 if info.next_change is None else int(info.next_change.timestamp())
        if (
            int(info.deadline.timestamp()) != items["deadline"][i]
            or info.deadline_provisional != bool(items["provisional"][i])
            or info.stage.value != STAGES[items["stage"][i]]
            or nxt != items["next"][i]
        ):
            bad += 1
    return bad


def add_liaisons() -> int:
    """One liaison per unit that has none (the demo gives liaisons to a few units only; in production every unit
    has one): the sweep's stage notifications then cost what they cost in production."""
    from django.contrib.auth.hashers import make_password

    from xiaoneng.org.models import Unit, User
    from xiaoneng.org.roles import Role

    have = set(User.objects.filter(role=Role.LIAISON, is_active=True).values_list("unit_id", flat=True))
    password = make_password(None)
    new = [
        User(
            username=f"bench_liaison_{u.pk}",
            password=password,
            role=Role.LIAISON,
            unit=u,
            first_name=f"{u.short_name or u.name}联络员",
        )
        for u in Unit.objects.exclude(pk__in=have)
    ]
    User.objects.bulk_create(new)
    return len(new)


def seed_items(items: dict[str, IntArray], ref: datetime, seed: int) -> tuple[int, dict[str, float]]:
    """Insert the items: a staging table by COPY, then one INSERT … SELECT into core_workitem and one into
    supervision_superviseditem. Returns (first id, seconds per step)."""
    from django.db import connection

    from xiaoneng.org.models import Unit, User
    from xiaoneng.supervision.demo import TASKS
    from xiaoneng.supervision.models import Source

    check_columns(
        "core_workitem",
        {
            "kind",
            "title",
            "state",
            "owner_unit_id",
            "region_path",
            "started_at",
            "limit",
            "office_close",
            "provisional",
            "stage",
            "version",
            "created_at",
            "updated_at",
        },
    )
    check_columns(
        "supervision_superviseditem",
        {
            "work_item_id",
            "source",
            "reference_no",
            "category",
            "urgency",
            "description",
            "cadence",
            "quality",
            "sign_flagged",
        },
    )
    n = items["start"].size
    rng = np.random.default_rng(seed + 2)
    unit_ids = np.array(sorted(Unit.objects.values_list("pk", flat=True)), dtype=np.int64)
    unit = unit_ids[rng.integers(0, unit_ids.size, n)]
    sources = list(Source.values)
    source = rng.integers(0, len(sources), n)
    urgency = rng.choice(len(URGENCIES[0]), n, p=URGENCIES[1])
    creator = User.objects.get(username="supervisor").pk
    t0 = now()
    sql(
        "CREATE UNLOGGED TABLE bench_stage (i int, unit_id bigint, start_s bigint, lim smallint, deadline_s bigint, "
        "prov bool, stage smallint, next_s bigint, state smallint, sign_s bigint, source smallint, urgency smallint)"
    )
    columns = [
        unit,
        items["start"],
        items["lim"],
        items["deadline"],
        items["provisional"].astype(bool),
        items["stage"],
        np.where(items["next"] < 0, 0, items["next"]),
        items["state"],
        items["sign"],
        source,
        urgency,
    ]
    lists = [c.tolist() for c in columns]
    no_next = (items["next"] < 0).tolist()
    with connection.cursor() as cur:
        raw = cur.cursor  # psycopg's own cursor, for COPY
        with raw.copy("COPY bench_stage FROM STDIN") as copy:
            for i, row in enumerate(zip(*lists, strict=True)):
                if no_next[i]:
                    row = (*row[:6], None, *row[7:])
                copy.write_row((i, *row))
    steps = {"COPY to a staging table": now() - t0}
    t0 = now()
    first = (sql("SELECT COALESCE(MAX(id), 0) FROM core_workitem")[0][0] or 0) + 1
    titles = [t[0] for t in TASKS]
    limits = [f"{a}{u}" for a, u, _ in LIMITS]
    sql(
        """
        INSERT INTO core_workitem (id, kind, title, state, owner_unit_id, owner_person_id, region_path,
            created_by_id, started_at, "limit", office_close, deadline, provisional, stage, next_check_at,
            closed_at, version, created_at, updated_at)
        SELECT %(first)s + s.i, 'supervision',
            (%(titles)s::text[])[1 + s.i %% %(n_titles)s] || '（' || (%(first)s + s.i) || '）',
            (%(states)s::text[])[1 + s.state], s.unit_id, NULL, r.path, %(creator)s, to_timestamp(s.start_s),
            (%(limits)s::text[])[1 + s.lim], false, to_timestamp(s.deadline_s), s.prov,
            (%(stages)s::text[])[1 + s.stage], to_timestamp(s.next_s), NULL, 1, to_timestamp(s.start_s),
            %(ref)s
        FROM bench_stage s JOIN org_unit u ON u.id = s.unit_id JOIN org_region r ON r.id = u.region_id
        ORDER BY s.i
        """,
        {
            "first": first,
            "titles": titles,
            "n_titles": len(titles),
            "states": STATES,
            "creator": creator,
            "limits": limits,
            "stages": STAGES,
            "ref": ref,
        },
    )
    steps["INSERT … SELECT core_workitem"] = now() - t0
    t0 = now()
    sql(
        """
        INSERT INTO supervision_superviseditem (work_item_id, source, reference_no, category, urgency,
            description, responsible_leader_id, cadence, parent_id, quality, sign_deadline, report_due,
            report_flagged, sign_flagged)
        SELECT %(first)s + s.i, (%(sources)s::text[])[1 + s.source],
            CASE WHEN s.i %% 3 = 0 THEN '青政办〔2026〕' || (s.i %% 97 + 1) || '号' ELSE '' END, '',
            (%(urgencies)s::text[])[1 + s.urgency], '', NULL, 'none', NULL, '', to_timestamp(s.sign_s), NULL,
            NULL, s.state = 0 AND s.sign_s <= %(ref_s)s
        FROM bench_stage s ORDER BY s.i
        """,
        {
            "first": first,
            "sources": sources,
            "urgencies": URGENCIES[0],
            "ref_s": int(ref.timestamp()),
        },
    )
    sql("SELECT setval(pg_get_serial_sequence('core_workitem', 'id'), (SELECT MAX(id) FROM core_workitem))")
    sql("DROP TABLE bench_stage")
    steps["INSERT … SELECT supervision_superviseditem"] = now() - t0
    t0 = now()
    pairs = co_units(unit, unit_ids, rng)
    with connection.cursor() as cur:
        with cur.cursor.copy("COPY core_workitem_units (workitem_id, unit_id) FROM STDIN") as copy:
            for i, u in pairs.tolist():
                copy.write_row((first + i, u))
    steps[f"COPY {len(pairs):,} co-unit rows"] = now() - t0
    return first, steps


def co_units(owner: IntArray, unit_ids: IntArray, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """(item index, unit) pairs: CO_UNIT_SHARE of the items get one or two co-units (协办单位) other than the lead
    unit, so a unit's ledger holds items it takes part in as well as its own (a liaison's scope)."""
    n = owner.size
    chosen = np.flatnonzero(rng.random(n) < CO_UNIT_SHARE)
    first = unit_ids[rng.integers(0, unit_ids.size, chosen.size)]
    two = chosen[rng.random(chosen.size) < 0.5]
    second = unit_ids[rng.integers(0, unit_ids.size, two.size)]
    pairs = np.concatenate([np.stack([chosen, first], 1), np.stack([two, second], 1)])
    pairs = pairs[pairs[:, 1] != owner[pairs[:, 0]]]
    return np.unique(pairs, axis=0)


def orm_issue_rate(count: int) -> float:
    """The product's own path for comparison: services.issue (work item, supervision row, timeline, audit
    chain, notifications) for `count` items in one transaction that is rolled back. Items per second."""
    from django.db import transaction

    from xiaoneng.org.models import Unit, User
    from xiaoneng.supervision import services

    class Rollback(Exception):
        pass

    supervisor = User.objects.get(username="supervisor")
    units = list(Unit.objects.order_by("pk"))
    elapsed = 0.0
    try:
        with transaction.atomic():
            t0 = now()
            for i in range(count):
                services.issue(
                    actor=supervisor,
                    title=f"基准测试事项 {i}",
                    source="meeting",
                    lead_unit=units[i % len(units)],
                    limit="20wd",
                )
            elapsed = now() - t0
            raise Rollback
    except Rollback:
        pass
    return count / elapsed


def verify_rows(first: int, n: int, ref: datetime, sample: int, seed: int) -> int:
    """Read a sample of seeded items back and run the product's refresh_clock at the seed instant: how many
    rows would it change (deadline, provisional mark, stage or next check time)."""
    from xiaoneng.core.models import WorkItem
    from xiaoneng.core.workitem import refresh_clock

    rng = np.random.default_rng(seed + 3)
    ids = (first + rng.choice(n, min(sample, n), replace=False)).tolist()
    bad = 0
    for item in WorkItem.objects.filter(pk__in=ids):
        before = (item.deadline, item.provisional, item.stage, item.next_check_at)
        refresh_clock(item, ref)
        if (item.deadline, item.provisional, item.stage, item.next_check_at) != before:
            bad += 1
    return bad


# -- measurements -------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = now()
    result = fn()
    return result, now() - t0


def median_of(runs: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        t0 = now()
        fn()
        times.append(now() - t0)
    return statistics.median(times)


def due(at: datetime) -> int:
    from xiaoneng.core.models import WorkItem

    return WorkItem.objects.filter(closed_at__isnull=True, next_check_at__lte=at).count()


def naive_baseline(sample: int, at: datetime, seed: int) -> tuple[int, float, float, int]:
    """Re-evaluate a random sample of open items as a full sweep would (read in pages of 1,000, refresh_clock
    each): (sample size, seconds reading, seconds in refresh_clock, open items)."""
    from xiaoneng.core.models import WorkItem
    from xiaoneng.core.workitem import refresh_clock

    ids = np.array(
        WorkItem.objects.filter(closed_at__isnull=True).values_list("pk", flat=True), dtype=np.int64
    )
    rng = np.random.default_rng(seed + 4)
    chosen = np.sort(rng.choice(ids, min(sample, ids.size), replace=False)).tolist()
    read_s = clock_s = 0.0
    for k in range(0, len(chosen), 1000):
        t0 = now()
        batch = list(WorkItem.objects.filter(pk__in=chosen[k : k + 1000]))
        t1 = now()
        for item in batch:
            refresh_clock(item, at)
        read_s += t1 - t0
        clock_s += now() - t1
    return len(chosen), read_s, clock_s, int(ids.size)


def per_item_sweep(now_at: datetime, sample: int) -> tuple[int, float]:
    """The baseline for the sweep: the per-item path the product had before the bulk sweep (issue #5), copied
    here — one transaction per item, its pauses and extensions read one query each, a timeline row, the unit's
    liaisons read and each message written (and its deliveries) one by one — run for real (committed) on the
    first `sample` items due at `now_at`, in the order the sweep takes them. (It writes no cards: it predates
    them.) Returns (items, seconds)."""
    from django.db import transaction
    from django.utils.translation import gettext

    from xiaoneng.core import notify
    from xiaoneng.core.models import TimelineEvent, WorkItem
    from xiaoneng.core.workitem import STAGE_MESSAGES, item_url, refresh_clock
    from xiaoneng.org.models import User
    from xiaoneng.org.roles import Role

    def notify_stage(item: Any) -> None:
        template = STAGE_MESSAGES.get(item.stage)
        if template is None:
            return
        deadline = item.deadline.astimezone(SH).strftime("%Y-%m-%d %H:%M") if item.deadline else ""
        title = str(template) % {"title": item.title, "deadline": deadline}
        for user in User.objects.filter(unit_id=item.owner_unit_id, role=Role.LIAISON, is_active=True):
            notify.notify(
                user,
                f"stage:{item.pk}:{item.stage}",
                title[:200],
                url=item_url(item),
                item=item,
                channels=("sms", "dingtalk"),
            )

    @transaction.atomic
    def sweep_one(item: Any) -> None:
        old = item.stage
        refresh_clock(item, now_at)
        item.save(update_fields=["stage", "next_check_at", "deadline", "provisional"])
        if item.stage == old:
            return
        TimelineEvent.objects.create(
            item=item,
            at=now_at,
            actor=None,
            actor_name=gettext("系统"),
            action="stage_changed",
            before={"stage": old},
            after={"stage": item.stage},
        )
        notify_stage(item)

    ids = list(
        WorkItem.objects.filter(closed_at__isnull=True, next_check_at__lte=now_at)
        .order_by("next_check_at", "pk")
        .values_list("pk", flat=True)[:sample]
    )
    t0 = now()
    for item in WorkItem.objects.filter(pk__in=ids):
        sweep_one(item)
    return len(ids), now() - t0


# What migration core.0010 changed on core_workitem, for the sweep's baseline: the 8 single-column indexes it
# dropped (13 indexes before, 6 after) and the one it added for one unit's ledger.
OLD_INDEXES = {
    "bench_old_kind": "(kind)",
    "bench_old_kind_like": "(kind varchar_pattern_ops)",
    "bench_old_state_like": "(state varchar_pattern_ops)",
    "bench_old_deadline": "(deadline)",
    "bench_old_region_path": "(region_path)",
    "bench_old_owner_unit": "(owner_unit_id)",
    "bench_old_owner_person": "(owner_person_id)",
    "bench_old_created_by": "(created_by_id)",
}
NEW_INDEX = ("workitem_unit_deadline_id", "(owner_unit_id, deadline, id)")


def indexes_of_before(on: bool) -> float:
    """Put core_workitem's indexes back as they were before migration core.0010 (on) or as they are now (off);
    seconds taken."""
    t0 = now()
    if on:
        for name, columns in OLD_INDEXES.items():
            sql(f"CREATE INDEX IF NOT EXISTS {name} ON core_workitem {columns}")
        sql(f"DROP INDEX IF EXISTS {NEW_INDEX[0]}")
    else:
        for name in OLD_INDEXES:
            sql(f"DROP INDEX IF EXISTS {name}")
        sql(f"CREATE INDEX IF NOT EXISTS {NEW_INDEX[0]} ON core_workitem {NEW_INDEX[1]}")
    sql("ANALYZE core_workitem")
    return now() - t0


def index_baseline(at: datetime) -> tuple[dict[str, Any], float]:
    """Sweep `at` with one walk four times, each in a transaction rolled back: with the indexes of before
    core.0010, as now, as now, as before. Per variant the runs' (seconds, client CPU, server CPU, items);
    and the seconds spent switching indexes."""
    from django.db import transaction

    from xiaoneng.core.workitem import sweep

    runs: dict[str, Any] = {"before": [], "now": []}
    switch_s = 0.0
    for variant in ("before", "now", "now", "before"):
        switch_s += indexes_of_before(variant == "before")
        if variant == "before":
            runs["indexes"] = index_count("core_workitem")
        sql("CHECKPOINT")
        wal0 = sql("SELECT pg_current_wal_insert_lsn()")[0][0]
        cpu0 = (time.process_time(), backend_cpu())
        with transaction.atomic():
            result, seconds = timed(lambda: sweep(now=at, workers=1))
            client = time.process_time() - cpu0[0]
            server = backend_cpu() - cpu0[1] if cpu0[1] >= 0 else -1.0
            wal = sql("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [wal0])[0][0]
            transaction.set_rollback(True)
        runs[variant].append((seconds, client, server, result["checked"], float(wal)))
    switch_s += indexes_of_before(False)
    sql("VACUUM ANALYZE")  # the rolled-back rows and index entries cleared before the real sweeps
    return runs, switch_s


def per_item_of(runs: list[tuple[float, float, float, int, float]]) -> tuple[float, float, float, float]:
    """Median seconds, client CPU, server CPU and WAL bytes per item of the runs."""
    return tuple(  # type: ignore[return-value]
        statistics.median(r[i] / max(r[3], 1) for r in runs) for i in (0, 1, 2, 4)
    )


def index_count(table: str) -> int:
    return sql("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [table])[0][0]


def index_usage(tables: list[str]) -> list[tuple[Any, ...]]:
    """(table, index, scans, tuples read, size) since the statistics were reset after seeding."""
    return sql(
        "SELECT relname, indexrelname, idx_scan, idx_tup_read, pg_size_pretty(pg_relation_size(indexrelid)) "
        "FROM pg_stat_user_indexes WHERE relname = ANY(%s) ORDER BY relname, idx_scan DESC, indexrelname",
        [tables],
    )


def backend_cpu() -> float:
    """CPU seconds the database server's backend of this connection has used (read from /proc: the server runs
    on this machine); -1 when it cannot be read."""
    pid = sql("SELECT pg_backend_pid()")[0][0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_statements(counter: Counter[str]) -> Callable[..., Any]:
    """A database execute wrapper that counts statements by their first word."""

    def wrapper(execute: Callable[..., Any], query: str, params: Any, many: bool, context: Any) -> Any:
        counter[query.split(None, 1)[0].upper()] += 1
        return execute(query, params, many, context)

    return wrapper


def page_rows(rows: Any) -> list[Any]:
    """One page as the template renders it: the rows with their work item and owner unit."""
    rows = list(rows)
    for s in rows:
        _ = (s.work_item.title, s.work_item.deadline, s.work_item.owner_unit.name, s.get_source_display())
    return rows


def old_ledger(user: Any, unit: int | None) -> Any:
    """The ledger as the page and the API built it before keyset paging (the baseline): the co-unit filter as a
    join to the co-units and DISTINCT over the whole result, paged by OFFSET under an exact COUNT."""
    from xiaoneng.supervision.selectors import ledger

    qs = ledger(user)
    if unit is not None:
        qs = qs.filter(work_item__owner_unit_id=unit) | qs.filter(work_item__units=unit)
    return qs.distinct()


def ledger_case(username: str, unit_code: str | None = None) -> dict[str, Any]:
    """The ledger of one user as the page and the API build it now (``ledger_from_params``, optionally with the
    unit filter), its size, the deep page (the middle) and the keyset cursor that reaches it, made the way a
    next link is (``LEDGER_ORDER.cursor`` on the previous row's key) from one untimed OFFSET read."""
    from xiaoneng.core.paging import capped_count
    from xiaoneng.org.models import Unit, User
    from xiaoneng.supervision.selectors import LEDGER_ORDER, ledger_from_params

    user = User.objects.select_related("unit__region").get(username=username)
    unit = Unit.objects.get(code=unit_code).pk if unit_code else None
    params = {"unit": str(unit)} if unit else {}
    qs = ledger_from_params(user, params)
    old = old_ledger(user, unit)
    count = qs.count()
    deep = max(0, (count // 2) // PAGE * PAGE)
    key = tuple(qs.values_list("work_item__deadline", "pk")[deep - 1]) if deep else None
    cursor = LEDGER_ORDER.cursor(key, deep) if key else None
    keyset_deep = LEDGER_ORDER.page(qs, cursor, PAGE)
    same = [r.pk for r in keyset_deep] == [r.pk for r in qs[deep : deep + PAGE]]
    label = username + (f" unit={unit_code}" if unit_code else "")
    return {
        "user": user,
        "label": label,
        "params": params,
        "qs": qs,
        "old": old,
        "count": count,
        "capped": capped_count(qs),
        "deep": deep,
        "cursor": cursor,
        "same": same and keyset_deep.start_index == deep + 1,
    }


def bounded(fn: Callable[[], Any]) -> float | None:
    """median_of for a baseline query, each run cut off by PostgreSQL after BASELINE_TIMEOUT_S: None when one
    is (the old unit filter's plan at a million items runs for many minutes)."""
    from django.db import OperationalError

    sql(f"SET statement_timeout = '{BASELINE_TIMEOUT_S}s'")
    try:
        return median_of(RUNS, fn)
    except OperationalError:
        return None
    finally:
        sql("SET statement_timeout = 0")


def time_ledger(case: dict[str, Any]) -> dict[str, float | None]:
    """Median latencies of what the ledger does now and, as the baseline, of what it did before. Now: the capped
    count, the keyset first page, deep page and the page before it (``LEDGER_ORDER.page``), and the whole
    request: the HTML page (first and deep) and the API list (deep). Before: the paginator's COUNT and the first
    and deep page by OFFSET."""
    from django.core.paginator import Paginator
    from django.test import Client

    from xiaoneng.core.paging import capped_count
    from xiaoneng.supervision.selectors import LEDGER_ORDER

    qs, old, deep, cursor = case["qs"], case["old"], case["deep"], case["cursor"]
    deep_page = LEDGER_ORDER.page(qs, cursor, PAGE)
    client = Client()
    client.force_login(case["user"])

    def get(path: str, **params: str) -> None:
        resp = client.get(path, {**case["params"], **params})
        if resp.status_code != 200:
            raise SystemExit(f"{path} answered {resp.status_code} for {case['label']}")

    one = one_stream(qs)
    return {
        "one_count": median_of(RUNS, lambda: capped_count(one)) if one is not None else None,
        "one_first": median_of(RUNS, lambda: page_rows(LEDGER_ORDER.page(one, None, PAGE)))
        if one is not None
        else None,
        "one_deep": median_of(RUNS, lambda: page_rows(LEDGER_ORDER.page(one, cursor, PAGE)))
        if one is not None
        else None,
        "old_count": bounded(lambda: Paginator(old, PAGE).count),
        "old_first": bounded(lambda: page_rows(old[:PAGE])),
        "old_deep": bounded(lambda: page_rows(old[deep : deep + PAGE])),
        "count": median_of(RUNS, lambda: capped_count(qs)),
        "first": median_of(RUNS, lambda: page_rows(LEDGER_ORDER.page(qs, None, PAGE))),
        "deep": median_of(RUNS, lambda: page_rows(LEDGER_ORDER.page(qs, cursor, PAGE))),
        "previous": median_of(
            RUNS, lambda: page_rows(LEDGER_ORDER.page(qs, deep_page.previous_cursor, PAGE))
        ),
        "page_first": median_of(RUNS, lambda: get("/supervision/")),
        "page_deep": median_of(RUNS, lambda: get("/supervision/", cursor=cursor)),
        "api_deep": median_of(RUNS, lambda: get("/api/supervision/items/", cursor=cursor)),
    }


def one_stream(qs: Any) -> Any:
    """The baseline of one unit's ledger: the same queryset read as one query per page, as before
    ``paging.covered_by`` (None when the ledger has no cover: regional staff without a unit filter)."""
    if getattr(qs.query, "keyset_cover", None) is None:
        return None
    qs = qs.all()
    del qs.query.keyset_cover
    return qs


def statements_of(fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SQL statements `fn` runs, with their parameters."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def wrapper(execute: Callable[..., Any], query: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((query, params))
        return execute(query, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return seen


def explain(qs: Any, width: int = 150) -> list[str]:
    """The plan's main nodes (EXPLAIN ANALYZE), shortened, for the report."""
    keep = ("Sort", "Unique", "Limit", "Index", "Scan", "Join", "Loop", "Gather", "Removed", "Execution")
    lines = [line for line in qs.explain(analyze=True).splitlines() if any(k in line for k in keep)]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines[:12]]


def explain_statement(query: str, params: Any, width: int = 150) -> list[str]:
    """The plan's main nodes of one statement as it ran (EXPLAIN ANALYZE), shortened, for the report."""
    keep = ("Sort", "Unique", "Limit", "Index", "Scan", "Join", "Loop", "Removed", "Execution", "SubPlan")
    lines = [r[0] for r in sql("EXPLAIN ANALYZE " + query, params)]
    lines = [line for line in lines if any(k in line for k in keep)]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines[:14]]


# -- report -------------------------------------------------------------------------------------------------


def verdict(seconds: float | None, target: float) -> str:
    return "—" if seconds is None else "ok" if seconds < target else "MISS"


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000, help="open items to seed (default 1,000,000)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database (and reuse a kept one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--naive", type=int, default=10_000, help="items in the naive baseline's sample")
    parser.add_argument(
        "--per-item", type=int, default=2_000, help="items the per-item sweep of before (the baseline) sweeps"
    )
    args = parser.parse_args()
    started = now()
    load_start = os.getloadavg()[0]

    fresh = prepare_database(args.keep)
    # A kept database keeps its var dir (secret and dev keys), so its encrypted demo data stays readable.
    var_dir = Path(tempfile.gettempdir()) / "xiaoneng_bench_var" if args.keep else Path(tempfile.mkdtemp())
    var_dir.mkdir(exist_ok=True)
    os.environ.update(
        XIAONENG_DATABASE_URL=f"{SERVER}/{DB_NAME}",
        DJANGO_SETTINGS_MODULE="xiaoneng.settings.dev",
        XIAONENG_VAR_DIR=str(var_dir),
        XIAONENG_DEMO_MODE="1",
        XIAONENG_DEBUG="0",  # no query log in memory
        XIAONENG_LOG_LEVEL="WARNING",
    )
    try:
        return run(args, fresh, var_dir, started, load_start)
    finally:
        if not args.keep:
            drop_database()
            shutil.rmtree(var_dir, ignore_errors=True)


def run(args: argparse.Namespace, fresh: bool, var_dir: Path, started: float, load_start: float) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xiaoneng.core import clock_service, workitem
    from xiaoneng.core.models import CardRecord, Notification, WorkItem
    from xiaoneng.core.workitem import sweep
    from xiaoneng.org import demo

    pg_version = sql("SHOW server_version")[0][0]
    print(
        f"sweep & ledger benchmark: PostgreSQL {pg_version} on 127.0.0.1, database {DB_NAME} "
        f"({'new' if fresh else 'kept, reused'}), {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print("times: wall-clock (time.perf_counter), the database included")
    meta = None if fresh else read_meta()
    if not fresh and meta is None:
        raise SystemExit(
            f"{DB_NAME} exists but was not seeded by this benchmark; drop it or run without --keep"
        )

    if fresh:
        (_, migrate_s) = timed(lambda: call_command("migrate", verbosity=0))
        (summary, demo_s) = timed(demo.seed)
        liaisons = add_liaisons()
        cal = clock_service.calendar()
        print(
            f"setup: migrate {migrate_s:.1f} s; demo city {demo_s:.1f} s ({summary.units} units, "
            f"{summary.people} people); "
            + (
                f"{liaisons} units without a liaison given one (bench_liaison_*)"
                if liaisons
                else "every unit has a liaison already"
            )
            + ", so stage changes notify as in production"
        )
        morning, midnight = busy_midnight(cal, None)
        n = args.items
        items, compute_s = timed(lambda: compute_items(cal, n, morning, args.seed))
        (first, steps) = seed_items(items, morning, args.seed)
        # Statistics on every table before anything is read (docs/deployment.md: ANALYZE after migrate and bulk
        # loads): without them PostgreSQL guesses the size of the scope's small tables and the co-unit table
        # and picks plans for the wrong sizes. VACUUM too, so index-only scans need not visit the heap.
        _, vacuum_s = timed(lambda: sql("VACUUM ANALYZE"))
        seed_s = compute_s + sum(steps.values())
        print(
            f"seed: {n:,} open items started over the year before {morning:%Y-%m-%d %H:%M}, stages as of then, "
            f"in {seed_s:.1f} s = {n / seed_s:,.0f} items/s: clock bulk path (deadline, warning, red, sign-for "
            f"limit) {compute_s:.2f} s, "
            + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
            + f"; then VACUUM ANALYZE (every table) {vacuum_s:.1f} s"
        )
        orm_rate = orm_issue_rate(ORM_SAMPLE)
        print(
            f"seed baseline: services.issue, the product's path, {orm_rate:,.0f} items/s ({ORM_SAMPLE} items, "
            f"one transaction rolled back) → {n / orm_rate / 60:,.0f} min for {n:,}"
        )
        (bad_clock, bad_rows), check_s = timed(
            lambda: (
                verify_clock(cal, items, morning, 2_000, args.seed),
                verify_rows(first, n, morning, 1_000, args.seed),
            )
        )
        sql("SELECT pg_stat_reset()")  # index usage below counts the sweeps and the ledger, not the seeding
        print(
            f"check: bulk figures vs clock.stage_at on 2,000 rows: {bad_clock} differ; refresh_clock at "
            f"{morning:%H:%M} on 1,000 items read back: {bad_rows} would change ({check_s:.1f} s)"
        )
        # The rate of stage changes: every boundary of these items in the year before the seed instant.
        ref_s = int(morning.timestamp())
        boundaries = np.concatenate([items["warning"], items["deadline"], items["red"]])
        year = boundaries[(boundaries > ref_s - 365 * DAY) & (boundaries <= ref_s)]
        local = (year + int(morning.utcoffset().total_seconds())) % DAY  # Beijing time has no DST
        at_midnight = float((local == 0).mean()) if year.size else 1.0
        busy_nights = int(np.unique(year[local == 0]).size)
        meta = {
            "items": n,
            "first": first,
            "per_year": int(year.size),
            "at_midnight": at_midnight,
            "busy_nights": busy_nights,
            "seed_rate": n / seed_s,
            "orm_rate": orm_rate,
            "consistent": bad_clock == 0 and bad_rows == 0,
            "swept": None,
        }
        del items, boundaries, year, local
    else:
        assert meta is not None
        cal = clock_service.calendar()
        n = meta["items"]
        if args.items != n:
            print(f"note: the kept database holds {n:,} seeded items; --items {args.items:,} ignored")
        last = date.fromisoformat(meta["swept"]) if meta["swept"] else None
        morning, midnight = busy_midnight(cal, last)
        print(f"reuse: {n:,} seeded items; sweeping the next busy midnight after {last}")

    per_minute = meta["per_year"] / MINUTES_PER_YEAR
    per_night = meta["per_year"] / max(meta["busy_nights"], 1)
    print(
        f"stage changes of these items: {meta['per_year']:,} in a year = {per_minute:,.1f} per minute on average; "
        f"{meta['at_midnight']:.1%} of them at 00:00 local time ({meta['busy_nights']} working-day midnights "
        f"a year, {per_night:,.0f} each), so 1,439 minutes of a day have nothing to check"
    )

    # -- the sweep ------------------------------------------------------------------------------------------
    from django.conf import settings

    workers = settings.SWEEP_WORKERS
    # A scheduler's worker process has resolved URLs and built the calendar before its busiest minute.
    workitem.item_url(WorkItem.objects.filter(kind="supervision").first())
    quiet = morning + timedelta(minutes=1)
    quiet_due = due(quiet)
    quiet_result, quiet_s = timed(lambda: sweep(now=quiet))
    busy_due = due(midnight)
    made_before = (CardRecord.objects.count(), Notification.objects.count())
    busy_result, busy_s = timed(lambda: sweep(now=midnight))
    cards_made = CardRecord.objects.count() - made_before[0]
    messages_made = Notification.objects.count() - made_before[1]
    again_result, again_s = timed(lambda: sweep(now=midnight))
    # The next busy midnight with one walk (workers=1), its statements counted and its CPU time split between
    # this process and the database server's backend (both on this machine).
    _, midnight2 = busy_midnight(cal, (midnight - timedelta(days=1)).date())
    due2 = due(midnight2)
    # The baseline of the indexes, paired: the same midnight swept by one walk with core_workitem's indexes as
    # before migration core.0010 and as now, each run rolled back (so it is the same work), in the order
    # before, now, now, before; then VACUUM, and the real sweep of that midnight below.
    lean_indexes = index_count("core_workitem")
    paired, switch_s = index_baseline(midnight2)
    old_indexes = paired["indexes"]
    statements: Counter[str] = Counter()
    cpu0 = (time.process_time(), backend_cpu())
    with connection.execute_wrapper(count_statements(statements)):
        one_result, one_s = timed(lambda: sweep(now=midnight2, workers=1))
    client_cpu = time.process_time() - cpu0[0]
    server_cpu = backend_cpu() - cpu0[1] if cpu0[1] >= 0 else -1.0
    # The baseline in the same run: the per-item sweep of before, on the first items due at the midnight after
    # that; then the bulk sweep takes the rest of it.
    _, midnight3 = busy_midnight(cal, (midnight2 - timedelta(days=1)).date())
    due3 = due(midnight3)
    base_n, base_s = per_item_sweep(midnight3, min(args.per_item, due3))
    rest_result, rest_s = timed(lambda: sweep(now=midnight3))
    base_per_item = base_s / max(base_n, 1)
    per_item = busy_s / max(busy_result["checked"], 1)
    avg_s = quiet_s + per_minute * per_item
    print()
    print(
        f"{f'sweep (bulk, batches of {workitem.SWEEP_BATCH}, {workers} walks at once)':<58}"
        f"{'checked':>9}{'changed':>9}{'due':>9}{'time':>12}"
    )
    rows = [
        (f"typical minute {quiet:%Y-%m-%d %H:%M} (working day)", quiet_result, quiet_due, quiet_s),
        (f"busiest minute {midnight:%Y-%m-%d %H:%M} (after a working day)", busy_result, busy_due, busy_s),
        (f"again at {midnight:%Y-%m-%d %H:%M} (idempotency)", again_result, 0, again_s),
        (f"next busy minute {midnight2:%Y-%m-%d %H:%M}, one walk (workers=1)", one_result, due2, one_s),
        (
            f"busy minute {midnight3:%Y-%m-%d %H:%M}, after the baseline's {base_n:,}",
            rest_result,
            due3 - base_n,
            rest_s,
        ),
    ]
    for label, result, expected, seconds in rows:
        print(f"{label:<58}{result['checked']:>9,}{result['changed']:>9,}{expected:>9,}{seconds:>11.3f}s")
    print(
        f"{'average minute (extrapolated: ' + f'{per_minute:.1f} items × {per_item * 1000:.2f} ms + empty sweep)':<85}"
        f"{avg_s:>11.3f}s"
    )
    print(
        f"busiest minute: {cards_made:,} cards and {messages_made:,} inbox messages (each with an SMS and a 政务钉钉 "
        f"delivery) written; {per_item * 1000:.3f} ms per item"
    )
    one = max(one_result["checked"], 1)
    batches = -(-one_result["checked"] // workitem.SWEEP_BATCH)
    print(
        f"one walk: {sum(statements.values()):,} SQL statements in {batches} transactions = "
        f"{sum(statements.values()) / one:.3f} per item, {sum(statements.values()) / max(batches, 1):.0f} per batch ("
        + ", ".join(f"{k} {v:,}" for k, v in statements.most_common())
        + f"); CPU {client_cpu / one * 1e6:.0f} µs per item in this process + "
        + (f"{server_cpu / one * 1e6:.0f} µs in the server's backend" if server_cpu >= 0 else "server n/a")
    )
    before_item, now_item = per_item_of(paired["before"]), per_item_of(paired["now"])
    print(
        f"indexes (paired, {midnight2:%Y-%m-%d %H:%M} swept by one walk 4× and rolled back, "
        f"{paired['now'][0][3]:,} items; {switch_s:.0f} s switching indexes): with the {old_indexes} indexes of "
        f"core_workitem before migration core.0010 {before_item[0] * 1e3:.3f} ms per item (CPU "
        f"{before_item[1] * 1e6:.0f} µs here + {before_item[2] * 1e6:.0f} µs in the server, "
        f"{before_item[3]:,.0f} bytes of WAL), with the {lean_indexes} of now {now_item[0] * 1e3:.3f} ms (CPU "
        f"{now_item[1] * 1e6:.0f} + {now_item[2] * 1e6:.0f} µs, {now_item[3]:,.0f} bytes of WAL); the runs in order: "
        + ", ".join(
            f"{v} {r[0] / max(r[3], 1) * 1e3:.3f} ms"
            for v, r in zip(
                ("before", "now", "now", "before"),
                [paired["before"][0], paired["now"][0], paired["now"][1], paired["before"][1]],
                strict=True,
            )
        )
        + f" → the busiest minute's {busy_result['checked']:,} items by one walk: "
        f"{before_item[0] * busy_result['checked']:.2f} s before, {now_item[0] * busy_result['checked']:.2f} s now "
        "(rolled back, so without the commit's foreign-key checks)"
    )
    print(
        f"baseline: the per-item sweep of before on {base_n:,} of the {due3:,} items due at {midnight3:%Y-%m-%d %H:%M}: "
        f"{base_s:.1f} s = {base_per_item * 1000:.1f} ms per item → {base_per_item * busy_due:,.0f} s for the "
        f"{busy_due:,} items of the busiest minute above"
    )
    print(
        "plan of the sweep's batch query at the same instant, nothing left to check (as in workitem.sweep):"
    )
    for line in explain(
        workitem._due(midnight, None).order_by("next_check_at", "pk")[: workitem.SWEEP_BATCH]
    ):
        print("   ", line)
    size, read_s, clock_s, open_items = naive_baseline(args.naive, midnight, args.seed)
    naive_s = (read_s + clock_s) * open_items / size
    print(
        f"naive baseline: re-evaluate every open item — {size:,} sampled: read {read_s:.2f} s + refresh_clock "
        f"{clock_s:.2f} s ({(read_s + clock_s) / size * 1e3:.2f} ms/item) → {naive_s:,.0f} s for {open_items:,} "
        "open items, each minute"
    )
    midnight = midnight3  # what a kept database has been swept through
    meta["swept"] = (midnight - timedelta(days=1)).date().isoformat()
    write_meta(meta)

    # -- the ledger -----------------------------------------------------------------------------------------
    from django.conf import settings

    from xiaoneng.supervision.selectors import LEDGER_ORDER

    settings.ALLOWED_HOSTS.append("testserver")  # the whole request through django.test.Client
    sql("CHECKPOINT")  # the sweep's writes flushed before the reads are timed
    # Statistics on every table. The scope's subqueries read small tables (core_recusal, core_workitem_units)
    # that autovacuum never analyses while they hold fewer than 50 rows; without statistics PostgreSQL
    # overestimates them and picks a parallel plan for a 51-row page (15-40 ms instead of 2-4 ms on this
    # benchmark). A production database needs the same ANALYZE after migrate.
    sql("ANALYZE")
    cases = [
        ledger_case("supervisor"),
        ledger_case("supervisor_dh"),
        ledger_case("liaison"),
        ledger_case("supervisor", unit_code="990100-KJJ"),
    ]
    figures = {c["label"]: time_ledger(c) for c in cases}
    first_sql = statements_of(lambda: LEDGER_ORDER.page(cases[0]["qs"], None, PAGE))
    deep_sql = statements_of(lambda: LEDGER_ORDER.page(cases[0]["qs"], cases[0]["cursor"], PAGE))
    print()
    print(
        f"ledger: pages of {PAGE} rows with work item and owner unit, median of {RUNS} runs; the index on "
        "core_workitem (deadline, id) comes from migration core.0008"
    )
    for c in cases:
        n, capped = c["capped"]
        shown = f"共 {n}{'+' if capped else ''} 项"
        print(
            f"{c['label']}: {c['count']:,} rows, the page shows {shown}; deep page at row {c['deep'] + 1:,} "
            f"(keyset reaches the rows OFFSET does: {'yes' if c['same'] else 'NO'})"
        )
    print()

    def late(seconds: float | None) -> str:  # a baseline cut off by the statement timeout
        return ms(seconds) if seconds is not None else f"> {BASELINE_TIMEOUT_S} s"

    print(f"{'before (baseline, this run)':<34}{'COUNT':>11}{'OFFSET p1':>12}{'OFFSET deep':>13}")
    for c in cases:
        f = figures[c["label"]]
        print(
            f"  {c['label']:<32}{late(f['old_count']):>11}{late(f['old_first']):>12}{late(f['old_deep']):>13}"
        )
    print(
        f"{'now (keyset)':<34}{'count≤1000':>11}{'first':>10}{'deep':>10}{'previous':>10}"
        f"{'page p1':>10}{'page deep':>11}{'API deep':>10}"
    )
    for c in cases:
        f = figures[c["label"]]
        print(
            f"  {c['label']:<32}{ms(f['count']):>11}{ms(f['first']):>10}{ms(f['deep']):>10}"
            f"{ms(f['previous']):>10}{ms(f['page_first']):>10}{ms(f['page_deep']):>11}{ms(f['api_deep']):>10}"
        )
    print(f"{'one stream (before the cover)':<34}{'count≤1000':>11}{'first':>10}{'deep':>10}")
    for c in cases:
        f = figures[c["label"]]
        if f["one_first"] is not None:
            print(
                f"  {c['label']:<32}{ms(f['one_count']):>11}{ms(f['one_first']):>10}{ms(f['one_deep']):>10}"
            )
    print(
        "(first / deep / previous: LEDGER_ORDER.page on the selector's queryset, rows read as the template does; "
        "page and API: the whole request through django.test.Client, the capped count and rendering included)"
    )
    for label, statements in [("first", first_sql), ("deep", deep_sql)]:
        print(f"plan of the keyset {label} page, {cases[0]['label']} (statement 1 of {len(statements)}):")
        for line in explain_statement(*statements[0]):
            print("   ", line)
    liaison = cases[2]
    streams_sql = statements_of(lambda: LEDGER_ORDER.page(liaison["qs"], liaison["cursor"], PAGE))
    steps = ["owned: keys", "owned: rows among them", "co-unit: keys", "co-unit: rows among them"]
    for i, (query, params) in enumerate(streams_sql):
        step = steps[i] if len(streams_sql) == len(steps) else f"{i + 1} of {len(streams_sql)}"
        print(f"plan of the keyset deep page, {liaison['label']}, statement {step}:")
        for line in explain_statement(query, params):
            print("   ", line)

    # -- which indexes were read ------------------------------------------------------------------------------
    sql("SELECT pg_sleep(1.5)")  # backends report their statistics at most once a second
    print()
    print("index usage since seeding (pg_stat_user_indexes: the sweeps, the baselines and the ledger above)")
    for table, index, scans, tuples, size in index_usage(
        ["core_workitem", "core_workitem_units", "supervision_superviseditem"]
    ):
        print(f"  {table:<28}{index:<58}{scans:>10,} scans{tuples:>13,} tuples{size:>10}")
    upd, hot = sql(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'core_workitem'"
    )[0]
    print(
        f"core_workitem: {upd:,} rows updated, {hot:,} of them heap-only (HOT) — the sweep changes next_check_at, "
        "which its own index holds, so its updates write every index"
    )

    # -- summary --------------------------------------------------------------------------------------------
    print()
    print(f"{'figure':<60}{'value':>12}   {'target':<10}")
    for label, seconds in [
        ("sweep, typical minute (10:01 of a working day)", quiet_s),
        (f"sweep, average minute ({per_minute:.1f} items, extrapolated)", avg_s),
        (f"sweep, busiest minute (00:00, {busy_result['checked']:,} items)", busy_s),
        (f"sweep, next busy minute, one walk ({one_result['checked']:,} items)", one_s),
        (
            f"sweep, busiest minute by one walk, {lean_indexes} indexes (paired)",
            now_item[0] * busy_result["checked"],
        ),
        (
            f"  baseline: the same with the {old_indexes} indexes of before",
            before_item[0] * busy_result["checked"],
        ),
        ("sweep, again at the same instant (0 items)", again_s),
    ]:
        print(
            f"{label:<60}{seconds:>11.3f}s   < {SWEEP_TARGET_S:.0f} s     {verdict(seconds, SWEEP_TARGET_S)}"
        )
    for c in cases:
        f = figures[c["label"]]
        for label, value in [
            ("first page (keyset)", f["first"]),
            ("deep page (keyset)", f["deep"]),
            ("capped count (共 1000+ 项)", f["count"]),
            ("baseline: one stream, first page", f["one_first"]),
            ("baseline: one stream, deep page", f["one_deep"]),
            ("page request, deep", f["page_deep"]),
            ("API request, deep", f["api_deep"]),
            (
                "baseline: COUNT + OFFSET deep page",
                None if f["old_count"] is None or f["old_deep"] is None else f["old_count"] + f["old_deep"],
            ),
        ]:
            if value is None and label.startswith("baseline: one stream"):
                continue  # no cover: the ledger is one stream anyway
            print(
                f"{'ledger ' + c['label'] + ', ' + label:<60}{late(value):>12}   < 100 ms   "
                + (verdict(value, PAGE_TARGET_S) if value is not None else "MISS")
            )
    print(
        f"{'baseline: per-item sweep of before, busiest minute (extrap.)':<60}{base_per_item * busy_due:>11.3f}s"
        f"   bulk is {base_per_item * busy_due / busy_s:,.1f}× faster"
    )
    print(f"{'naive / incremental sweep, busiest minute':<60}{naive_s / busy_s:>11,.0f}×")
    print(f"{'naive / incremental sweep, typical minute':<60}{naive_s / quiet_s:>11,.0f}×")
    print(
        f"{'seeding (bulk clock + SQL)':<60}{meta['seed_rate']:>11,.0f}/s   (services.issue: {meta['orm_rate']:,.0f}/s)"
    )
    print(f"{'seed consistent with the clock':<60}{'yes' if meta['consistent'] else 'NO':>12}")
    print(
        f"{'busiest sweep checked every due item':<60}{'yes' if busy_result['checked'] == busy_due else 'NO':>12}"
    )
    print(
        f"{'second sweep at the same instant checked nothing':<60}{'yes' if again_result['checked'] == 0 else 'NO':>12}"
    )
    print(
        f"{'load average (1 min) at the start / at the end':<60}{load_start:>6.2f} / {os.getloadavg()[0]:.2f}"
    )

    if args.keep:
        print(f"\nkept: database {DB_NAME}, var dir {var_dir}")
    print(f"total {now() - started:.0f} s" + ("" if args.keep else f" (then {DB_NAME} dropped)"))
    return 0 if meta["consistent"] and again_result["checked"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
