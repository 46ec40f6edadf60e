"""The demo city's e-supervision: a catalog, cases from the last weeks in every state, alerts waiting and
decided — at once — and the year of cases the worker loads afterwards."""

import pytest

from xiaoneng.eservice import demo
from xiaoneng.eservice.models import Case, CaseAlert, DataAnomaly, Matter, MonthlyStat
from xiaoneng.org import demo as org_demo
from xiaoneng.org.models import User


@pytest.mark.django_db
def test_the_demo_city_has_e_supervision_in_every_state(settings):
    settings.DEMO_MODE = True
    org_demo.seed()
    assert Matter.objects.count() > 30 and Matter.objects.filter(instant=True).exists()
    assert Case.objects.count() > 120
    assert Case.objects.filter(completed_at__isnull=True).exists()
    assert Case.objects.filter(completed_at__isnull=False).exists()
    assert DataAnomaly.objects.exists() and CaseAlert.objects.exists()
    assert MonthlyStat.objects.exists()
    supervisor = User.objects.get(username="supervisor")
    from django.test import Client

    c = Client()
    c.force_login(supervisor)
    assert c.get("/eservice/").status_code == 200


@pytest.mark.django_db
def test_the_background_year_loads_through_the_intake(settings):
    settings.DEMO_MODE = True
    org_demo.seed()
    before = Case.objects.count()
    assert demo.load_service_year(240, 3) == 240
    assert Case.objects.count() >= before + 200


@pytest.mark.django_db
def test_the_demo_has_parallel_approval_projects(settings):
    from xiaoneng.eservice import projects
    from xiaoneng.eservice.models import Project

    settings.DEMO_MODE = True
    org_demo.seed()
    project = Project.objects.get(code="QJ-2026-XM-0012")
    stages = projects.stages(project)
    assert [s.stage.kind for s in stages] == ["land_planning", "construction_permit", "construction"]
    assert stages[0].completed_at is not None
    assert stages[1].lagging.case.matter.code == "990100-ZRZY-012"


@pytest.mark.django_db
def test_the_demo_has_a_case_its_visitor_can_rate_on_the_portal(settings):
    from django.core.cache import cache
    from django.test import Client

    settings.DEMO_MODE = True
    org_demo.seed()
    cache.clear()
    case_no, code, phone = demo.RATABLE_CASE
    case = Case.objects.get(case_no=case_no)
    assert case.completed_at is not None and case.rating is None and case.onsite
    resp = Client().post("/portal/service/", {"case_no": case_no, "proof": code})
    assert resp.status_code == 200 and 'name="rating"' in resp.content.decode()
    resp = Client().post("/portal/service/", {"case_no": case_no, "proof": phone})
    assert resp.status_code == 200
    cache.clear()
