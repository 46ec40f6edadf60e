"""A believable stream of case events from approval systems, for the demo city and the benchmark: cases of a
catalog's matters spread over a period, each living its life (application, acceptance, the required steps,
supplementation and special procedures for some, completion mostly on time, delivery, fees, a rating for most),
with the mistakes real feeds carry (an event sent twice, an impossible order, an unknown case) at a small rate.
Events come out in time order, as an approval system sends them."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class MatterSpec:
    code: str
    instant: bool
    promised_days: int  # working days (0 for instant matters)
    fee: float
    steps: tuple[str, ...]
    windows: tuple[str, ...] = ()


def _office_time(rng: random.Random, day: datetime) -> datetime:
    """A moment of office hours on `day` (or the next weekday when it falls on a weekend)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    minutes = rng.choice([rng.randrange(9 * 60, 12 * 60), rng.randrange(13 * 60 + 30, 17 * 60 + 30)])
    return day.replace(hour=minutes // 60, minute=minutes % 60, second=rng.randrange(60), microsecond=0)


def _later(rng: random.Random, t: datetime, hours: float) -> datetime:
    t = t + timedelta(hours=hours)
    while t.weekday() >= 5:
        t += timedelta(days=1)
    return t


def cases(
    rng: random.Random,
    matters: Sequence[MatterSpec],
    *,
    start: datetime,
    days: int,
    count: int,
    prefix: str,
    until: datetime | None = None,
    mistakes: float = 0.01,
) -> Iterator[tuple[datetime, dict]]:
    """(time, event) pairs of `count` cases applied for over `days` days from `start`; events after `until` are
    left out (cases still open then). Not sorted: `stream` sorts them."""
    n = 0

    def event(case_no: str, kind: str, at: datetime, **fields) -> tuple[datetime, dict]:
        nonlocal n
        n += 1
        return at, {
            "event_id": f"{prefix}E{n}",
            "case_no": case_no,
            "type": kind,
            "at": at.isoformat(),
            **fields,
        }

    for i in range(count):
        m = rng.choice(matters)
        case_no = f"{prefix}{i:07d}"
        t = _office_time(rng, start + timedelta(days=rng.randrange(days)))
        out: list[tuple[datetime, dict]] = []
        app = {"matter": m.code}
        if m.windows:
            app["window"] = rng.choice(m.windows)
        out.append(event(case_no, "application", t, **app))
        if rng.random() < 0.03:
            yield from out  # applied for, never accepted (withdrawn, or still waiting)
            continue
        if m.instant:
            t = t + timedelta(minutes=rng.randrange(2, 15))
            out.append(event(case_no, "acceptance", t))
            if m.fee:
                amount = m.fee * (1.6 if rng.random() < 0.01 else 1)  # now and then above the standard
                out.append(event(case_no, "fee", t + timedelta(minutes=1), amount=f"{amount:.2f}"))
            # Most instant matters are done on the spot; some the next day.
            done = t + (
                timedelta(minutes=rng.randrange(3, 40)) if rng.random() < 0.93 else timedelta(hours=20)
            )
        else:
            late_acceptance = rng.random() < 0.01
            t = _later(rng, t, rng.uniform(0.1, 6) + (24 * 9 if late_acceptance else 0))
            out.append(event(case_no, "acceptance", t))
            if rng.random() < 0.12:
                t = _later(rng, t, rng.uniform(2, 30))
                out.append(event(case_no, "supplement_notice", t))
                t = _later(rng, t, rng.uniform(20, 120))
                out.append(event(case_no, "supplement_return", t))
            if rng.random() < 0.02:
                t = _later(rng, t, rng.uniform(2, 24))
                out.append(
                    event(case_no, "special_start", t, procedure=rng.choice(["expert_review", "testing"]))
                )
                t = _later(rng, t, rng.uniform(48, 200))
                out.append(event(case_no, "special_end", t))
            budget = max(m.promised_days, 1) * 24
            # Most within the promise, a few late, a handful very late; some completed in seconds (体外循环).
            share = (
                rng.choice([0.2, 0.35, 0.5, 0.6, 0.75, 0.9]) if rng.random() < 0.96 else rng.uniform(1.1, 3)
            )
            quick = rng.random() < 0.005
            for step in m.steps:
                if quick:
                    break
                t = _later(rng, t, share * budget / (len(m.steps) + 1))
                if rng.random() < 0.99:  # now and then a required step is never reported
                    out.append(event(case_no, step, t))
            done = t + timedelta(seconds=20) if quick else _later(rng, t, share * budget / (len(m.steps) + 1))
            if m.fee:
                out.append(event(case_no, "fee", done - timedelta(minutes=5), amount=f"{m.fee:.2f}"))
        out.append(event(case_no, "completion", done))
        if not m.instant and rng.random() < 0.5:
            out.append(event(case_no, "delivery", _later(rng, done, rng.uniform(2, 48))))
        if rng.random() < 0.7:
            level = rng.choices([5, 4, 3, 2, 1], weights=[70, 20, 7, 2, 1])[0]
            out.append(
                event(case_no, "rating", done + timedelta(minutes=rng.randrange(1, 600)), rating=level)
            )
        if mistakes and rng.random() < mistakes:
            kind = rng.choice(["twice", "early", "orphan"])
            when, ev = rng.choice(out[1:])
            if kind == "twice":  # the same business event sent again under a new id
                out.append(event(case_no, ev["type"], when + timedelta(minutes=1), **_extra(ev)))
            elif kind == "early":  # a completion dated before its acceptance
                out.append(event(case_no, "completion", out[0][0] - timedelta(minutes=30)))
            else:  # an event for a case never applied for
                out.append(event(case_no + "X", "acceptance", when))
        yield from (p for p in out if until is None or p[0] <= until)


def _extra(ev: dict) -> dict:
    return {k: v for k, v in ev.items() if k not in ("event_id", "case_no", "type", "at")}


def stream(pairs: Iterator[tuple[datetime, dict]]) -> list[dict]:
    """The events in the order a system sends them: by time."""
    return [ev for _t, ev in sorted(pairs, key=lambda p: p[0])]
