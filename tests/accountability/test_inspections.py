"""明查暗访: a plan (targets, dates, open or undercover, a team), findings recorded on a phone with cleaned photos,
each finding sent for rectification as supervised work and/or opened as an accountability case; an undercover
plan stays hidden from all but its team and the issuing level until it is done."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.conftest import make_user
from xiaoneng.accountability import services
from xiaoneng.accountability.models import Finding, InspectionPlan
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.roles import Role
from xiaoneng.supervision.models import SupervisedItem

from .conftest import B
from .test_pages_api import client_for


def jpeg_with_gps() -> bytes:
    """A phone photo carrying EXIF with the camera and a GPS position."""
    im = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def plan(world, staff, discipline):
    """An undercover visit to 东湖区住建局's windows by county A's office, with its discipline officer on the team."""
    return services.create_plan(
        actor=staff,
        title="窗口作风暗访",
        mode="undercover",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 3),
        targets=[world.ua, world.ua2],
        team=[discipline],
        windows="1号、3号窗口",
        focus="上班纪律、服务态度",
    )


def find(plan, actor, world, **extra):
    fields = {
        "observed_at": timezone.now() - timedelta(minutes=5),
        "place": "东湖区政务服务中心二楼",
        "unit": world.ua,
        "window": "3号窗口",
        "people_present": "张东湖、群众两人",
        "person": world.pa,
        "behaviour": B("games_cards"),
        "description": "上班时间在窗口用手机打牌，群众排队无人办理。",
        **extra,
    }
    return services.record_finding(actor=actor, plan=plan, **fields)


@pytest.mark.django_db
def test_a_plan_has_targets_a_team_and_its_organiser(world, plan, staff, discipline):
    assert plan.region_path == world.a.path and plan.state == "planned"
    assert set(plan.team.all()) == {staff, discipline}
    assert set(plan.targets.all()) == {world.ua, world.ua2}
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INSPECTION_CHANGED, data__what="planned"
    ).exists()


@pytest.mark.django_db
def test_a_plan_is_refused_without_targets_with_dates_reversed_or_an_unfit_team(world, staff):
    base = {
        "actor": staff,
        "title": "x",
        "mode": "open",
        "starts_on": date(2026, 3, 2),
        "ends_on": date(2026, 3, 2),
        "targets": [world.ua],
    }
    with pytest.raises(TransitionRefused, match="检查对象"):
        services.create_plan(**{**base, "targets": []})
    with pytest.raises(TransitionRefused, match="结束日期"):
        services.create_plan(**{**base, "ends_on": date(2026, 3, 1)})
    with pytest.raises(TransitionRefused, match="检查组成员"):
        services.create_plan(**base, team=[world.users["liaison"]])
    with pytest.raises(TransitionRefused) as e:
        services.create_plan(**{**base, "targets": [world.ub]})
    assert e.value.status == 404
    with pytest.raises(TransitionRefused) as e:
        services.create_plan(**{**base, "actor": world.users["discipline"]})
    assert e.value.status == 403
    assert not InspectionPlan.objects.exists()


@pytest.mark.django_db
def test_an_undercover_plan_is_hidden_until_done_except_from_the_team_and_the_issuing_level(
    world, plan, staff, discipline
):
    leader = world.users["leader"]
    other_supervisor = make_user("a_supervisor3", Role.SUPERVISOR, world.ua)  # issuing level, not on the team
    outsider_discipline = make_user("a_discipline2", Role.DISCIPLINE, world.ua)  # the region, not on the team
    visible = lambda user: InspectionPlan.objects.restrict(user).filter(pk=plan.pk).exists()  # noqa: E731
    assert visible(staff) and visible(discipline) and visible(other_supervisor)
    assert not visible(outsider_discipline) and not visible(leader) and not visible(world.city_supervisor)
    assert client_for(leader).get(f"/accountability/inspections/{plan.pk}/").status_code == 404
    assert "窗口作风暗访" not in client_for(leader).get("/accountability/inspections/").content.decode()
    services.finish_plan(plan, staff, summary="发现问题1个")
    assert visible(outsider_discipline) and visible(leader) and visible(world.city_supervisor)
    assert not visible(world.users["liaison"]) and not visible(world.users["npc"])


@pytest.mark.django_db
def test_findings_are_recorded_by_the_team_and_start_the_inspection(world, plan, staff, discipline, media):
    f = find(plan, discipline, world)
    plan.refresh_from_db()
    assert plan.state == "under_way" and f.recorded_by == discipline
    with pytest.raises(TransitionRefused) as e:
        find(plan, make_user("a_discipline2", Role.DISCIPLINE, world.ua), world)
    assert e.value.status == 404  # not on the team: the undercover plan is not even visible
    with pytest.raises(TransitionRefused, match="当事人不在该单位"):
        find(plan, staff, world, unit=world.ua2)
    with pytest.raises(TransitionRefused, match="晚于现在"):
        find(plan, staff, world, observed_at=timezone.now() + timedelta(hours=1))
    services.finish_plan(plan, staff)
    with pytest.raises(TransitionRefused, match="检查已结束"):
        find(plan, staff, world)
    with pytest.raises(TransitionRefused, match="已有检查发现"):
        services.cancel_plan(plan, staff, reason="x")


@pytest.mark.django_db
def test_the_phone_page_records_a_finding_with_photos_cleaned_of_exif(world, plan, discipline, media):
    c = client_for(discipline)
    page = c.get(f"/accountability/inspections/{plan.pk}/findings/new/").content.decode()
    assert 'capture="environment"' in page and 'type="datetime-local"' in page
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg")
    r = c.post(
        f"/accountability/inspections/{plan.pk}/findings/new/",
        {
            "observed_at": (timezone.localtime() - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M"),
            "unit": world.ua.pk,
            "place": "政务服务中心二楼",
            "window": "3号窗口",
            "behaviour": B("games_cards").pk,
            "description": "窗口人员打牌",
            "people_present": "张东湖",
            "person": world.pa.pk,
            "photos": [photo],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    f = Finding.objects.get()
    stored = f.photos.get()
    with Image.open(stored.file.open("rb")) as im:
        assert not im.getexif() and "exif" not in im.info
    assert stored.file.name.endswith(".jpg") and "IMG_0001" not in stored.file.name
    assert c.get(f"/accountability/inspections/photos/{stored.pk}/").status_code == 200
    r = c.post(
        f"/accountability/inspections/{plan.pk}/findings/new/",
        {
            "observed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "unit": world.ua.pk,
            "place": "x",
            "description": "x",
            "photos": [SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")],
        },
    )
    assert r.status_code == 400 and "PDF" in r.content.decode()
    assert Finding.objects.count() == 1


@pytest.mark.django_db
def test_a_finding_becomes_supervised_work_once_the_undercover_visit_is_over(world, plan, staff, media):
    f = find(plan, staff, world)
    with pytest.raises(TransitionRefused, match="暗访尚未结束"):
        services.rectify(f, staff)
    services.finish_plan(plan, staff)
    item = services.rectify(f, staff, limit_text="5wd")
    assert isinstance(item, SupervisedItem) and item.source == "inspection"
    wi = item.work_item
    assert wi.owner_unit == world.ua and wi.limit == "5wd"
    assert "3号窗口" in item.description and "打牌" in item.description
    assert "张东湖" not in item.description  # who was there stays with the office
    with pytest.raises(TransitionRefused, match="已交办整改"):
        services.rectify(f, staff)


@pytest.mark.django_db
def test_a_finding_opens_an_accountability_case_from_its_page(world, plan, staff, media):
    f = find(plan, staff, world)
    c = client_for(staff)
    assert (
        'data-testid="open-case"'
        not in c.get(f"/accountability/inspections/findings/{f.pk}/").content.decode()
    )
    services.finish_plan(plan, staff)
    page = c.get(f"/accountability/inspections/findings/{f.pk}/").content.decode()
    assert 'data-testid="open-case"' in page and 'data-testid="rectify"' in page
    form = c.get(f"/accountability/new/?finding={f.pk}").content.decode()
    assert "上班时间在窗口用手机打牌" in form
    r = c.post(
        f"/accountability/new/?finding={f.pk}",
        {
            "source": "inspection",
            "summary": f.description,
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-unit": world.ua.pk,
            "form-0-person": world.pa.pk,
            "form-0-behaviour": B("games_cards").pk,
        },
    )
    body = r.content.decode()
    assert r.status_code == 302, body[body.find("<main") : body.find("<main") + 3000]
    assert f.cases.get().source == "inspection"
    c.post(f"/accountability/inspections/findings/{f.pk}/", {"op": "rectify", "limit": "10wd"})
    f.refresh_from_db()
    assert f.rectification is not None


@pytest.mark.django_db
def test_inspections_through_the_api(world, staff, discipline, media):
    c = client_for(staff)
    r = c.post(
        "/api/accountability/inspections/",
        {
            "title": "明查窗口",
            "mode": "open",
            "starts_on": "2026-03-02",
            "ends_on": "2026-03-02",
            "targets": [world.ua.pk],
            "team": [discipline.pk],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    plan_id = r.json()["id"]
    photo = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    r = client_for(discipline).post(
        f"/api/accountability/inspections/{plan_id}/findings/",
        {
            "observed_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
            "place": "一楼大厅",
            "unit": world.ua.pk,
            "description": "窗口空岗",
            "photos": [photo],
        },
    )
    assert r.status_code == 201, r.content
    finding_id = r.json()["id"]
    assert len(r.json()["photos"]) == 1
    assert (
        c.post(
            f"/api/accountability/inspections/{plan_id}/finish/",
            {"summary": "完成"},
            content_type="application/json",
        ).json()["state"]
        == "done"
    )
    r = c.post(
        f"/api/accountability/findings/{finding_id}/rectify/",
        {"limit": "7wd"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["rectification"]
    assert (
        client_for(world.users["liaison"]).get(f"/api/accountability/findings/{finding_id}/").status_code
        == 404
    )
