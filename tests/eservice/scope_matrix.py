"""E-supervision's share of the role × endpoint scope matrix (tests/core/test_scope_matrix.py merges these):
the models behind its pages, a marker only out-of-scope objects carry, what each role must reach, and one object
per model inside county A and one outside."""

from __future__ import annotations

from xiaoneng.eservice.models import Case, CaseAlert, DataAnomaly, Matter, Project
from xiaoneng.org.roles import Role

UNIT_AND_REGIONAL = {
    Role.SUPERVISOR,
    Role.DISCIPLINE,
    Role.LEADER,
    Role.NPC,
    Role.LIAISON,
    Role.UNIT_LEADER,
}

# 政务服务好差评 on the portal (eservice/portal_urls.py): anonymous, a case only to whoever proves it is theirs.
PUBLIC = {"portal_service_rating", "portal_service_rate"}

MODEL_FOR_VIEW = {
    "eservice_matter": Matter,
    "eservice_case": Case,
    "eservice_alert": CaseAlert,
    "eservice_project": Project,
}

OUT_MARKERS = {
    Matter: "西山区的事项目录条目",
    Case: "XS-CASE-0001",
    DataAnomaly: "XS-ANOMALY-0001",
    CaseAlert: "XS-ALERT-0001",
    Project: "XS-PROJECT-0001",
}

REACHES = {
    "eservice-matter-detail": UNIT_AND_REGIONAL,
    "eservice_matter": {Role.SUPERVISOR},
    "eservice-case-detail": UNIT_AND_REGIONAL,
    "eservice_case": UNIT_AND_REGIONAL,
    "eservice-anomaly-detail": UNIT_AND_REGIONAL,
    "eservice_alert": UNIT_AND_REGIONAL,
    "eservice_project": UNIT_AND_REGIONAL,
}


def objects(world) -> dict:
    from xiaoneng.eservice import ingest, sources

    from .conftest import matter

    inside = matter(world.ua, "DH-XK-001", "建筑工程施工许可证核发")
    outside = matter(world.ub, "XS-XK-001", OUT_MARKERS[Matter])
    east, _k = sources.issue_key("审批系统甲", world.a)
    west, _k = sources.issue_key("审批系统乙", world.b)
    at = "2026-03-02T09:00:00+08:00"
    for source, code, case_no, project in (
        (east, "DH-XK-001", "DH-CASE-0001", "DH-PROJECT-0001"),
        (west, "XS-XK-001", OUT_MARKERS[Case], OUT_MARKERS[Project]),
    ):
        ingest.ingest(
            source,
            [
                {
                    "event_id": f"{case_no}-1",
                    "case_no": case_no,
                    "type": "application",
                    "at": at,
                    "matter": code,
                    "project": project,
                    "project_name": project,
                    "stage": "construction",
                },
                # an acceptance before the application: a data anomaly on the case
                {
                    "event_id": f"{case_no}-2",
                    "case_no": case_no,
                    "type": "acceptance",
                    "at": "2026-03-01T09:00:00+08:00",
                },
            ],
        )
    cases = (Case.objects.get(case_no="DH-CASE-0001"), Case.objects.get(case_no=OUT_MARKERS[Case]))
    DataAnomaly.objects.filter(case=cases[1]).update(detail=OUT_MARKERS[DataAnomaly])
    anomalies = (DataAnomaly.objects.get(case=cases[0]), DataAnomaly.objects.get(case=cases[1]))
    from django.utils import timezone

    from xiaoneng.eservice import alerts

    made = tuple(alerts.raise_alert(c, "fee", c.department, timezone.now()) for c in cases)
    CaseAlert.objects.filter(pk=made[1].pk).update(detail=OUT_MARKERS[CaseAlert])
    projects = (Project.objects.get(code="DH-PROJECT-0001"), Project.objects.get(code=OUT_MARKERS[Project]))
    return {
        Matter: (inside, outside),
        Case: cases,
        DataAnomaly: anomalies,
        CaseAlert: made,
        Project: projects,
    }
