"""What a user walks: log in as each role and see their own home; lockout; reveal with a reason; the
language switch; a phone-sized screen; a work item's buttons."""

import re

import pytest

from xiaoneng.org import demo
from xiaoneng.org.roles import Role

from .conftest import login

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("username,role", [(a[0], a[1]) for a in demo.DEMO_ACCOUNTS])
def test_each_role_logs_in_and_sees_its_home(page, demo_city, username, role):
    login(page, username, demo.DEMO_PASSWORD)
    page.wait_for_selector("[data-testid=home-title]")
    assert str(Role(role).label) in page.inner_text("[data-testid=home-title]")
    assert page.locator("[data-testid=card-value]").count() >= 1
    whoami = page.inner_text("[data-testid=whoami]")
    assert str(Role(role).label) in whoami


def test_city_supervisor_counts_all_units_and_county_supervisor_their_own(page, demo_city):
    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.click("text=单位")
    assert "(120)" in page.inner_text("h1")
    page.click("text=退出")
    login(page, "supervisor_dh", demo.DEMO_PASSWORD)
    page.click("nav >> text=单位")
    assert "(15)" in page.inner_text("h1")
    assert "西山区" not in page.inner_text("[data-testid=units-table]")


def test_wrong_password_then_lockout(page, demo_city):
    for _ in range(5):
        login(page, "liaison", "not-the-password")
    login(page, "liaison", demo.DEMO_PASSWORD)
    assert "锁定" in page.inner_text("[data-testid=login-error]")


def test_supervisor_reveals_a_phone_with_a_reason(page, demo_city):
    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.goto(page.base + "/org/people/")
    first_phone = page.inner_text("[data-testid=phone] >> nth=0")
    assert re.fullmatch(r"1\d\d\*{4}\d{4}", first_phone)
    row = page.locator("[data-testid=people-table] tbody tr").first
    row.locator("input[name=reason]").fill("核实投诉线索")
    row.locator("button", has_text="查看").click()
    revealed = row.locator("[data-testid=revealed]")
    revealed.wait_for()
    assert re.match(r"1\d{10} · \d{17}[\dX]", revealed.inner_text())


def test_switch_to_english_and_back(page, demo_city):
    login(page, "leader", demo.DEMO_PASSWORD)
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("html[lang=en]")
    page.click("[data-testid=lang-zh-hans]")
    page.wait_for_selector("html[lang=zh-hans]")


def test_home_on_a_phone(browser, live_server, demo_city):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.base = live_server.url
    login(pg, "liaison", demo.DEMO_PASSWORD)
    pg.wait_for_selector("[data-testid=home-title]")
    assert pg.locator(".navbar-toggler").is_visible()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the home page scrolls sideways on a phone ({width}px)"
    pg.click(".navbar-toggler")
    pg.locator("nav >> text=消息").wait_for(state="visible")
    context.close()


def test_liaison_signs_a_work_item_with_the_button(page, demo_city, task_kind):
    from xiaoneng.core import workitem
    from xiaoneng.org.models import User

    liaison = User.objects.get(username="liaison")
    item = workitem.create(
        kind="test_task",
        actor=User.objects.get(username="supervisor"),
        title="落实科技创新政策",
        owner_unit=liaison.unit,
    )
    login(page, "liaison", demo.DEMO_PASSWORD)
    page.goto(f"{page.base}/items/{item.pk}/")
    page.click("button[value=sign]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已签收"
    assert "签收" in page.inner_text("[data-testid=timeline]")


def test_sysadmin_marks_days_on_the_year_grid_and_saves(page, demo_city):
    from xiaoneng.core.models import CalendarVersion

    login(page, "sysadmin", demo.DEMO_PASSWORD)
    page.goto(page.base + "/calendar/")
    assert page.locator("[data-testid=provisional-year]").count() >= 1  # 2027 is not announced yet
    page.goto(page.base + "/calendar/2027/")
    page.locator("[data-testid=statutory-note]").wait_for()
    page.click("button[data-date='2027-01-04']")  # → 放假
    page.click("button[data-date='2027-01-09']")  # → 放假
    page.click("button[data-date='2027-01-09']")  # → 上班 (调休)
    assert "xn-holiday" in page.get_attribute("button[data-date='2027-01-04']", "class")
    assert "xn-workday" in page.get_attribute("button[data-date='2027-01-09']", "class")
    page.fill("#note", "演示通知")
    page.click("[data-testid=save-calendar]")
    page.wait_for_selector("text=工作日历已保存")
    v = CalendarVersion.objects.get()
    assert "2027-01-04" in v.holidays and v.workdays == ["2027-01-09"] and "2027-02-05" in v.holidays
