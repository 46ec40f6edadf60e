"""A citizen rates a government-service case from a phone (390×844): the case number and query code from the
receipt find the demo's completed case, 不满意 is one tap, and the rating reaches the department as a 差评 to
rectify — the same path as a rating the approval system reports. A wrong code shows nothing."""

import pytest
from django.core.cache import cache

from xiaoneng.eservice import demo, sweep
from xiaoneng.eservice.models import Case, CaseAlert

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser, live_server, demo_city):
    cache.clear()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_server.url
    yield pg
    context.close()


def test_a_citizen_rates_a_case_from_a_phone(phone):
    page = phone
    case_no, code, _phone = demo.RATABLE_CASE
    page.goto(page.base + "/portal/")
    page.click("text=政务服务好差评")
    # A wrong code: the same "do not match", nothing about the case.
    page.fill("#id_case_no", case_no)
    page.fill("#id_proof", "WRONG1")
    page.click("button[type=submit]")
    assert "不匹配" in page.inner_text("[data-testid=form-error]")
    assert page.locator("[data-testid=service-case]").count() == 0
    page.fill("#id_case_no", case_no)
    page.fill("#id_proof", code.lower())  # as a person types it
    page.click("button[type=submit]")
    assert page.inner_text("[data-testid=status]") == "已办结"
    # Nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("label[for=rating-2]")  # 不满意
    page.click("text=提交评价")
    assert "感谢您的评价" in page.inner_text("[data-testid=thanks]")
    assert "不满意" in page.inner_text("[data-testid=rated]")
    case = Case.objects.get(case_no=case_no)
    assert case.rating == 2
    sweep.sweep()
    alert = CaseAlert.objects.get(case=case)
    assert (alert.type, alert.work_item.kind) == ("bad_rating", "eservice_rectification")
    # Back and submit again: once per case.
    page.go_back()
    page.click("label[for=rating-5]")
    page.click("text=提交评价")
    assert "已评价" in page.inner_text("[data-testid=form-error]")
    assert Case.objects.get(pk=case.pk).rating == 2
