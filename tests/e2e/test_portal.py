"""A citizen on a phone (390×844) submits a complaint through the public portal — the unit found by
search-as-you-type, the proof of work solved by the page's own script — sees the tracking number and query
code, and tracks it; then the large-type mode and English."""

import re

import pytest
from django.core.cache import cache

from xiaoneng.complaints.models import Category, Complaint
from xiaoneng.org.models import Unit

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser, live_server, demo_city):
    cache.clear()
    # A transactional test flushes the tables, data migrations included: the categories come back here.
    Category.objects.get_or_create(code="delay", defaults={"name": "办事拖拉"})
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_server.url
    yield pg
    context.close()


def test_a_citizen_submits_and_tracks_from_a_phone(phone):
    page = phone
    unit = Unit.objects.filter(handles_complaints=False, name__contains="局").order_by("code").first()
    page.goto(page.base + "/portal/")
    page.click("text=我要投诉")
    page.select_option("#id_category", label="办事拖拉")
    page.fill("#id_unit_query", unit.name[:4])
    page.click(f"#unit-results >> text={unit.name}")
    assert page.input_value("input[name=unit]") == unit.code
    page.fill("#id_person", "5号窗口")
    page.fill("#id_content", "窗口工作人员说系统故障让我明天再来，已经是第三次了。")
    page.check("#id_anonymous_0")  # named
    page.fill("#id_name", "李市民")
    page.fill("#id_contact", "13800138000")
    page.check("#id_consent_publish")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=tracking-no]")
    tracking = page.inner_text("[data-testid=tracking-no]").strip()
    code = page.inner_text("[data-testid=query-code]").strip()
    assert re.fullmatch(r"TS\d{14}", tracking) and re.fullmatch(r"[2-9A-Z]{8}", code)
    c = Complaint.objects.get(tracking_no=tracking)
    assert c.subject_unit == unit and c.identity_name == "李市民" and c.channel == "web"

    page.click("text=查询进度")
    page.fill("#id_tracking_no", tracking)
    page.fill("#id_code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=status]")
    assert page.inner_text("[data-testid=status]") == "已收到，待受理"
    assert "投诉已提交" in page.inner_text("[data-testid=timeline]")
    assert "李市民" not in page.content() and "13800138000" not in page.content()


def test_large_type_and_english(phone):
    page = phone
    page.goto(page.base + "/portal/")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.click("[data-testid=large-type]")
    page.wait_for_load_state()
    bigger = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert bigger > size
    page.goto(page.base + "/portal/track/")  # remembered on the next page
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == bigger
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("text=Check the progress")
    assert page.get_attribute("html", "lang") == "en"


def test_a_citizen_whose_browser_runs_no_script_can_still_complain(
    browser, live_server, demo_city, monkeypatch
):
    """JavaScript off (an old phone, a locked-down browser): no search list and no proof of work — the unit is
    typed in full, the page says it can be sent as it is, and it is accepted once the form has been open a
    moment (challenge.verify_waited)."""
    from xiaoneng.complaints import challenge

    monkeypatch.setattr(challenge, "NOJS_MIN_SECONDS", 1)
    cache.clear()
    Category.objects.get_or_create(code="delay", defaults={"name": "办事拖拉"})
    unit = Unit.objects.filter(handles_complaints=False, name__contains="局").order_by("code").first()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        page.goto(live_server.url + "/portal/submit/")
        assert page.is_visible("[data-testid=nojs-note]")
        page.select_option("#id_category", label="办事拖拉")
        page.fill("#id_unit_query", unit.name)
        page.fill("#id_content", "窗口一直没有人，等了一个上午。")
        page.check("#id_anonymous_1")  # anonymous
        page.wait_for_timeout(1200)  # a person takes longer than that to fill the form
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=tracking-no]")
        tracking = page.inner_text("[data-testid=tracking-no]").strip()
        assert Complaint.objects.get(tracking_no=tracking).subject_unit == unit
    finally:
        context.close()


def test_a_citizen_reads_the_reply_and_rates_it_from_a_phone(phone):
    """After the office answers, the citizen finds the reply with the tracking number and query code, rates it
    (满意 with a comment) and sees the rating; staff can then close the complaint."""
    from xiaoneng.complaints import services
    from xiaoneng.org.models import User

    page = phone
    staff = User.objects.get(username="supervisor")
    unit = Unit.objects.get(code="990100-KJJ")
    c, code, _new = services.submit(
        channel="web",
        category=Category.objects.get(code="delay"),
        subject_unit=unit,
        content="申报材料提交一个月无人审核。",
        anonymous=True,
        phone="13800138001",
    )
    c = services.accept(staff, c)
    c = services.handle_directly(staff, c)
    c = services.record_result(staff, c, text="经核查，材料因系统故障未推送，已完成审核。")
    reply = "您好：经核查，您反映的问题属实，材料已审核完毕。感谢监督。"
    services.review_pass(staff, c, public_reply=reply, finding="true")

    page.goto(page.base + "/portal/track/")
    page.fill("#id_tracking_no", c.tracking_no)
    page.fill("#id_code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=public-reply]")
    assert page.inner_text("[data-testid=public-reply]").strip() == reply
    page.check("text=满意")
    page.fill("textarea[name=note]", "处理及时，谢谢。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("text=提交评价")
    page.wait_for_selector("text=您的评价：")
    assert "满意" in page.inner_text("main")
    c.refresh_from_db()
    assert c.rating == "satisfied" and c.rating_note == "处理及时，谢谢。"
    assert services.close(staff, c).work_item.state == "closed"
