"""Benchmark of the clock: scalar path, bulk path, a naive baseline and the bare NumPy kernel, in one run.

    .venv/bin/python bench/clock_bench.py [--n 1000000] [--naive 2000] [--seed 4]

Cases: starts uniform in 2024-01-01 … 2026-06-18 (Beijing), units 70% wd (1–60), 10% d (1–90), 10% wh (1–80),
10% h (1–240); a third of the cases carry 1–3 pauses within 40 days of the start. The same cases go through

- scalar: ``deadline()`` one by one (aware datetimes, Limit and Pause objects — the public API);
- bulk: ``bulk_deadlines()`` over int64 epoch seconds (best of 3);
- naive: stepping day by day with ``chinese_calendar.is_workday`` (what most code does), on a sample of the
  working-day cases whose deadline stays inside chinese-calendar's 2004–2026;
- kernel: a bare ``numpy.searchsorted`` over the working-day array, the practical limit of the lookup
  (working days only, no pauses, no time zones; best of 3).

Times are CPU seconds of this process (``time.process_time``; every path is single-threaded), and timed
sections run with the cyclic garbage collector paused, as ``timeit`` does. Bulk is checked against
scalar on every case, naive against scalar on its sample. No assertion on speed:
the figures and the goals (bulk ≥ 5 M/s and ≥ ⅓ of the kernel, scalar ≥ 200 k/s) are printed.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from xiaoneng.clock import Calendar, Limit, Pause, Unit, bulk_deadlines, deadline  # noqa: E402
from xiaoneng.clock.calendars import EPOCH0_S  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
DAY = 86_400

# CPU time of this process: every path is single-threaded, and on a shared machine wall time also counts the
# time other processes hold the core.
clock = time.process_time


def make_cases(n: int, seed: int) -> dict[str, npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    lo = int(datetime(2024, 1, 1, tzinfo=SH).timestamp())
    hi = int(datetime(2026, 6, 18, tzinfo=SH).timestamp())
    starts = rng.integers(lo, hi, n, dtype=np.int64)
    units = rng.choice(np.array([0, 1, 2, 3]), n, p=[0.7, 0.1, 0.1, 0.1])
    top = np.array([60, 90, 80, 240])[units]
    amounts = (rng.integers(0, 1 << 30, n) % top + 1).astype(np.int64)
    with_pauses = np.flatnonzero(rng.random(n) < 1 / 3)
    per_case = rng.integers(1, 4, with_pauses.size)
    p_index = np.repeat(with_pauses, per_case)
    p_start = starts[p_index] + rng.integers(0, 40 * DAY, p_index.size)
    p_end = p_start + rng.integers(0, 10 * DAY, p_index.size)
    order = np.lexsort((p_start, p_index))
    return {
        "starts": starts,
        "amounts": amounts,
        "units": units,
        "p_index": p_index[order],
        "p_start": p_start[order],
        "p_end": p_end[order],
    }


def rate(count: int, seconds: float) -> str:
    per_second = count / seconds
    return f"{per_second / 1e6:8.2f} M/s" if per_second >= 1e6 else f"{per_second / 1e3:8.1f} k/s"


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="cases (default 1,000,000)")
    parser.add_argument(
        "--naive", type=int, default=2_000, help="cases for the naive baseline (default 2,000)"
    )
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    cal = Calendar.builtin()
    t0 = clock()
    ix = cal.index
    build = clock() - t0
    cases = make_cases(args.n, args.seed)
    n = args.n
    n_paused = int(np.unique(cases["p_index"]).size)
    print(
        f"clock benchmark: {n:,} cases ({n_paused:,} with pauses, {cases['p_index'].size:,} pauses); "
        f"calendar index built in {build * 1000:.0f} ms; numpy {np.__version__}, Python {sys.version.split()[0]}"
    )
    print("times: CPU seconds of this process (single-threaded paths), garbage collector paused")

    # -- bulk ------------------------------------------------------------------------------------------------
    def bulk() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        return bulk_deadlines(
            cal,
            cases["starts"],
            cases["amounts"],
            cases["units"],
            pause_index=cases["p_index"],
            pause_starts=cases["p_start"],
            pause_ends=cases["p_end"],
        )

    bulk_at, bulk_provisional = bulk()
    bulk_s = best_of(3, bulk)

    wd_only = np.zeros(n, dtype=np.int64)
    plain_s = best_of(3, lambda: bulk_deadlines(cal, cases["starts"], cases["amounts"], wd_only))

    # -- the bare kernel: searchsorted over working-day indices ---------------------------------------------
    workdays = ix.workdays
    start_days = (cases["starts"] + ix.offset_s - EPOCH0_S) // DAY
    amounts = cases["amounts"]
    kernel_s = best_of(3, lambda: workdays[np.searchsorted(workdays, start_days, "right") + amounts - 1])

    # -- scalar: the public API with aware datetimes ---------------------------------------------------------
    starts = [datetime.fromtimestamp(int(s), SH) for s in cases["starts"]]
    limits = [
        Limit(int(a), Unit.from_code(int(u))) for a, u in zip(cases["amounts"], cases["units"], strict=True)
    ]
    pauses: list[list[Pause]] = [[] for _ in range(n)]
    for i, a, b in zip(
        cases["p_index"].tolist(), cases["p_start"].tolist(), cases["p_end"].tolist(), strict=True
    ):
        pauses[i].append(Pause(datetime.fromtimestamp(a, SH), datetime.fromtimestamp(b, SH)))
    gc.disable()  # as timeit does: time the clock, not the cyclic garbage collector walking 10⁶ live objects
    t0 = clock()
    scalar = [deadline(cal, s, lim, p) for s, lim, p in zip(starts, limits, pauses, strict=True)]
    scalar_s = clock() - t0
    gc.enable()
    scalar_at = np.fromiter((int(d.at.timestamp()) for d in scalar), dtype=np.int64, count=n)
    scalar_provisional = np.fromiter((d.provisional for d in scalar), dtype=np.bool_, count=n)
    mismatches = int(((scalar_at != bulk_at) | (scalar_provisional != bulk_provisional)).sum())

    # -- naive: day stepping over chinese-calendar ----------------------------------------------------------
    import chinese_calendar

    rng = np.random.default_rng(args.seed + 1)
    eligible = np.flatnonzero(
        (cases["units"] == 0) & (scalar_at < int(datetime(2026, 12, 31, tzinfo=SH).timestamp()))
    )
    sample = rng.choice(eligible, min(args.naive, eligible.size), replace=False)
    sample_paused: dict[int, set[date]] = {}
    for i in sample.tolist():
        days: set[date] = set()
        for p in pauses[i]:
            day, end = p.start.date(), p.end.date() if p.end else p.start.date()
            while day < end:
                days.add(day)
                day += timedelta(days=1)
        sample_paused[i] = days

    def naive_one(i: int) -> date:
        day, left, skip = starts[i].date(), limits[i].amount, sample_paused[i]
        while left:
            day += timedelta(days=1)
            if chinese_calendar.is_workday(day) and day not in skip:
                left -= 1
        return day

    gc.disable()
    t0 = clock()
    naive = [naive_one(i) for i in sample.tolist()]
    naive_s = clock() - t0
    gc.enable()
    naive_wrong = sum(1 for i, day in zip(sample.tolist(), naive, strict=True) if scalar[i].last_day != day)

    # -- report ---------------------------------------------------------------------------------------------
    bulk_rate, kernel_rate, scalar_rate = n / bulk_s, n / kernel_s, n / scalar_s
    naive_rate = sample.size / naive_s
    print()
    print(f"{'path':<52}{'cases/s':>12}   {'time':>9}")
    print(
        f"{'naive: day stepping over chinese-calendar (sample)':<52}{rate(sample.size, naive_s):>12}   "
        f"{naive_s:8.3f}s  ({sample.size:,} wd cases, {naive_wrong} disagree with the clock)"
    )
    print(
        f"{'scalar: deadline(), aware datetimes, public API':<52}{rate(n, scalar_s):>12}   {scalar_s:8.3f}s"
    )
    print(f"{'bulk: bulk_deadlines(), mixed units + pauses':<52}{rate(n, bulk_s):>12}   {bulk_s:8.3f}s")
    print(f"{'bulk: working days only, no pauses':<52}{rate(n, plain_s):>12}   {plain_s:8.3f}s")
    print(
        f"{'kernel: bare numpy.searchsorted (working days only)':<52}{rate(n, kernel_s):>12}   {kernel_s:8.3f}s"
    )
    print()
    print(
        f"bulk / kernel        {bulk_rate / kernel_rate:6.2f}   (goal ≥ 0.33)   "
        f"{'ok' if bulk_rate / kernel_rate >= 1 / 3 else 'BELOW GOAL'}"
    )
    print(
        f"bulk                 {bulk_rate / 1e6:6.2f} M/s (goal ≥ 5)     {'ok' if bulk_rate >= 5e6 else 'BELOW GOAL'}"
    )
    print(
        f"scalar               {scalar_rate / 1e3:6.0f} k/s (goal ≥ 200)   "
        f"{'ok' if scalar_rate >= 2e5 else 'BELOW GOAL'}"
    )
    print(f"bulk / naive         {bulk_rate / naive_rate:10,.0f}×")
    print(f"scalar / naive       {scalar_rate / naive_rate:10,.0f}×")
    print(f"bulk == scalar on all {n:,} cases: {'yes' if mismatches == 0 else f'NO ({mismatches} differ)'}")
    return 0 if mismatches == 0 and naive_wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
