"""A supervisor issues an item from the form; the unit's liaison finds it in the ledger and signs for it."""

import pytest

from xiaoneng.org import demo
from xiaoneng.org.models import Unit

from .conftest import login

pytestmark = pytest.mark.e2e


def test_issue_then_sign(page, demo_city):
    kjj = Unit.objects.get(code="990100-KJJ")
    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.click("nav >> text=督查督办")
    page.click("[data-testid=issue]")
    page.fill("#id_title", "落实科技型中小企业评价入库工作")
    page.select_option("#id_source", "instruction")
    page.select_option("#id_lead_unit", str(kjj.pk))
    page.fill("#id_limit", "10wd")
    page.click("[data-testid=submit-issue]")
    page.wait_for_selector("text=事项已交办")
    assert page.inner_text("[data-testid=state]") == "已交办"
    url = page.url
    page.click("text=退出")

    login(page, "liaison", demo.DEMO_PASSWORD)
    page.click("nav >> text=督查督办")
    page.click("[data-testid=ledger] >> text=落实科技型中小企业评价入库工作")
    assert page.url == url
    page.click("button[value=sign]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "办理中"
    page.fill("#text", "已完成政策宣讲两场")
    page.click("button[value=report]")
    page.wait_for_selector("[data-testid=reports] >> text=已完成政策宣讲两场")
