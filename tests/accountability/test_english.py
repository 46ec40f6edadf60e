"""The pages of 问责 and 明查暗访 in English: no Chinese left but the data (names, numbers, what people wrote, the
catalog's entries)."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from tests.test_i18n import assert_no_chinese_chrome, data_values, english, page
from xiaoneng.accountability import services
from xiaoneng.accountability.models import (
    Appeal,
    Behaviour,
    BehaviourCategory,
    Case,
    Determination,
    EscalationRule,
    Finding,
    InspectionPlan,
    InvestigationRecord,
    Sanction,
)
from xiaoneng.core.models import IssuedDocument

from .conftest import B, decided_case


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """The locale middleware leaves English active on the thread; the next test must not inherit it."""
    yield
    translation.deactivate()


def accountability_data() -> list[str]:
    values = set(data_values())
    values |= set(Behaviour.objects.values_list("name", flat=True))
    values |= set(BehaviourCategory.objects.values_list("name", flat=True))
    values |= set(EscalationRule.objects.values_list("name", flat=True))
    for s in Sanction.objects.all():
        values |= {s.name, s.notice_kind}
    for c in Case.objects.all():
        values |= {c.number, c.summary, c.public_summary, c.source_note}
    for d in Determination.objects.all():
        values |= {d.reasoning, d.review_note}
    for i in IssuedDocument.objects.all():
        values |= {i.number, i.kind}
    values |= set(InvestigationRecord.objects.values_list("text", flat=True))
    for a in Appeal.objects.all():
        values |= {a.reason, a.decision}
    for p in InspectionPlan.objects.all():
        values |= {p.title, p.windows, p.focus, p.summary}
    for f in Finding.objects.all():
        values |= {f.place, f.description, f.people_present, f.window}
    return [v for v in values if v]


@pytest.fixture
def everything(world, case, staff, approver, media):
    case = decided_case(case, staff, approver)
    d = case.determinations.get()
    services.act(
        case,
        "appeal",
        staff,
        data={"determination": d.pk, "filed_on": timezone.localdate(), "reason": "初犯"},
    )
    services.act(case, "decide_appeal", approver, data={"outcome": "upheld", "decision": "维持"})
    services.act(case, "publish", staff, data={"public_summary": "某局工作人员上班打牌。"})
    services.act(case, "mark_typical", staff, data={})
    plan = services.create_plan(
        actor=staff,
        title="窗口暗访",
        mode="undercover",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        targets=[world.ua],
        windows="3号窗口",
    )
    f = services.record_finding(
        actor=staff,
        plan=plan,
        observed_at=timezone.now(),
        place="大厅",
        unit=world.ua,
        people_present="张东湖",
        behaviour=B("absent"),
        description="空岗",
    )
    return {"case": case, "plan": plan, "finding": f}


@pytest.mark.django_db
def test_the_staff_pages_in_english(world, everything, staff):
    client = english(world.client("supervisor"))
    case, plan, f = everything["case"], everything["plan"], everything["finding"]
    urls = [
        "/accountability/",
        f"/accountability/{case.pk}/",
        f"/accountability/people/{world.pa.pk}/",
        "/accountability/new/",
        "/accountability/statistics/",
        "/accountability/catalog/",
        "/accountability/inspections/",
        "/accountability/inspections/new/",
        f"/accountability/inspections/{plan.pk}/",
        f"/accountability/inspections/{plan.pk}/findings/new/",
        f"/accountability/inspections/findings/{f.pk}/",
    ]
    data = accountability_data()
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = page(resp)
        from tests.test_i18n import chrome

        assert "Accountability" in html or "Inspection" in html or "inspection" in html, url
        assert_no_chinese_chrome(chrome(html, data), url)
    html = page(client.get(f"/accountability/{case.pk}/"))
    assert "Upheld" in html and "Direct responsibility" in html and "In force" in html


@pytest.mark.django_db
def test_the_exposure_board_in_english(world, everything, client):
    html = page(english(client).get("/portal/exposure/"))
    assert "Exposure board" in html
    from tests.test_i18n import chrome

    assert_no_chinese_chrome(chrome(html, accountability_data()), "/portal/exposure/")
