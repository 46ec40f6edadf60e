"""The intake: events applied per case in time order through the case's life; replays change nothing; every
impossible step, duplicate or broken rule becomes a data anomaly with its reason — never dropped, never taken
silently; the clock runs on the promised limit with its pauses."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from tests.conftest import at
from xiaoneng.eservice import ingest
from xiaoneng.eservice.models import (
    AnomalyCode,
    Case,
    CaseEvent,
    DailyStat,
    DataAnomaly,
    Flag,
    IngestBatch,
    MonthlyStat,
    Window,
)

NOW = at("2026-03-20 12:00")


def run(source, events, now=NOW):
    return ingest.ingest(source, events, now=now)


def full_life(feed, case_no="C1", start="2026-03-02 09:00"):
    day = start[:10]
    return [
        feed.app(case_no, "DH-XK-001", f"{day} 09:00", window="DH-W01"),
        feed.ev(case_no, "acceptance", f"{day} 10:00"),
        feed.ev(case_no, "handling", "2026-03-03 10:00"),
        feed.ev(case_no, "review", "2026-03-04 10:00"),
        feed.ev(case_no, "decision", "2026-03-05 10:00"),
        feed.ev(case_no, "completion", "2026-03-05 16:00"),
        feed.ev(case_no, "delivery", "2026-03-06 09:00"),
        feed.ev(case_no, "rating", "2026-03-06 09:30", rating=5),
    ]


@pytest.mark.django_db
def test_a_whole_case_goes_through_and_is_counted(world, matters, source, feed):
    out = run(source, full_life(feed))
    assert (out.accepted, out.rejected, out.flagged, out.replayed) == (8, 0, 0, 0)
    c = Case.objects.get()
    assert c.status == "delivered" and c.steps == 7 and c.rating == 5
    # 5 working days from Monday 2 March: Tue 3 … Mon 9, so the limit ends at 24:00 on 9 March.
    assert c.deadline == at("2026-03-10 00:00")
    # Four working days end on Friday 6 March: completing before then is early (提前办结); the warning comes
    # when one working day is left.
    assert c.early_at == at("2026-03-07 00:00") and c.warning_at == at("2026-03-07 00:00")
    assert c.red_at == at("2026-03-13 00:00")  # 3 working days after the deadline
    assert (c.on_time, c.early, c.onsite) == (True, True, False)
    # Completed at 16:00 of the third working day: 2 days and 16 hours of 5 days.
    assert c.used_share == pytest.approx((2 + 16 / 24) / 5)
    assert c.window == Window.objects.get(code="DH-W01") and c.window.unit == world.ua
    assert CaseEvent.objects.count() == 8 and c.next_check_at is None
    m = MonthlyStat.objects.get()
    assert (m.applied, m.accepted, m.completed, m.on_time, m.early, m.rated, m.satisfied, m.bad) == (
        1,
        1,
        1,
        1,
        1,
        1,
        1,
        0,
    )
    assert sorted(DailyStat.objects.values_list("day", "applied", "completed", "rated")) == [
        (datetime(2026, 3, 2).date(), 1, 0, 0),
        (datetime(2026, 3, 5).date(), 0, 1, 0),
        (datetime(2026, 3, 6).date(), 0, 0, 1),
    ]


@pytest.mark.django_db
def test_events_of_a_batch_are_taken_in_time_order_whatever_their_order_in_the_batch(
    world, matters, source, feed
):
    events = full_life(feed)
    random.Random(3).shuffle(events)
    out = run(source, events)
    assert (out.accepted, out.rejected) == (8, 0)
    assert Case.objects.get().status == "delivered"


@pytest.mark.django_db
def test_a_replayed_batch_changes_nothing_and_says_so(world, matters, source, feed):
    events = full_life(feed)
    run(source, events[:4])
    out = run(source, events)  # a retry after a timeout resends the first four
    assert (out.replayed, out.accepted, out.rejected) == (4, 4, 0)
    assert CaseEvent.objects.count() == 8 and MonthlyStat.objects.get().applied == 1
    again = run(source, events)
    assert (again.replayed, again.accepted) == (8, 0)
    assert IngestBatch.objects.count() == 3 and not DataAnomaly.objects.exists()


@pytest.mark.django_db
def test_an_event_id_reused_for_other_content_is_an_anomaly(world, matters, source, feed):
    events = full_life(feed)
    run(source, events[:2])
    changed = dict(events[1], at="2026-03-02T11:00:00+08:00")
    out = run(source, [changed])
    assert (out.rejected, out.accepted) == (1, 0)
    assert out.problems == [
        {
            "event_id": changed["event_id"],
            "code": "conflicting_replay",
            "disposition": "rejected",
            "detail": f"事件编号 {changed['event_id']} 已用于内容不同的事件 (the event id was used for a different event)",
        }
    ]
    assert Case.objects.get().accepted_at == at("2026-03-02 10:00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first,then,code",
    [
        # completion before acceptance; then acceptance twice; a step before acceptance
        ([], [("completion", "2026-03-03 10:00", {})], AnomalyCode.OUT_OF_ORDER),
        (
            [("acceptance", "2026-03-02 10:00", {})],
            [("acceptance", "2026-03-02 11:00", {})],
            AnomalyCode.DUPLICATE,
        ),
        ([], [("review", "2026-03-02 11:00", {})], AnomalyCode.OUT_OF_ORDER),
        # acceptance dated before the application
        ([], [("acceptance", "2026-03-01 10:00", {})], AnomalyCode.OUT_OF_ORDER),
        # a step after a later step
        (
            [("acceptance", "2026-03-02 10:00", {}), ("review", "2026-03-03 10:00", {})],
            [("handling", "2026-03-04 10:00", {})],
            AnomalyCode.OUT_OF_ORDER,
        ),
        # a step after completion
        (
            [
                ("acceptance", "2026-03-02 10:00", {}),
                ("handling", "2026-03-02 11:00", {}),
                ("review", "2026-03-02 12:00", {}),
                ("decision", "2026-03-02 13:00", {}),
                ("completion", "2026-03-02 14:00", {}),
            ],
            [("decision", "2026-03-03 10:00", {})],
            AnomalyCode.AFTER_COMPLETION,
        ),
        # the end of a pause that was never started
        (
            [("acceptance", "2026-03-02 10:00", {})],
            [("supplement_return", "2026-03-03 10:00", {})],
            AnomalyCode.NOT_PAUSED,
        ),
        # completion while a special procedure runs
        (
            [
                ("acceptance", "2026-03-02 10:00", {}),
                ("special_start", "2026-03-03 10:00", {"procedure": "hearing"}),
            ],
            [("completion", "2026-03-04 10:00", {})],
            AnomalyCode.WHILE_PAUSED,
        ),
        # a rating before completion, a second application
        (
            [("acceptance", "2026-03-02 10:00", {})],
            [("rating", "2026-03-03 10:00", {"rating": 4})],
            AnomalyCode.OUT_OF_ORDER,
        ),
    ],
)
def test_an_impossible_sequence_is_rejected_with_its_reason(world, matters, source, feed, first, then, code):
    run(
        source,
        [feed.app("C1", "DH-XK-001", "2026-03-02 09:00")] + [feed.ev("C1", t, w, **f) for t, w, f in first],
    )
    before = Case.objects.values().get()
    out = run(source, [feed.ev("C1", t, w, **f) for t, w, f in then])
    assert (out.accepted, out.rejected) == (0, 1)
    a = DataAnomaly.objects.get()
    assert (a.code, a.disposition, a.case.case_no, a.department) == (code, "rejected", "C1", world.ua)
    assert a.payload["type"] == then[0][0] and "(" in a.detail  # Chinese with the English in brackets
    after = Case.objects.values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


@pytest.mark.django_db
def test_a_second_application_for_the_same_case_is_a_duplicate(world, matters, source, feed):
    run(source, [feed.app("C1", "DH-XK-001", "2026-03-02 09:00")])
    out = run(source, [feed.app("C1", "DH-XK-001", "2026-03-02 09:05")])
    assert out.problems[0]["code"] == "duplicate" and Case.objects.count() == 1


@pytest.mark.django_db
def test_bad_and_unknown_inputs_are_anomalies_never_dropped(world, matters, source, feed):
    events = [
        feed.ev("C9", "acceptance", "2026-03-02 10:00"),  # no application
        feed.app("C2", "NO-SUCH", "2026-03-02 09:00"),  # matter not in the catalog
        feed.app("C3", "XS-XK-001", "2026-03-02 09:00"),  # county B's matter from county A's system
        feed.ev("C4", "teleport", "2026-03-02 10:00"),  # unknown type
        feed.app("C5", "DH-XK-001", "2026-03-25 09:00"),  # dated after its arrival
        {
            "event_id": "E-bad",
            "case_no": "C6",
            "type": "application",
            "at": "yesterday",
            "matter": "DH-XK-001",
        },
        {"case_no": "C7", "type": "application", "at": "2026-03-02T09:00:00+08:00", "matter": "DH-XK-001"},
        ["not", "an", "object"],
        feed.ev("C8", "rating", "2026-03-02 10:00", rating=9),
    ]
    out = run(source, events)
    assert (out.received, out.accepted, out.rejected) == (9, 0, 9)
    codes = [p["code"] for p in out.problems]
    assert sorted(codes) == sorted(
        [
            "unknown_case",
            "unknown_matter",
            "out_of_region",
            "malformed",
            "future",
            "malformed",
            "malformed",
            "malformed",
            "malformed",
        ]
    )
    assert DataAnomaly.objects.count() == 9 and not Case.objects.exists()
    west = DataAnomaly.objects.get(code="out_of_region")
    # The sender's mistake: seen in the sender's region, not on county B's department.
    assert west.department is None and west.region_path == source.region_path
    assert DataAnomaly.objects.get(code="unknown_case").region_path == source.region_path


@pytest.mark.django_db
def test_supplementation_and_special_procedures_stop_the_clock(world, matters, source, feed):
    run(
        source,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("C1", "acceptance", "2026-03-02 10:00"),
            feed.ev("C1", "supplement_notice", "2026-03-03 10:00"),
        ],
    )
    c = Case.objects.get()
    assert c.paused and c.next_check_at is None and c.pauses[0][1] is None
    run(
        source,
        [
            feed.ev("C1", "supplement_return", "2026-03-05 10:00"),  # Tue 3 … Thu 5: two working days paused
            feed.ev("C1", "special_start", "2026-03-06 10:00", procedure="expert_review"),
            feed.ev("C1", "special_end", "2026-03-09 10:00"),  # Fri 6 … Mon 9: one more working day
        ],
    )
    c.refresh_from_db()
    assert not c.paused and [p[2] for p in c.pauses] == ["supplement", "expert_review"]
    # 5 working days from 2 March end on 9 March; three paused working days move them to 12 March.
    assert c.deadline == at("2026-03-13 00:00")


@pytest.mark.django_db
def test_a_missing_required_step_is_taken_and_flagged(world, matters, source, feed):
    out = run(
        source,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("C1", "acceptance", "2026-03-02 10:00"),
            feed.ev("C1", "decision", "2026-03-03 10:00"),
            feed.ev("C1", "completion", "2026-03-03 11:00"),
        ],
    )
    assert (out.accepted, out.flagged, out.rejected) == (4, 1, 0)
    assert Case.objects.get().status == "completed"
    a = DataAnomaly.objects.get()
    assert (a.code, a.disposition) == ("missing_steps", "flagged") and "承办、审核" in a.detail
    assert MonthlyStat.objects.get().anomalies == 1


@pytest.mark.django_db
def test_an_instant_matter_done_at_the_window_the_same_day_is_on_site(world, matters, source, feed):
    run(
        source,
        [
            feed.app("Q1", "DH-QR-002", "2026-03-02 09:00", window="DH-ZWFW-W01"),
            feed.ev("Q1", "acceptance", "2026-03-02 09:05"),
            feed.ev("Q1", "fee", "2026-03-02 09:06", amount="80.00"),
            feed.ev("Q1", "completion", "2026-03-02 09:20"),
            feed.app("Q2", "DH-QR-002", "2026-03-02 16:00", window="DH-ZWFW-W01"),
            feed.ev("Q2", "acceptance", "2026-03-02 16:05"),
            feed.ev("Q2", "completion", "2026-03-03 09:00"),  # the next day: late for a 即办件
        ],
    )
    q1, q2 = Case.objects.get(case_no="Q1"), Case.objects.get(case_no="Q2")
    assert q1.deadline == at("2026-03-03 00:00") and q1.on_time and q1.onsite and q1.used_share is None
    assert (
        q1.flags & Flag.FEE and q1.fee_total == 80 and q1.next_check_at == NOW
    )  # the sweep raises the alert
    assert not q2.on_time and not q2.onsite and q2.flags & Flag.OVERDUE
    m = MonthlyStat.objects.get()
    assert (m.completed, m.on_time, m.onsite, m.limited) == (2, 1, 1, 0)


@pytest.mark.django_db
def test_an_instant_matter_applied_for_online_is_not_on_site(world, matters, source, feed):
    run(
        source,
        [
            feed.app("Q3", "DH-QR-002", "2026-03-02 09:00"),  # no window: an online application
            feed.ev("Q3", "acceptance", "2026-03-02 09:05"),
            feed.ev("Q3", "completion", "2026-03-02 09:20"),
        ],
    )
    q3 = Case.objects.get(case_no="Q3")
    assert q3.on_time and q3.onsite is False
    m = MonthlyStat.objects.get()
    assert (m.completed, m.on_time, m.onsite) == (1, 1, 0)


@pytest.mark.django_db
def test_off_system_handling_is_suspected(world, matters, source, feed):
    run(
        source,
        [
            feed.app("L1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("L1", "acceptance", "2026-03-10 09:00"),  # six working days after the application
            feed.app("Q1", "DH-XK-001", "2026-03-02 09:00"),
            feed.ev("Q1", "acceptance", "2026-03-02 10:00:00"[:16]),
            feed.ev("Q1", "handling", "2026-03-02 10:00"),
            feed.ev("Q1", "review", "2026-03-02 10:00"),
            feed.ev("Q1", "decision", "2026-03-02 10:00"),
            feed.ev("Q1", "completion", "2026-03-02 10:00"),  # a licence completed the moment it was accepted
        ],
    )
    assert Case.objects.get(case_no="L1").flags == Flag.LATE_ACCEPTANCE
    assert Case.objects.get(case_no="Q1").flags == Flag.QUICK_COMPLETION


@pytest.mark.django_db
def test_a_naive_time_is_beijing_time(world, matters, source, feed):
    e = feed.app("C1", "DH-XK-001", "2026-03-02 09:00")
    e["at"] = "2026-03-02 09:00:00"
    run(source, [e])
    assert Case.objects.get().applied_at == at("2026-03-02 09:00")
