"""Administrators enter or import a year's notice; versions are kept; open deadlines that touch the year are
recomputed with old → new on their timelines; provisional marks clear when the year is known."""

from datetime import date

import pytest
import time_machine

from tests.conftest import at
from xiaoneng.core import clock_service, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent, CalendarVersion, WorkItem

# The 2027 notice as an administrator would type it (dates from the statutory rules: 春节 除夕 2027-02-05).
NOTICE_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知（演示）
year: 2027
放假 2027-01-01..2027-01-03
上班 2027-01-09               # 调休
放假 2027-02-05..2027-02-11   # 春节
上班 2027-02-14
"""


@pytest.fixture
def crossing_item(world, task_kind):
    """An item started late December 2026 whose 10 working days reach into 2027 (not yet announced)."""
    with time_machine.travel(at("2026-12-28 09:00"), tick=False):
        return workitem.create(
            kind="test_task",
            actor=world.users["supervisor"],
            title="跨年督办事项",
            owner_unit=world.ua,
            started_at=at("2026-12-28 09:00"),
            limit="10wd",
        )


@pytest.mark.django_db
def test_unknown_year_shows_statutory_holidays_and_is_provisional(world):
    view = clock_service.year_view(2027)
    assert not view["known"]
    assert "2027-01-01" in view["holidays"] and "2027-02-05" in view["holidays"]  # 元旦, 除夕
    assert clock_service.year_view(2026)["known"]


@pytest.mark.django_db
def test_saving_the_notice_recomputes_and_clears_provisional(
    world, crossing_item, django_capture_on_commit_callbacks
):
    assert crossing_item.provisional
    old = crossing_item.deadline
    with django_capture_on_commit_callbacks(execute=True):
        resp = world.client("sysadmin").post(
            "/calendar/import/", {"text": NOTICE_2027, "note": "国办发明电〔2026〕X号"}
        )
    assert resp.status_code == 302
    item = WorkItem.objects.get(pk=crossing_item.pk)
    assert item.provisional is False
    # Statutory guess: 29–31 Dec, 4–8 Jan, 11, 12 Jan → end of Tue 12 Jan. The notice makes Sat 9 Jan a working
    # day, so the tenth working day is Mon 11 Jan.
    assert old == at("2027-01-13 00:00")
    assert item.deadline == at("2027-01-12 00:00")
    event = item.timeline.get(action="deadline_recomputed")
    assert event.before["provisional"] is True and event.after["provisional"] is False
    assert event.before["deadline"] == old.isoformat()
    assert AuditEvent.objects.filter(event_type=AuditEventType.CALENDAR_CHANGED).exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.DEADLINE_RECOMPUTED).exists()
    assert CalendarVersion.objects.get().source == "import"


@pytest.mark.django_db
def test_grid_save_keeps_versions_and_the_newest_wins(world):
    c = world.client("sysadmin")
    c.post("/calendar/2027/", {"holidays": "2027-01-01", "workdays": "", "note": "v1"})
    c.post("/calendar/2027/", {"holidays": "2027-01-01,2027-01-04", "workdays": "2027-01-09", "note": "v2"})
    assert CalendarVersion.objects.count() == 2
    cal = clock_service.calendar()
    assert not cal.is_workday(date(2027, 1, 4))
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday made a working day
    page = c.get("/calendar/2027/").content.decode()
    assert 'data-date="2027-01-04"' in page and 'name="holidays" value="2027-01-01,2027-01-04"' in page


@pytest.mark.django_db
def test_a_day_cannot_be_both_and_nothing_is_saved(world):
    resp = world.client("sysadmin").post(
        "/calendar/2027/", {"holidays": "2027-01-01", "workdays": "2027-01-01"}, follow=True
    )
    assert "既放假又上班" in resp.content.decode()
    assert not CalendarVersion.objects.exists()


@pytest.mark.django_db
def test_a_bad_import_names_the_line_and_saves_nothing(world):
    resp = world.client("sysadmin").post("/calendar/import/", {"text": "year: 2027\n放假 2027-13-01\n"})
    assert resp.status_code == 400
    assert "第 2 行" in resp.content.decode()
    assert not CalendarVersion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["supervisor", "leader", "liaison", "secadmin", "auditor"])
def test_only_the_system_administrator_changes_the_calendar(world, role):
    resp = world.client(role).post("/calendar/2027/", {"holidays": "2027-01-04", "workdays": ""})
    assert resp.status_code == 403
    assert world.client(role).get("/calendar/import/").status_code == 403
    assert not CalendarVersion.objects.exists()


@pytest.mark.django_db
def test_a_local_holiday_moves_deadlines_in_that_region_only(
    world, task_kind, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        ia = workitem.create(
            kind="test_task",
            actor=world.city_supervisor,
            title="甲",
            owner_unit=world.ua,
            started_at=at("2026-03-02 09:00"),
            limit="5wd",
        )
        ib = workitem.create(
            kind="test_task",
            actor=world.city_supervisor,
            title="乙",
            owner_unit=world.ub,
            started_at=at("2026-03-02 09:00"),
            limit="5wd",
        )
    assert ia.deadline == ib.deadline == at("2026-03-10 00:00")
    # 东湖区 declares Wed 4 Mar a local holiday (民族自治地方).
    national = clock_service.year_view(2026)
    with django_capture_on_commit_callbacks(execute=True):
        clock_service.save_year(
            actor=world.users["sysadmin"],
            year=2026,
            region=world.a,
            holidays=national["holidays"] + ["2026-03-04"],
            workdays=national["workdays"],
            note="地方节日",
        )
    ia.refresh_from_db()
    ib.refresh_from_db()
    assert ia.deadline == at("2026-03-11 00:00") and ib.deadline == at("2026-03-10 00:00")
    assert CalendarVersion.objects.get().holidays == ["2026-03-04"]  # only the overlay is stored
