"""Stages: normal → warning (预警) → yellow (黄牌, overdue) → red (红牌), and the next change."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.clock import Calendar, ClockError, Limit, Pause, Stage, StagePolicy, Unit, deadline, stage_at

from . import reference as ref
from .reference import SH, at

CAL = Calendar.builtin()
POLICY = StagePolicy(warning="1wd", red="3wd")
START = at("2026-02-13 10:00")  # 5wd → 2026-02-27 24:00


@pytest.mark.parametrize(
    ("now", "stage", "next_change"),
    [
        ("2026-02-13 09:00", Stage.NORMAL, "2026-02-27 00:00"),  # before the start
        ("2026-02-26 10:00", Stage.NORMAL, "2026-02-27 00:00"),
        ("2026-02-27 00:00", Stage.WARNING, "2026-02-28 00:00"),  # one working day left
        ("2026-02-27 23:59", Stage.WARNING, "2026-02-28 00:00"),
        ("2026-02-28 00:00", Stage.YELLOW, "2026-03-04 00:00"),  # overdue from 24:00 of Feb 27
        ("2026-03-03 23:59", Stage.YELLOW, "2026-03-04 00:00"),
        ("2026-03-04 00:00", Stage.RED, None),  # 3 working days past: Sat 28 (调休上班), Mon 2, Tue 3
    ],
)
def test_stages_of_the_spring_festival_case(now: str, stage: Stage, next_change: str | None) -> None:
    info = stage_at(CAL, START, "5wd", at(now), POLICY)
    assert info.stage is stage
    assert info.next_change == (None if next_change is None else at(next_change))
    assert info.deadline == at("2026-02-28 00:00")
    assert info.warning_at == at("2026-02-27 00:00")
    assert info.red_at == at("2026-03-04 00:00")


def test_elapsed_and_remaining_are_in_the_limits_own_measure() -> None:
    info = stage_at(CAL, START, "5wd", at("2026-02-25 12:00"), POLICY)
    # Counted so far: Sat 14, Tue 24 and half of Wed 25 → 2.5 working days; 2.5 left.
    assert info.elapsed == timedelta(days=2, hours=12)
    assert info.remaining == timedelta(days=2, hours=12)
    assert info.remaining_units == 2.5
    assert info.unit is Unit.WORKDAYS
    overdue = stage_at(CAL, START, "5wd", at("2026-03-02 12:00"), POLICY)
    assert overdue.remaining_units == -1.5  # Sat 28 and half of Mon Mar 2 past the deadline
    assert overdue.overdue


def test_a_fractional_warning_uses_the_share_of_the_limit_left() -> None:
    info = stage_at(CAL, START, "5wd", at("2026-02-26 10:00"), StagePolicy(warning="20%"))
    assert info.warning_at == at("2026-02-27 00:00")  # 20% of 5 working days = the last one
    assert info.stage is Stage.NORMAL
    hours = stage_at(CAL, at("2026-03-02 09:00"), "10wh", at("2026-03-02 09:00"), StagePolicy(warning=0.2))
    assert hours.warning_at == at("2026-03-03 10:00")  # 8 of 10 working hours used: Mon 7 h, Tue 09:00–10:00


def test_working_hour_thresholds_on_a_day_limit() -> None:
    info = stage_at(CAL, START, "5wd", at("2026-02-27 15:00"), StagePolicy(warning="2wh", red="4wh"))
    assert info.warning_at == at("2026-02-27 15:30")  # two office hours before the close of Feb 27
    assert info.stage is Stage.NORMAL
    assert info.red_at == at("2026-02-28 14:30")  # 4 office hours into Sat 28 (调休上班): 09–12, 13:30–14:30
    assert info.red_at is not None


def test_no_thresholds_means_normal_then_yellow() -> None:
    assert stage_at(CAL, START, "5wd", at("2026-02-27 12:00")).stage is Stage.NORMAL
    late = stage_at(CAL, START, "5wd", at("2026-05-01 12:00"))
    assert late.stage is Stage.YELLOW
    assert late.next_change is None


def test_red_zero_is_red_at_the_deadline() -> None:
    info = stage_at(CAL, START, "5wd", at("2026-02-28 00:00"), StagePolicy(red="0wd"))
    assert info.stage is Stage.RED


def test_while_paused_the_stage_is_frozen_and_there_is_no_next_change() -> None:
    pauses = [Pause(at("2026-02-24 10:00"))]  # open: 专家评审 still running
    info = stage_at(CAL, START, "5wd", at("2026-03-10 10:00"), POLICY, pauses)
    assert info.paused is True
    assert info.stage is Stage.NORMAL  # counted as if resuming now: never overdue while paused
    assert info.next_change is None
    assert info.elapsed == stage_at(CAL, START, "5wd", at("2026-03-05 10:00"), POLICY, pauses).elapsed
    resumed = stage_at(
        CAL,
        START,
        "5wd",
        at("2026-03-10 10:00"),
        POLICY,
        [Pause(at("2026-02-24 10:00"), at("2026-03-10 10:00"))],
    )
    assert resumed.paused is False
    assert resumed.deadline == info.deadline
    assert resumed.next_change is not None


def test_pauses_after_now_are_not_known_yet() -> None:
    later = [Pause(at("2026-02-26 10:00"), at("2026-03-10 10:00"))]
    info = stage_at(CAL, START, "5wd", at("2026-02-25 10:00"), POLICY, later)
    assert info.deadline == at("2026-02-28 00:00")
    assert info.paused is False


def test_a_provisional_deadline_gives_a_provisional_stage() -> None:
    info = stage_at(CAL, at("2026-12-28 10:00"), "5wd", at("2026-12-29 10:00"), POLICY)
    assert info.provisional is True
    red_in_2027 = stage_at(
        CAL, at("2026-12-10 10:00"), "5wd", at("2026-12-11 10:00"), StagePolicy(red="20wd")
    )
    assert red_in_2027.provisional is True  # the deadline is known, the red boundary is not
    assert red_in_2027.deadline_provisional is False


def test_policy_parsing() -> None:
    assert StagePolicy(warning="1wd").warning == Limit(1, Unit.WORKDAYS)
    assert StagePolicy(warning="20%").warning == 0.2
    assert StagePolicy(warning="0.25").warning == 0.25
    assert StagePolicy(warning=0.5, red="3wd").to_data() == {"warning": "50%", "red": "3wd"}
    assert StagePolicy(**StagePolicy(warning="20%", red="2d").to_data()) == StagePolicy(warning=0.2, red="2d")
    with pytest.raises(ClockError, match="between 0 and 1"):
        StagePolicy(warning="120%")
    with pytest.raises(ClockError, match="unknown limit unit"):
        StagePolicy(red="3weeks")
    assert Stage("red") is Stage.RED
    assert f"{Stage.RED}" == "red"
    assert Stage.YELLOW.label_zh == "黄牌"


def test_now_must_be_aware() -> None:
    with pytest.raises(ClockError, match="naive"):
        stage_at(CAL, START, "5wd", datetime(2026, 2, 20), POLICY)


# -- properties ---------------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("CLOCK_EXAMPLES", "300"))
FIRST = int(datetime(2004, 1, 2, tzinfo=SH).timestamp())
LAST = int(datetime(2027, 10, 1, tzinfo=SH).timestamp())
DAY = 86_400

thresholds = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]),
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 5), st.sampled_from(["wd", "d", "wh", "h"])),
)
reds = st.one_of(
    st.none(), st.builds(lambda n, u: f"{n}{u}", st.integers(0, 5), st.sampled_from(["wd", "d", "wh", "h"]))
)


def dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, SH)


Item = tuple[int, str, int, list[tuple[int, int]], StagePolicy]
"""(start epoch s, limit, now epoch s, pauses as epoch-second pairs, policy)"""


@st.composite
def items(draw: st.DrawFn) -> Item:
    start = draw(st.integers(FIRST, LAST))
    start -= (start + 8 * 3600) % draw(st.sampled_from([1, 3600, DAY]))
    unit = draw(st.sampled_from(["wd", "d", "wh", "h"]))
    amount = draw(st.integers(0, {"wd": 20, "d": 30, "wh": 40, "h": 200}[unit]))
    now = start + draw(st.integers(-DAY, 60 * DAY))
    now -= (now + 8 * 3600) % draw(st.sampled_from([1, 1800, DAY]))
    pauses = []
    for _ in range(draw(st.integers(0, 2))):
        a = start + draw(st.integers(-2 * DAY, 40 * DAY))
        pauses.append((a, a + draw(st.integers(0, 8 * DAY))))
    policy = StagePolicy(warning=draw(thresholds), red=draw(reds))
    return start, f"{amount}{unit}", now, pauses, policy


def reference_stage(
    start: datetime, limit: str, now: datetime, pauses: list[tuple[datetime, datetime]], policy: StagePolicy
) -> Stage:
    """The definition, computed naively: remaining ≤ warning → warning; now ≥ deadline → yellow;
    counted time past the deadline ≥ red → red."""
    known = [(a, min(b, now)) for a, b in pauses if a <= now]
    lim = Limit.parse(limit)
    t_end, _ = ref.deadline(start, [ref.RefLimit(lim.amount, lim.unit.value)], known)

    def past(threshold: Limit) -> bool:  # is the counted time from now to t_end at most the threshold?
        u = threshold.unit.value
        scale = timedelta(days=1) if u in ("wd", "d") else timedelta(hours=1)
        left = ref.measure(u, start, t_end, known) - threshold.amount * scale
        return now >= start if left <= timedelta(0) else ref.measure(u, start, now, known) >= left

    red = policy.red
    if red is not None and now >= t_end:
        u = red.unit.value
        scale = timedelta(days=1) if u in ("wd", "d") else timedelta(hours=1)
        if ref.measure(u, start, now, known) >= ref.measure(u, start, t_end, known) + red.amount * scale:
            return Stage.RED
    if now >= t_end:
        return Stage.YELLOW
    warning = policy.warning
    if isinstance(warning, Limit) and past(warning):
        return Stage.WARNING
    if isinstance(warning, float):
        total = ref.measure(lim.unit.value, start, t_end, known)
        micro = total // timedelta(microseconds=1)
        threshold = timedelta(microseconds=micro - int(micro * warning))
        if (
            (now >= start)
            if threshold <= timedelta(0)
            else ref.measure(lim.unit.value, start, now, known) >= threshold
        ):
            return Stage.WARNING
    return Stage.NORMAL


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items())
def test_stage_matches_its_naive_definition(item: Item) -> None:
    start, limit, now, pauses, policy = item
    info = stage_at(CAL, dt(start), limit, dt(now), policy, [Pause(dt(a), dt(b)) for a, b in pauses])
    expected = reference_stage(dt(start), limit, dt(now), [(dt(a), dt(b)) for a, b in pauses], policy)
    assert info.stage is expected
    known = [(dt(a), min(dt(b), dt(now))) for a, b in pauses if a <= now]
    lim = Limit.parse(limit)
    assert info.deadline == ref.deadline(dt(start), [ref.RefLimit(lim.amount, lim.unit.value)], known)[0]
    assert info.elapsed == ref.measure(lim.unit.value, dt(start), dt(now), known)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items())
def test_next_change_is_exactly_where_the_stage_changes(item: Item) -> None:
    start, limit, now, pauses, policy = item
    closed = [Pause(dt(a), dt(b)) for a, b in pauses if b <= now]  # the future holds no new pauses
    info = stage_at(CAL, dt(start), limit, dt(now), policy, closed)
    if info.next_change is None:
        assert info.stage in (Stage.RED, Stage.YELLOW) or info.paused
        return
    assert info.next_change > dt(now)
    before = stage_at(CAL, dt(start), limit, info.next_change - timedelta(microseconds=1), policy, closed)
    after = stage_at(CAL, dt(start), limit, info.next_change, policy, closed)
    assert before.stage is info.stage
    assert after.stage is not info.stage
    assert after.deadline == info.deadline


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(items())
def test_remaining_reaches_zero_at_the_deadline(item: Item) -> None:
    start, limit, _, pauses, _ = item
    closed = [Pause(dt(a), dt(b)) for a, b in pauses]
    d = deadline(CAL, dt(start), limit, closed)
    last_pause_end = max([dt(b) for _, b in pauses], default=d.at)
    info = stage_at(CAL, dt(start), limit, max(d.at, last_pause_end), StagePolicy(), closed)
    assert info.deadline == d.at
    if d.at >= last_pause_end:
        assert info.remaining == timedelta(0)
