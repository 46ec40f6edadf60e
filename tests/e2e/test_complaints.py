"""效能投诉, staff side, as people walk it: the city supervisor accepts a complaint about 市科技局 and assigns it
with a redacted copy (the editor refuses the complainant's name), the bureau's liaison drafts the reply and its
head approves it, the supervisor passes the review with a finding and closes the complaint. The liaison never
sees who complained."""

import pytest

from xiaoneng.complaints import services
from xiaoneng.complaints.models import Category
from xiaoneng.org import demo
from xiaoneng.org.models import Unit

from .conftest import login

pytestmark = pytest.mark.e2e

NAME, PHONE = "钱投诉", "13712345678"


def category(code: str, name: str) -> Category:
    # The browser tests flush the database between tests, the starter categories of the data migration with it.
    return Category.objects.get_or_create(code=code, defaults={"name": name})[0]


def test_accept_assign_reply_approve_review_close(page, demo_city):
    kjj = Unit.objects.get(code="990100-KJJ")
    complaint, _code, _new = services.submit(
        channel="web",
        category=category("delay", "办事拖拉"),
        subject_unit=kjj,
        content=f"我是{NAME}，电话{PHONE}。科技型中小企业评价材料提交一个月无人审核。",
        name=NAME,
        phone=PHONE,
    )

    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.click("nav >> text=效能投诉")
    page.click(f"[data-testid=ledger] >> text={complaint.tracking_no}")
    assert page.inner_text("[data-testid=state]") == "待受理"
    assert NAME not in page.inner_text("[data-testid=identity]")  # masked until revealed
    page.click("button[value=accept]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已受理"

    page.click("[data-testid=assign]")
    editor = page.locator("#id_redacted_content")
    assert NAME not in editor.input_value() and PHONE not in editor.input_value()
    editor.fill(f"{NAME}反映：科技型中小企业评价材料提交一个月无人审核。")
    page.wait_for_selector("[data-testid=leaks]")
    page.click("[data-testid=submit-assign]")
    page.wait_for_selector("[data-testid=form-error]")  # refused: the copy still names the complainant
    page.locator("#id_redacted_content").fill("群众反映：科技型中小企业评价材料提交一个月无人审核。")
    page.wait_for_selector("[data-testid=no-leaks]")
    page.click("[data-testid=submit-assign]")
    page.wait_for_selector("text=已交办")
    assert page.inner_text("[data-testid=state]") == "已交办"
    page.click("text=退出")

    login(page, "liaison", demo.DEMO_PASSWORD)
    page.click("nav >> text=效能投诉")
    page.click("[data-testid=ledger] >> text=办事拖拉")
    body = page.inner_text("main")
    assert "群众反映" in body and NAME not in body and PHONE not in body and complaint.tracking_no not in body
    page.fill("#text-submit_reply", "经查，材料因系统故障未推送，已于当日完成审核并向企业说明。")
    page.click("button[value=submit_reply]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "待单位负责人审核"
    page.click("text=退出")

    login(page, "unit_leader", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/complaints/{complaint.pk}/")
    page.click("button[value=approve_reply]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "待审核"
    page.click("text=退出")

    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/complaints/{complaint.pk}/")
    assert "系统故障" in page.inner_text("[data-testid=unit-reply]")
    page.fill("#public_reply", "您好：经核查，您反映的问题属实，材料已审核完毕。感谢监督。")
    page.select_option("#finding", "true")
    page.click("button[value=review_pass]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已答复"
    page.click("button[value=close]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已办结"
    assert page.inner_text("[data-testid=finding]") == "属实"


def test_reveal_needs_a_reason(page, demo_city):
    kjj = Unit.objects.get(code="990100-KJJ")
    complaint, _code, _new = services.submit(
        channel="hotline",
        category=category("attitude", "态度生硬"),
        subject_unit=kjj,
        content="窗口态度生硬。",
        name=NAME,
        phone=PHONE,
    )
    login(page, "discipline", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/complaints/{complaint.pk}/")
    assert NAME not in page.inner_text("main")
    page.fill("[data-testid=reveal-form] input[name=reason]", "案件审查需要核实投诉人")
    page.click("[data-testid=reveal-form] button")
    page.wait_for_selector("[data-testid=revealed]")
    revealed = page.inner_text("[data-testid=revealed]")
    assert NAME in revealed and PHONE in revealed
