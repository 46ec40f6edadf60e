"""Every e-supervision page in English carries no Chinese chrome (data — names, stored alert and anomaly texts —
stays as entered)."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import at
from tests.test_i18n import assert_no_chinese_chrome, data_values, english, page
from xiaoneng.eservice import ingest, sweep
from xiaoneng.eservice.models import Case, CaseAlert, DataAnomaly, Matter, Project, SourceSystem


@pytest.mark.django_db
def test_the_pages_in_english(world, matters, source, feed, monkeypatch):
    ingest.ingest(
        source,
        [
            feed.app("C1", "DH-XK-001", "2026-03-02 09:00", window="W1"),
            feed.ev("C1", "acceptance", "2026-03-02 10:00"),
            feed.ev("C1", "supplement_notice", "2026-03-03 10:00"),
            feed.ev("C1", "supplement_return", "2026-03-04 10:00"),
            feed.ev("C1", "completion", "2026-03-04 11:00"),
            feed.ev("C1", "rating", "2026-03-04 12:00", rating=1),
            feed.app(
                "C2",
                "DH-XK-001",
                "2026-03-02 09:00",
                project="P-1",
                project_name="科创园",
                stage="construction",
            ),
            feed.ev("C2", "acceptance", "2026-03-02 10:00"),
        ],
        now=at("2026-03-05 12:00"),
    )
    with time_machine.travel(at("2026-03-20 12:00"), tick=False):
        sweep.sweep()
    extra = list(Matter.objects.values_list("name", flat=True))
    extra += list(CaseAlert.objects.values_list("detail", flat=True))
    extra += list(DataAnomaly.objects.values_list("detail", flat=True))
    extra += list(SourceSystem.objects.values_list("name", flat=True))
    extra += list(Project.objects.values_list("name", flat=True))
    import tests.test_i18n as i18n

    monkeypatch.setattr(i18n, "data_values", lambda: data_values() + extra)
    client = english(world.client("supervisor"))
    c1 = Case.objects.get(case_no="C1")
    alert = CaseAlert.objects.filter(case__case_no="C2").first()
    urls = [
        "/eservice/?from=2026-03-01&to=2026-03-31",
        "/eservice/?from=2026-03-01&to=2026-03-31&group=matter",
        "/eservice/?from=2026-03-01&to=2026-03-31&group=month",
        "/eservice/cases/",
        f"/eservice/cases/{c1.pk}/",
        "/eservice/alerts/",
        f"/eservice/alerts/{alert.pk}/",
        "/eservice/anomalies/",
        "/eservice/matters/",
        "/eservice/matters/import/",
        f"/eservice/matters/{Matter.objects.first().pk}/",
        "/eservice/intake/",
        "/eservice/projects/",
        f"/eservice/projects/{Project.objects.get().pk}/",
    ]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert_no_chinese_chrome(page(resp), url)
    html = page(client.get("/eservice/?from=2026-03-01&to=2026-03-31"))
    assert "On-time rate" in html and "Target" in html
