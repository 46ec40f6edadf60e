"""The metrics read the rollup counters kept as events arrive; they must equal a brute-force recount over the raw
cases, anomalies and alerts for any period (whole and partial months), grouping and filter — and a rebuild of
the counters from the raw rows must change nothing."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
import time_machine

from tests.conftest import TZ, make_user
from xiaoneng.eservice import alerts, ingest, stats, sweep
from xiaoneng.eservice.models import Case, CaseAlert, DailyStat, MonthlyStat
from xiaoneng.org.roles import Role

from .conftest import matter

COUNTERS = stats.COUNTERS


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def random_city(world, source, seed=5, n=260):
    """n cases over January–April 2026 with every kind of event, anomaly and alert, fed day by day in batches
    (some events sent twice, some out of order), the case sweep run after each day, some 差评 rectified."""
    rng = random.Random(seed)
    matters = [
        matter(world.ua, "M-LIC", "许可", promised="5wd", steps="handling,decision"),
        matter(world.ua2, "M-INS", "即办", promised="即办", fee="20"),
        matter(world.ua2, "M-DAY", "自然日", promised="10d", statutory="20d", level="township"),
    ]
    windows = ["W-A", "W-B", None]
    by_day: dict[date, list[dict]] = defaultdict(list)
    n_ev = 0

    def ev(case_no, kind, when, **fields):
        nonlocal n_ev
        n_ev += 1
        by_day[when.date()].append(
            {"event_id": f"R{n_ev}", "case_no": case_no, "type": kind, "at": _iso(when), **fields}
        )

    for i in range(n):
        m = rng.choice(matters)
        case_no = f"R-{i:04d}"
        t = datetime(2026, 1, 12, 8, tzinfo=TZ) + timedelta(minutes=rng.randrange(0, 95 * 24 * 60))
        app = {"matter": m.code}
        if (w := rng.choice(windows)) is not None:
            app["window"] = w
        ev(case_no, "application", t, **app)
        if rng.random() < 0.08:
            continue  # never accepted
        t += timedelta(minutes=rng.choice([3, 30, 300, 60 * 24 * 8]))
        ev(case_no, "acceptance", t)
        if rng.random() < 0.05:
            ev(case_no, "completion", t - timedelta(hours=2))  # an impossible order
        if m.instant:
            if rng.random() < 0.3:
                ev(case_no, "fee", t + timedelta(minutes=1), amount=rng.choice(["10", "30"]))
            t += timedelta(minutes=rng.choice([5, 20, 60 * 20]))
        else:
            if rng.random() < 0.3:
                t += timedelta(hours=3)
                ev(case_no, "supplement_notice", t)
                t += timedelta(days=rng.randrange(1, 6))
                ev(case_no, "supplement_return", t)
            for step in ("handling", "decision"):
                if rng.random() < 0.93:
                    t += timedelta(hours=rng.randrange(1, 60))
                    ev(case_no, step, t)
            t += timedelta(hours=rng.randrange(1, 120), seconds=rng.choice([0, 30]))
        if rng.random() < 0.1:
            continue  # still open
        ev(case_no, "completion", t)
        if rng.random() < 0.6:
            t += timedelta(hours=rng.randrange(1, 48))
            ev(case_no, "rating", t, rating=rng.choice([5, 5, 5, 4, 4, 3, 2, 1]))
            if rng.random() < 0.05:
                ev(case_no, "rating", t + timedelta(minutes=5), rating=5)  # rated twice
    supervisor, liaisons = (
        world.users["supervisor"],
        {
            world.ua.pk: world.users["liaison"],
            world.ua2.pk: make_user("ua2_liaison", Role.LIAISON, world.ua2),
        },
    )
    batches = sorted(by_day.items())
    for k, (day, events) in enumerate(batches):
        rng.shuffle(events)
        now = datetime(day.year, day.month, day.day, 23, 0, tzinfo=TZ)
        if now > datetime(2026, 4, 30, tzinfo=TZ):
            break
        if k % 7 == 3 and k:  # a retry of the day before, resent whole
            ingest.ingest(source, batches[k - 1][1], now=now)
        ingest.ingest(source, events, now=now)
        with time_machine.travel(now + timedelta(minutes=30), tick=False):
            sweep.sweep()
            for a in CaseAlert.objects.filter(type="bad_rating", work_item__state="pending").select_related(
                "work_item"
            ):
                if rng.random() < 0.5:
                    who = liaisons[a.department_id]
                    item = alerts.act_on_item(
                        a.work_item, "rectify", who, data={"finding": "valid", "text": "整改"}
                    )
                    item = alerts.act_on_item(item, "revisit", who, data={"result": "4", "text": "回访"})
                    alerts.act_on_item(item, "close", supervisor)


def brute(user_rows, query: stats.Query, group_key) -> dict:
    """The recount folded the way the metrics fold: {group value: {counter: sum}} within the query."""
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0.0))
    for (day, matter_id, window_id), counts in user_rows.items():
        if not query.start <= day <= query.end:
            continue
        key = group_key(day, matter_id, window_id)
        if key is None:
            continue
        for c in COUNTERS:
            out[key][c] += counts[c]
    return {k: v for k, v in out.items() if any(v.values())}


def as_dicts(result) -> dict:
    return {r.key: {c: r.counts[c] for c in COUNTERS} for r in result["rows"] if any(r.counts.values())}


def close(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        for c in COUNTERS:
            if abs(a[k][c] - b[k][c]) > 1e-6:
                return False
    return True


@pytest.mark.django_db
def test_metrics_equal_a_brute_force_recount(world, source):
    random_city(world, source)
    assert Case.objects.count() > 200 and CaseAlert.objects.exists()
    raw = stats.recount(date(2026, 1, 1), date(2026, 4, 30))
    from xiaoneng.eservice.models import Matter

    m = {x.pk: x for x in Matter.objects.all()}
    groups = {
        "department": lambda d, mid, w: m[mid].department_id,
        "matter": lambda d, mid, w: mid,
        "window": lambda d, mid, w: w,
        "level": lambda d, mid, w: m[mid].level,
        "month": lambda d, mid, w: d.replace(day=1),
    }
    user = world.city_supervisor
    periods = [
        (date(2026, 2, 1), date(2026, 2, 28)),  # one whole month
        (date(2026, 1, 20), date(2026, 3, 15)),  # partial months at both ends
        (date(2026, 3, 3), date(2026, 3, 9)),  # inside one month
        (date(2026, 1, 1), date(2026, 4, 30)),
    ]
    checked = 0
    for start, end in periods:
        for group, key in groups.items():
            q = stats.Query(start=start, end=end, group=group)
            got, want = as_dicts(stats.metrics(user, q)), brute(raw, q, key)
            assert close(got, want), (start, end, group, got, want)
            checked += 1
    # filters: one department, one level
    q = stats.Query(start=date(2026, 1, 20), end=date(2026, 3, 15), group="matter", department=world.ua2.pk)
    want = brute(raw, q, lambda d, mid, w: mid if m[mid].department_id == world.ua2.pk else None)
    assert close(as_dicts(stats.metrics(user, q)), want)
    total = stats.metrics(user, stats.Query(start=date(2026, 1, 1), end=date(2026, 4, 30)))["total"].counts
    assert total["completed"] > 150 and total["bad"] > 5 and total["rectified"] > 0 and total["anomalies"] > 5
    assert total["yellow"] > 0 and total["fee_alerts"] > 0 and total["offsystem_alerts"] > 0
    assert checked == 20

    # A rebuild from the raw rows changes nothing.
    def table():
        return {
            (r[0], r[1], r[2]): dict(zip(COUNTERS, r[3:], strict=True))
            for r in DailyStat.objects.values_list("day", "matter_id", "window_id", *COUNTERS)
            if any(r[3:])
        }

    before = table()
    stats.rebuild()
    assert close(table(), before)
    assert MonthlyStat.objects.count() > 0


@pytest.mark.django_db
def test_the_metrics_follow_scope(world, source, feed):
    matter(world.ua, "M-LIC", "许可")
    matter(world.ua2, "M-INS", "即办", promised="即办")
    ingest.ingest(
        source,
        [
            feed.app("A1", "M-LIC", "2026-03-02 09:00"),
            feed.ev("A1", "acceptance", "2026-03-02 10:00"),
            feed.app("B1", "M-INS", "2026-03-02 09:00"),
            feed.ev("B1", "acceptance", "2026-03-02 10:00"),
        ],
        now=datetime(2026, 3, 3, tzinfo=TZ),
    )
    q = stats.Query(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [r.key for r in stats.metrics(world.users["supervisor"], q)["rows"]] != []
    liaison = stats.metrics(world.users["liaison"], q)
    assert [r.key for r in liaison["rows"]] == [world.ua.pk] and liaison["total"].counts["accepted"] == 1
    assert stats.metrics(world.users["auditor"], q)["rows"] == []


@pytest.mark.parametrize(
    "start,end,months,days",
    [
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 1)), []),
        (
            date(2026, 1, 20),
            date(2026, 3, 15),
            (date(2026, 2, 1), date(2026, 2, 1)),
            [(date(2026, 1, 20), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 15))],
        ),
        (date(2026, 3, 3), date(2026, 3, 9), None, [(date(2026, 3, 3), date(2026, 3, 9))]),
        (date(2026, 1, 1), date(2026, 12, 31), (date(2026, 1, 1), date(2026, 12, 1)), []),
        (date(2026, 1, 31), date(2026, 2, 1), None, [(date(2026, 1, 31), date(2026, 2, 1))]),
    ],
)
def test_a_period_splits_into_whole_months_and_edge_days(start, end, months, days):
    assert stats.split(start, end) == (months, days)


@pytest.mark.django_db
def test_every_number_opens_the_cases_behind_it(world, source):
    random_city(world, source, n=80)
    c = world.client("supervisor")
    html = c.get("/eservice/?from=2026-01-01&to=2026-04-30").content.decode()
    assert 'data-testid="metrics"' in html
    q = stats.Query(start=date(2026, 1, 1), end=date(2026, 4, 30))
    result = stats.metrics(world.users["supervisor"], q)
    row = result["rows"][0]
    from urllib.parse import urlencode

    for measure, counter in (
        ("on_time", "on_time"),
        ("completed", "completed"),
        ("bad", "bad"),
        ("onsite", "onsite"),
    ):
        params = urlencode({**stats.drill_params(q, row.key), "measure": measure})
        page = c.get(f"/eservice/cases/?{params}").content.decode()
        n = int(row.counts[counter])
        assert (f"共 {n} 件" in page) or (n > 1000 and "共 1000+ 件" in page), (measure, n)
    resp = c.get("/eservice/metrics/export.xlsx?from=2026-01-01&to=2026-04-30&group=matter")
    assert resp.status_code == 200


@pytest.mark.django_db
def test_the_metrics_api(world, source, feed):
    matter(world.ua, "M-LIC", "许可")
    ingest.ingest(
        source,
        [feed.app("A1", "M-LIC", "2026-03-02 09:00"), feed.ev("A1", "acceptance", "2026-03-02 10:00")],
        now=datetime(2026, 3, 3, tzinfo=TZ),
    )
    body = world.client("supervisor").get("/api/eservice/metrics/?from=2026-03-01&to=2026-03-31").json()
    assert body["group"] == "department" and body["targets"]["on_time"] == 1.0
    assert body["rows"][0]["label"] == "东湖区住建局" and body["total"]["counts"]["accepted"] == 1
    assert world.client("auditor").get("/api/eservice/metrics/").json()["rows"] == []
