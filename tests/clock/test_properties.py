"""Property tests: the engine (scalar and bulk) against the naive day-stepping reference, 2004–2027."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.clock import Calendar, Limit, Pause, Unit, bulk_deadlines, deadline

from . import reference as ref
from .reference import SH

CAL = Calendar.builtin()
FIRST = int(datetime(2004, 1, 2, tzinfo=SH).timestamp())
LAST = int(datetime(2027, 12, 1, tzinfo=SH).timestamp())
DAY = 86_400
MAX_AMOUNT = {"wd": 45, "d": 60, "wh": 120, "h": 400}

# CLOCK_EXAMPLES=20000 for a deeper run.
EXAMPLES = int(os.environ.get("CLOCK_EXAMPLES", "400"))
PROFILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

units = st.sampled_from(["wd", "d", "wh", "h"])


@st.composite
def limits(draw: st.DrawFn) -> ref.RefLimit:
    unit = draw(units)
    return ref.RefLimit(draw(st.integers(0, MAX_AMOUNT[unit])), unit)


# Instants snap to minutes, to whole and half hours or to midnight often enough to hit the edges.
@st.composite
def instants(draw: st.DrawFn, lo: int = FIRST, hi: int = LAST) -> int:
    t = draw(st.integers(lo, hi))
    grain = draw(st.sampled_from([1, 60, 1800, 3600, DAY]))
    return t - (t + 8 * 3600) % grain


Case = tuple[int, ref.RefLimit, list[ref.RefLimit], list[tuple[int, int]], bool]
"""(start epoch s, limit, extensions, pauses as epoch-second pairs, office_close)"""


@st.composite
def cases(draw: st.DrawFn) -> Case:
    start = draw(instants())
    limit = draw(limits())
    extensions = draw(st.lists(limits(), max_size=2))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(instants(start - 5 * DAY, start + 50 * DAY))
        length = draw(st.one_of(st.integers(0, 6 * 3600), st.integers(0, 12 * DAY)))
        pauses.append((a, a + length))
    return start, limit, extensions, pauses, draw(st.booleans())


def dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, SH)


# The engine takes instants in any zone: Beijing (its own, the fast path), UTC (what Django hands out) or other.
zones = st.sampled_from([SH, UTC, timezone(timedelta(hours=-5)), ZoneInfo("Asia/Urumqi")])


@PROFILE
@given(cases(), zones)
def test_scalar_matches_the_day_stepping_reference(case: Case, zone: tzinfo) -> None:
    start, limit, extensions, pauses, office_close = case
    expected, last_day = ref.deadline(
        dt(start), [limit, *extensions], [(dt(a), dt(b)) for a, b in pauses], office_close
    )
    d = deadline(
        CAL,
        dt(start).astimezone(zone),
        Limit(limit.amount, Unit(limit.unit)),
        [Pause(dt(a).astimezone(zone), dt(b).astimezone(zone)) for a, b in pauses],
        [Limit(e.amount, Unit(e.unit)) for e in extensions],
        office_close,
    )
    assert d.at == expected
    assert d.last_day == last_day
    calendar_used = any(lim.unit != "h" for lim in [limit, *extensions])
    touches_2027 = max(ref.local_date(dt(start)), last_day).year >= 2027  # start day through last day
    assert d.provisional == (calendar_used and touches_2027)


@PROFILE
@given(
    st.integers(FIRST, LAST),
    st.integers(0, 999_999),
    limits(),
    st.lists(
        st.tuples(st.integers(-3 * DAY, 20 * DAY), st.integers(0, 5 * DAY), st.integers(0, 999_999)),
        max_size=3,
    ),
)
def test_microseconds_are_kept_exactly(
    start: int, micro: int, limit: ref.RefLimit, raw_pauses: list[tuple[int, int, int]]
) -> None:
    begin = dt(start) + timedelta(microseconds=micro)
    pauses = [
        (begin + timedelta(seconds=a), begin + timedelta(seconds=a + n, microseconds=u))
        for a, n, u in raw_pauses
    ]
    expected, _ = ref.deadline(begin, [limit], pauses)
    assert (
        deadline(CAL, begin, f"{limit.amount}{limit.unit}", [Pause(a, b) for a, b in pauses]).at == expected
    )


@settings(max_examples=max(EXAMPLES // 3, 50), deadline=None)
@given(st.lists(cases(), min_size=1, max_size=40))
def test_bulk_matches_scalar(batch: list[Case]) -> None:
    starts = np.array([c[0] for c in batch], dtype=np.int64)
    amounts = np.array([c[1].amount for c in batch])
    codes = np.array([Unit(c[1].unit).code for c in batch])
    p_index: list[int] = []
    p_start: list[int] = []
    p_end: list[int] = []
    e_index: list[int] = []
    e_amount: list[int] = []
    e_unit: list[str] = []
    for i, (_, _, extensions, pauses, _) in enumerate(batch):
        for a, b in pauses:
            p_index.append(i)
            p_start.append(a)
            p_end.append(b)
        for e in extensions:
            e_index.append(i)
            e_amount.append(e.amount)
            e_unit.append(e.unit)
    got, provisional = bulk_deadlines(
        CAL,
        starts,
        amounts,
        codes,
        pause_index=np.array(p_index, dtype=np.int64),
        pause_starts=np.array(p_start, dtype=np.int64),
        pause_ends=np.array(p_end, dtype=np.int64),
        office_close=np.array([c[4] for c in batch]),
        ext_index=np.array(e_index, dtype=np.int64),
        ext_amounts=np.array(e_amount, dtype=np.int64),
        ext_units=np.array(e_unit if e_unit else [], dtype=str),
    )
    for i, case in enumerate(batch):
        start, limit, extensions, pauses, office_close = case
        d = deadline(
            CAL,
            dt(start),
            f"{limit.amount}{limit.unit}",
            [Pause(dt(a), dt(b)) for a, b in pauses],
            [f"{e.amount}{e.unit}" for e in extensions],
            office_close,
        )
        assert int(got[i]) == int(d.at.timestamp()), case
        assert bool(provisional[i]) == d.provisional, case


@settings(max_examples=100, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_bulk_accepts_pauses_in_any_order(batch: list[Case], rnd: random.Random) -> None:
    rows = [(i, a, b) for i, c in enumerate(batch) for a, b in c[3]]
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    args = (
        CAL,
        np.array([c[0] for c in batch]),
        np.array([c[1].amount for c in batch]),
        np.array([c[1].unit for c in batch]),
    )

    def run(items: list[tuple[int, int, int]]) -> npt.NDArray[np.int64]:
        arrays = [np.array([r[k] for r in items], dtype=np.int64) for k in range(3)]
        return bulk_deadlines(*args, pause_index=arrays[0], pause_starts=arrays[1], pause_ends=arrays[2])[0]

    assert (run(rows) == run(shuffled)).all()


@settings(max_examples=200, deadline=None)
@given(st.integers(FIRST, LAST), st.integers(0, 40), st.integers(0, 40))
def test_an_extension_in_the_same_unit_adds_up(start: int, n: int, m: int) -> None:
    # Not for natural days (their end may have been moved off a rest day before the extension counts)
    # nor for 0wd (it may have been moved to the next working day).
    for unit in ("wd", "wh", "h") if n else ("wh", "h"):
        chained = deadline(CAL, dt(start), f"{n}{unit}", extensions=[f"{m}{unit}"])
        assert chained.at == deadline(CAL, dt(start), f"{n + m}{unit}").at
