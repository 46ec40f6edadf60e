"""E-supervision in the browser: a late case of 市科技局 raises an alert; the bureau's liaison finds it on the
e-supervision pages and explains it; the city supervisor confirms the card; the metrics page shows the alert and
its number opens it; a case number opens the case with its events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from xiaoneng.eservice import ingest, sweep
from xiaoneng.eservice.models import CaseAlert, Matter, SourceSystem
from xiaoneng.org import demo

from .conftest import login

pytestmark = pytest.mark.e2e


def late_case():
    """A 科技型中小企业评价入库 case accepted 20 days ago and never completed: overdue, swept now."""
    matter = Matter.objects.get(code="990100-KJJ-018")
    source = SourceSystem.objects.get(name="青江市一体化政务服务平台")
    start = timezone.now() - timedelta(days=20)
    ingest.ingest(
        source,
        [
            {
                "event_id": "E2E-1",
                "case_no": "E2E-KJJ-0001",
                "type": "application",
                "at": start.isoformat(),
                "matter": matter.code,
            },
            {
                "event_id": "E2E-2",
                "case_no": "E2E-KJJ-0001",
                "type": "acceptance",
                "at": (start + timedelta(minutes=20)).isoformat(),
            },
        ],
    )
    sweep.sweep()
    return CaseAlert.objects.get(case__case_no="E2E-KJJ-0001", type="overdue_red")


def test_a_liaison_explains_and_the_supervisor_confirms_the_card(page, demo_city):
    alert = late_case()
    login(page, "liaison", demo.DEMO_PASSWORD)
    page.click("nav >> text=政务服务监察")
    page.click("[data-testid=eservice-tabs] >> text=告警")
    page.click(f"[data-testid=alerts] a[href='/eservice/alerts/{alert.pk}/']")
    assert page.inner_text("[data-testid=alert-state]") == "待说明"
    page.fill("#text-explain", "专家评审延期，未及时登记特别程序，已整改。")
    page.click("button[value=explain]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=alert-state]") == "已说明待审核"
    page.click("text=退出")

    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/eservice/alerts/{alert.pk}/")
    assert "专家评审延期" in page.inner_text("[data-testid=alert-explanation]")
    page.select_option("#colour", "red")
    page.click("button[value=confirm]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=alert-state]") == "红黄牌已确认"
    assert "红牌" in page.inner_text("[data-testid=alert-card]")

    # The metrics: the red alert is counted; its number opens the alerts behind it.
    page.click("[data-testid=eservice-tabs] >> text=指标")
    page.wait_for_selector("[data-testid=metrics]")
    total = page.locator("[data-testid=metrics-total] td")
    red = total.nth(11)
    assert int(red.inner_text()) >= 1
    red.locator("a").click()
    page.wait_for_selector("[data-testid=alerts]")
    assert "E2E-KJJ-0001" in page.inner_text("[data-testid=alerts]")
    # … and the case, with its events.
    page.click("[data-testid=eservice-tabs] >> text=办件")
    page.fill("input[name=q]", "E2E-KJJ")
    page.click("[data-testid=filters] button")
    page.click("[data-testid=cases] >> text=E2E-KJJ-0001")
    assert "受理" in page.inner_text("[data-testid=case-events]")
