"""并联审批: applications naming a project and a stage make a project whose stages run several departments'
cases at once; each stage has its own limit from its first acceptance; the page names the lagging branch."""

from __future__ import annotations

import pytest

from tests.conftest import at
from xiaoneng.eservice import ingest, projects
from xiaoneng.eservice.models import Branch, Project

from .conftest import matter


def branch_events(feed, case_no, matter_code, stage, applied, accepted=None, completed=None):
    out = [
        feed.app(case_no, matter_code, applied, project="PRJ-001", project_name="青江科创园一期", stage=stage)
    ]
    if accepted:
        out.append(feed.ev(case_no, "acceptance", accepted))
    if completed:
        out += [feed.ev(case_no, "decision", completed), feed.ev(case_no, "completion", completed)]
    return out


@pytest.mark.django_db
def test_a_project_stage_runs_branches_at_once_and_names_the_lagging_one(world, source, feed):
    matter(world.ua, "ZJ-1", "建设工程规划许可")
    matter(world.ua2, "SC-1", "消防设计审查", promised="10wd")
    events = (
        branch_events(
            feed,
            "B1",
            "ZJ-1",
            "construction_permit",
            "2026-03-02 09:00",
            "2026-03-02 10:00",
            "2026-03-04 10:00",
        )
        + branch_events(feed, "B2", "SC-1", "construction_permit", "2026-03-02 09:00", "2026-03-03 10:00")
        + branch_events(
            feed, "B3", "ZJ-1", "land_planning", "2026-02-02 09:00", "2026-02-02 10:00", "2026-02-05 10:00"
        )
    )
    out = ingest.ingest(source, events, now=at("2026-03-06 12:00"))
    assert out.rejected == 0
    project = Project.objects.get()
    assert (project.code, project.name) == ("PRJ-001", "青江科创园一期")
    assert Branch.objects.count() == 3
    land, permit = projects.stages(project, now=at("2026-03-06 12:00"))
    assert land.stage.kind == "land_planning" and land.completed_at == at("2026-02-05 10:00")
    assert land.lagging.case.case_no == "B3"  # the one that finished last
    assert permit.started_at == at("2026-03-02 10:00") and permit.completed_at is None
    # 45 working days from Monday 2 March 2026 (Qingming on 4–6 April, Labour Day 1–5 May).
    assert permit.deadline is not None and not permit.overdue
    assert permit.lagging.case.case_no == "B2"  # still open: the branch holding the stage back


@pytest.mark.django_db
def test_a_branch_not_yet_accepted_is_the_lagging_one_and_a_bad_stage_is_refused(world, source, feed):
    matter(world.ua, "ZJ-1", "建设工程规划许可")
    events = branch_events(feed, "B1", "ZJ-1", "construction", "2026-03-02 09:00", "2026-03-02 10:00")
    events += branch_events(feed, "B2", "ZJ-1", "construction", "2026-03-02 11:00")
    bad = feed.app("B3", "ZJ-1", "2026-03-02 09:00", project="PRJ-001", stage="demolition")
    out = ingest.ingest(source, [*events, bad], now=at("2026-03-03 12:00"))
    assert [p["code"] for p in out.problems] == ["malformed"]
    [stage] = projects.stages(Project.objects.get(), now=at("2026-03-03 12:00"))
    assert stage.lagging.case.case_no == "B2"


@pytest.mark.django_db
def test_project_pages_follow_the_departments(world, source, feed):
    from tests.conftest import make_user
    from xiaoneng.org.roles import Role

    matter(world.ua, "ZJ-1", "建设工程规划许可")
    ingest.ingest(
        source,
        branch_events(feed, "B1", "ZJ-1", "construction", "2026-03-02 09:00", "2026-03-02 10:00"),
        now=at("2026-03-03 12:00"),
    )
    project = Project.objects.get()
    assert world.client("supervisor").get(f"/eservice/projects/{project.pk}/").status_code == 200
    html = world.client("liaison").get("/eservice/projects/").content.decode()
    assert "青江科创园一期" in html and "滞后" in html
    from django.test import Client

    other = Client()
    other.force_login(make_user("ua2_liaison", Role.LIAISON, world.ua2))
    assert other.get(f"/eservice/projects/{project.pk}/").status_code == 404
