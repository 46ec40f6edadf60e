"""督查督办 as each role walks it, each on their own pages and in their own browser: the supervisor registers an
item with a co-unit and a cadence and splits a decision into sub-items for several units in one form; the lead
unit's liaison, on a phone, signs, reports and asks for an extension, which the supervisor decides; the co-unit's
liaison reports its part; the unit's head approves the completion request or sends it back (a unit with no head's
account sends it straight on); the completion is returned once with a reason, then verified with a rating; a manual
催办 becomes a 催办单 the unit downloads; the dispatch board shows who reported today; a city leader reads the
ledger without a button to press; a liaison of an unrelated unit cannot open the item."""

import io

import docx
import pytest
from django.contrib.auth.hashers import make_password

from xiaoneng.org import demo
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import Role
from xiaoneng.supervision import services
from xiaoneng.supervision.models import SupervisedItem

from .conftest import login

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def as_user(browser, live_server):
    """A logged-in page for `username` in its own browser context (roles side by side, no logging out);
    `phone=True` gives a phone-width viewport."""
    contexts = []

    def open_as(username: str, *, phone: bool = False):
        context = browser.new_context(
            locale="zh-CN", viewport=PHONE if phone else {"width": 1280, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(15000)
        pg.base = live_server.url
        login(pg, username, demo.DEMO_PASSWORD)
        pg.wait_for_selector("[data-testid=whoami]", state="attached")
        return pg

    yield open_as
    for context in contexts:
        context.close()


def unit(key: str) -> Unit:
    return Unit.objects.get(code=f"990100-{key}")


def liaison_of(key: str) -> str:
    """A liaison of the unit who can log in with the demo password (the demo's other liaisons cannot)."""
    u = unit(key)
    user = User.objects.filter(unit=u, role=Role.LIAISON).first()
    if user is None:
        person = Person.objects.create(name=f"{u.short_name}联络员", unit=u, position="联络员")
        user = User(username=f"liaison_{key.lower()}", role=Role.LIAISON, unit=u, person=person)
    user.first_name = user.first_name or f"{u.short_name}联络员"
    user.password = make_password(demo.DEMO_PASSWORD)
    user.must_change_password = False
    user.is_active = True
    user.save()
    return user.username


def issued(title: str, *, co=("GXJ",), cadence: str = "weekly", limit: str = "20wd") -> SupervisedItem:
    return services.issue(
        actor=User.objects.get(username="supervisor"),
        title=title,
        source="meeting",
        reference_no="青政办〔2026〕30号",
        lead_unit=unit("KJJ"),
        co_units=[unit(k) for k in co],
        limit=limit,
        cadence=cadence,
    )


def a_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def signed(title: str, **kw) -> SupervisedItem:
    return services.act(issued(title, **kw), "sign", User.objects.get(username="liaison"), data={})


def assert_fits(pg):
    """Nothing on the page is wider than the phone (no sideways scrolling); names what sticks out if it is."""
    wide = pg.evaluate(
        """w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 40))
            .slice(0, 5)""",
        pg.viewport_size["width"],
    )
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"], wide


def open_item(pg, sup: SupervisedItem):
    pg.goto(f"{pg.base}/supervision/{sup.pk}/")
    pg.wait_for_selector("[data-testid=state]")


def act(pg, action: str, expect: str = "操作成功"):
    pg.click(f"button[value={action}]")
    pg.wait_for_selector(f"[role=alert] >> text={expect}")


def test_supervisor_registers_with_co_unit_and_cadence_and_decomposes(as_user, demo_city):
    kjj, gxj, fgw, czj = unit("KJJ"), unit("GXJ"), unit("FGW"), unit("CZJ")
    pg = as_user("supervisor")
    pg.click("nav >> text=督查督办")
    pg.click("[data-testid=issue]")
    pg.fill("#id_title", "推进科技金融深度融合")
    pg.select_option("#id_source", "meeting")
    pg.fill("#id_reference_no", "青政办〔2026〕30号")
    pg.select_option("#id_urgency", "urgent")
    pg.select_option("#id_lead_unit", str(kjj.pk))
    pg.select_option("#id_co_units", [str(gxj.pk), str(czj.pk)])
    pg.select_option("#id_cadence", "weekly")
    pg.fill("#id_limit", "30wd")
    pg.fill("#id_description", "会同金融机构推出科技贷产品。")
    pg.click("[data-testid=submit-issue]")
    pg.wait_for_selector("text=事项已交办")
    assert pg.inner_text("[data-testid=state]") == "已交办"
    details = pg.inner_text("dl")
    assert "市工信局" in details or gxj.name in details
    assert czj.name in details and "每周" in details and "青政办〔2026〕30号" in details

    # One decision into sub-items for several units in one form.
    pg.click("text=分解")
    pg.wait_for_selector("[data-testid=decompose]")
    rows = [
        ("科技贷产品设计", kjj, [gxj], "10wd"),
        ("政府性融资担保扩面", czj, [], "15wd"),
        ("重点项目融资对接", fgw, [kjj, czj], "20wd"),
    ]
    for i, (title, lead, co, limit) in enumerate(rows):
        pg.fill(f"#id_form-{i}-title", title)
        pg.select_option(f"#id_form-{i}-lead_unit", str(lead.pk))
        if co:
            pg.select_option(f"#id_form-{i}-co_units", [str(u.pk) for u in co])
        pg.fill(f"#id_form-{i}-limit", limit)
    pg.click("[data-testid=submit-decompose]")
    pg.wait_for_selector("text=已分解为 3 项子事项")
    children = pg.inner_text("[data-testid=children]")
    for title, lead, _co, _limit in rows:
        assert title in children and lead.name in children
    assert "共 3 项，已办结 0 项" in pg.inner_text("[data-testid=rollup]")
    parent = SupervisedItem.objects.get(work_item__title="推进科技金融深度融合")
    kids = {c.work_item.title: c for c in parent.children.all()}
    assert kids["重点项目融资对接"].cadence == "weekly" and kids["重点项目融资对接"].urgency == "urgent"
    assert set(kids["重点项目融资对接"].work_item.units.all()) == {kjj, czj}


def test_decompose_refuses_a_bad_row_and_keeps_what_was_typed(as_user, demo_city):
    parent = issued("推进数字政府建设")
    pg = as_user("supervisor")
    pg.goto(f"{pg.base}/supervision/{parent.pk}/decompose/")
    pg.fill("#id_form-0-title", "政务数据共享")
    pg.select_option("#id_form-0-lead_unit", str(unit("KJJ").pk))
    pg.fill("#id_form-1-title", "没有牵头单位的一行")
    pg.click("[data-testid=submit-decompose]")
    pg.wait_for_selector("text=请选择牵头单位")
    assert pg.input_value("#id_form-0-title") == "政务数据共享"
    assert parent.children.count() == 0


def test_lead_liaison_on_a_phone_signs_reports_and_asks_for_an_extension(as_user, demo_city):
    sup = issued("推动高校科技成果就地转化")
    phone = as_user("liaison", phone=True)
    phone.click(".navbar-toggler")  # the menu folds away on a phone
    phone.click("nav >> text=督查督办")
    phone.click("[data-testid=ledger] >> text=推动高校科技成果就地转化")
    phone.wait_for_selector("[data-testid=state]")
    assert_fits(phone)
    act(phone, "sign")
    assert phone.inner_text("[data-testid=state]") == "办理中"
    phone.fill("#text", "已对接三所高校，梳理成果清单52项")
    act(phone, "report")
    phone.wait_for_selector("[data-testid=reports] >> text=已对接三所高校")

    # Asking without a reason is refused, in Chinese and saying what is missing.
    phone.fill("#until", "2027-06-30")
    act(phone, "request_extension", expect="请填写延期理由")
    assert phone.input_value("#until") == "2027-06-30"  # what was typed is still there
    phone.fill("#reason", "需等待省级转化基金批复")
    act(phone, "request_extension")
    assert "延期至 2027-06-30 · 待审批" in phone.inner_text("[data-testid=extensions]")
    assert_fits(phone)
    phone.goto(phone.base + "/supervision/")  # the ledger on the phone: title, unit, deadline and state
    row = phone.locator("[data-testid=ledger] tr", has_text="推动高校科技成果就地转化")
    assert "办理中" in row.inner_text() and "青江市科学技术局" in row.inner_text()
    assert_fits(phone)

    desk = as_user("supervisor")
    open_item(desk, sup)
    assert "延期至 2027-06-30" in desk.inner_text("[data-testid=pending-extension]")
    assert "需等待省级转化基金批复" in desk.inner_text("[data-testid=pending-extension]")
    before = desk.inner_text("[data-testid=deadline]")
    act(desk, "approve_extension")
    assert "已批准" in desk.inner_text("[data-testid=extensions]")
    assert desk.locator("button[value=approve_extension]").count() == 0  # nothing left to decide
    assert desk.inner_text("[data-testid=deadline]") != before
    assert "2027-06-30" in desk.inner_text("[data-testid=deadline]") or "2027年6月30日" in desk.inner_text(
        "[data-testid=deadline]"
    )


def test_co_unit_reports_its_part_and_the_lead_sees_both(as_user, demo_city):
    sup = signed("科技成果展参展企业组织")
    co = as_user(liaison_of("GXJ"))
    open_item(co, sup)
    buttons = co.locator("[data-testid=actions] button").all_inner_texts()
    assert "报送进展" in buttons
    assert "签收" not in buttons and "申请办结" not in buttons and "申请延期" not in buttons
    co.fill("#text", "已组织规上工业企业18家报名参展")
    act(co, "report")

    lead = as_user("liaison")
    open_item(lead, sup)
    reports = lead.inner_text("[data-testid=reports]")
    assert "市工信局" in reports or unit("GXJ").name in reports
    assert "已组织规上工业企业18家报名参展" in reports


def test_completion_goes_through_the_unit_head_then_is_returned_once_then_verified(as_user, demo_city):
    sup = signed("科技型中小企业入库300家")
    liaison = as_user("liaison")
    open_item(liaison, sup)
    assert "须经单位负责人审核" in liaison.inner_text("[data-testid=completion-route]")
    # Evidence that is not a photo, .docx or PDF is refused with the reason; nothing is sent, the text is kept.
    liaison.fill("#text", "已入库312家，附入库名单")
    liaison.set_input_files(
        "#files", [{"name": "名单.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" * 50}]
    )
    act(liaison, "request_completion", expect="只接受照片")
    assert liaison.inner_text("[data-testid=state]") == "办理中"
    assert liaison.input_value("#text") == "已入库312家，附入库名单"
    liaison.set_input_files(
        "#files", [{"name": "入库名单.pdf", "mimeType": "application/pdf", "buffer": a_pdf()}]
    )
    act(liaison, "request_completion")
    assert liaison.inner_text("[data-testid=state]") == "待单位负责人审核"
    assert liaison.locator("[data-testid=actions] button").count() == 0  # nothing to do while the head reads

    # The unit's head finds it on the home page and in the inbox, sends it back once with a reason.
    head = as_user("unit_leader")
    head.goto(head.base + "/")
    card = head.locator(".xn-card", has_text="待审核的办结申请")
    waiting = SupervisedItem.objects.filter(work_item__owner_unit=unit("KJJ"), work_item__state="unit_review")
    assert card.locator("[data-testid=card-value]").inner_text().strip() == str(waiting.count())
    assert sup.pk in waiting.values_list("pk", flat=True)
    head.click("nav >> text=消息")
    head.wait_for_selector("text=办结申请待您审核：科技型中小企业入库300家")
    open_item(head, sup)
    assert "已入库312家" in head.inner_text("[data-testid=reports]")
    with head.expect_download() as info:  # the evidence, downloaded through the scope layer
        head.click("[data-testid=report-files] >> text=入库名单.pdf")
    assert info.value.suggested_filename == "入库名单.pdf"
    with open(info.value.path(), "rb") as f:
        assert f.read().startswith(b"%PDF")
    act(head, "return_completion", expect="请填写退回理由")
    head.fill("#note", "请附入库企业名单盖章件")
    act(head, "return_completion")
    assert head.inner_text("[data-testid=state]") == "办理中"

    open_item(liaison, sup)
    assert "请附入库企业名单盖章件" in liaison.inner_text("[data-testid=timeline]")
    liaison.fill("#text", "已附盖章名单")
    act(liaison, "request_completion")
    open_item(head, sup)
    act(head, "approve_completion")
    assert head.inner_text("[data-testid=state]") == "申请办结"

    # The supervisor returns it once with a reason; the second request passes the head again, then is verified.
    desk = as_user("supervisor")
    open_item(desk, sup)
    act(desk, "send_back", expect="请填写退回理由")  # a return needs its reason
    desk.fill("#note", "名单缺少企业统一社会信用代码，请补充")
    act(desk, "send_back")
    assert desk.inner_text("[data-testid=state]") == "办理中"

    open_item(liaison, sup)
    assert "名单缺少企业统一社会信用代码" in liaison.inner_text("[data-testid=timeline]")
    liaison.fill("#text", "已补充信用代码，重新报送名单")
    act(liaison, "request_completion")
    open_item(head, sup)
    act(head, "approve_completion")

    open_item(desk, sup)
    desk.select_option("#quality", "good")
    act(desk, "verify")
    assert desk.inner_text("[data-testid=state]") == "已办结"
    assert "良" in desk.inner_text("dl")
    assert desk.locator("[data-testid=actions]").count() == 0
    timeline = desk.inner_text("[data-testid=timeline]")
    assert timeline.count("审核通过并报送") == 2 and "退回修改" in timeline


def test_a_unit_without_a_head_account_requests_completion_straight_to_the_supervisor(as_user, demo_city):
    sup = services.issue(
        actor=User.objects.get(username="supervisor"),
        title="重点项目融资对接",
        source="meeting",
        lead_unit=unit("FGW"),
        limit="20wd",
    )
    assert not User.objects.filter(unit=unit("FGW"), role=Role.UNIT_LEADER, is_active=True).exists()
    liaison = as_user(liaison_of("FGW"))
    open_item(liaison, sup)
    act(liaison, "sign")
    assert "尚无单位负责人账号" in liaison.inner_text("[data-testid=completion-route]")
    liaison.fill("#text", "已完成对接，签约项目12个")
    act(liaison, "request_completion")
    assert liaison.inner_text("[data-testid=state]") == "申请办结"


def test_manual_reminder_becomes_a_reminder_notice_the_unit_downloads(as_user, demo_city):
    sup = signed("高新技术企业培育库扩容")
    desk = as_user("supervisor")
    open_item(desk, sup)
    # The supervisor's form asks for what his actions take: no report text, no extension to decide.
    assert desk.locator("#text").count() == 0
    assert desk.locator("button[value=approve_extension]").count() == 0
    desk.fill("#note", "请于本周五前报送培育库名单")
    act(desk, "remind")
    desk.wait_for_selector("[data-testid=documents] >> text=催办单")

    liaison = as_user("liaison")
    liaison.click("nav >> text=消息")
    liaison.wait_for_selector("text=催办（第1次）：高新技术企业培育库扩容")
    open_item(liaison, sup)
    docs = liaison.locator("[data-testid=documents]")
    docs.locator("text=催办单").wait_for()
    with liaison.expect_download() as info:
        docs.locator("a", has_text="Word").first.click()
    download = info.value
    assert download.suggested_filename.endswith("催办单.docx")
    with open(download.path(), "rb") as f:
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(f.read())).paragraphs)
    assert "请于本周五前报送培育库名单" in text and "第1次催办" in text


def test_dispatch_board_shows_who_reported_today(as_user, demo_city):
    expo = SupervisedItem.objects.get(work_item__title="2026青江科技成果展筹备（日调度）")
    desk = as_user("supervisor")
    open_item(desk, expo)
    desk.click("[data-testid=board-link]")
    desk.wait_for_selector("[data-testid=board]")
    assert "应报 5 项，已报 3 项，未报 2 项" in desk.inner_text("[data-testid=board-counts]")
    missing = desk.locator("[data-testid=board] tr.table-warning").all_inner_texts()
    assert len(missing) == 2
    summary = desk.input_value("[data-testid=summary]")
    assert "未报单位：" in summary and "展馆布展组" in summary


def test_leader_reads_the_ledger_and_items_without_a_button_to_press(as_user, demo_city):
    sup = signed("科技成果转化专项督查")
    pg = as_user("leader")
    pg.click("nav >> text=督查督办")
    pg.wait_for_selector("[data-testid=ledger] >> text=科技成果转化专项督查")
    assert pg.locator("[data-testid=issue]").count() == 0
    pg.click("[data-testid=ledger] >> text=科技成果转化专项督查")
    pg.wait_for_selector("[data-testid=state]")
    assert pg.url.endswith(f"/supervision/{sup.pk}/")
    assert pg.locator("[data-testid=actions]").count() == 0
    assert pg.locator("[data-testid=issue-notice]").count() == 0
    assert pg.locator("text=分解").count() == 0


def test_liaison_of_an_unrelated_unit_cannot_open_the_item(as_user, demo_city):
    sup = signed("科技创新券兑付")
    pg = as_user(liaison_of("GAJ"))
    resp = pg.goto(f"{pg.base}/supervision/{sup.pk}/")
    assert resp.status == 404
    pg.goto(f"{pg.base}/supervision/")
    pg.wait_for_selector("[data-testid=ledger]")
    assert "科技创新券兑付" not in pg.inner_text("[data-testid=ledger]")


def ledger_titles(pg) -> list[str]:
    return pg.locator("[data-testid=ledger] tbody td:nth-child(2) a").all_inner_texts()


def filter_ledger(pg, **selects):
    """Set the ledger's filters (name → value; "" clears) and submit; waits for the filtered page."""
    for name, value in selects.items():
        pg.select_option(f"[data-testid=filters] select[name={name}]", value)
    with pg.expect_navigation():
        pg.click("[data-testid=filter]")
    pg.wait_for_selector("[data-testid=ledger]")


def test_ledger_filters_by_source_unit_state_stage_and_deadline_then_exports(as_user, demo_city):
    from datetime import timedelta

    import openpyxl
    from django.utils import timezone

    supervisor = User.objects.get(username="supervisor")
    overdue = services.issue(
        actor=supervisor,
        title="逾期未办的科技特派员选派",
        source="instruction",
        lead_unit=unit("KJJ"),
        limit="10wd",
        started_at=timezone.now() - timedelta(days=60),
    )
    assert overdue.work_item.stage == "red"
    soon = issued("三日内到期的成果登记", co=(), limit="2wd")
    later = issued("六十日后到期的规划编制", co=(), limit="60wd")

    pg = as_user("supervisor")
    pg.click("nav >> text=督查督办")
    pg.wait_for_selector("[data-testid=ledger]")

    filter_ledger(pg, source="npc_suggestion")
    assert ledger_titles(pg) == ["关于加快老旧小区加装电梯的建议办理"]
    assert "source=npc_suggestion" in pg.url

    filter_ledger(pg, source="", unit=str(unit("KJJ").pk))
    titles = ledger_titles(pg)
    for t in (
        "落实研发费用加计扣除政策宣讲，覆盖规上企业",
        "新增国家高新技术企业4家",
        "展馆布展组",
        overdue.work_item.title,
    ):
        assert t in titles  # led by the bureau or shared with it
    assert "科技成果展参展企业组织" not in titles
    assert "清理规范涉企收费，年底前完成自查整改" not in titles  # another unit's

    filter_ledger(pg, stage="red")
    assert overdue.work_item.title in ledger_titles(pg)
    states = pg.locator("[data-testid=ledger] tbody td:nth-child(7)").all_inner_texts()
    assert states and all(s.strip() == "红牌" for s in states)

    filter_ledger(pg, stage="", state="closed")
    closed = pg.locator("[data-testid=ledger] tbody td:nth-child(6)").all_inner_texts()
    assert all(s.strip() == "已办结" for s in closed)

    filter_ledger(pg, unit="", state="open", due="7")
    titles = ledger_titles(pg)
    assert soon.work_item.title in titles and overdue.work_item.title in titles
    assert later.work_item.title not in titles

    # The export is exactly the filtered ledger, in the standard layout.
    with pg.expect_download() as info:
        pg.click("[data-testid=export]")
    assert info.value.suggested_filename == "督办事项台帐.xlsx"
    with open(info.value.path(), "rb") as f:  # the saved download has no .xlsx suffix for openpyxl to trust
        ws = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "督办事项台帐"
    header = list(rows[2])
    assert header[:2] == ["序号", "事项"] and "牵头单位" in header and "是否逾期" in header
    exported = [r[1] for r in rows[3:] if r[1]]
    assert sorted(exported) == sorted(titles)
    overdue_row = next(r for r in rows[3:] if r[1] == overdue.work_item.title)
    assert overdue_row[header.index("是否逾期")] == "逾期（红牌）"


def test_unit_leader_follows_the_units_item_but_signing_and_completion_stay_with_the_liaison(
    as_user, demo_city
):
    sup = signed("科技成果登记月报")
    pg = as_user("unit_leader")
    pg.click("nav >> text=督查督办")
    pg.click("[data-testid=ledger] >> text=科技成果登记月报")
    pg.wait_for_selector("[data-testid=state]")
    assert pg.url.endswith(f"/supervision/{sup.pk}/")
    buttons = pg.locator("[data-testid=actions] button").all_inner_texts()
    assert buttons == ["报送进展"]
    pg.fill("#text", "局长审定：本月登记成果12项")
    act(pg, "report")
    pg.wait_for_selector("[data-testid=reports] >> text=局长审定：本月登记成果12项")


def test_supervisor_imports_a_batch_from_the_template_fixing_the_rows_it_refuses(
    as_user, demo_city, tmp_path
):
    import openpyxl

    pg = as_user("supervisor")
    pg.click("nav >> text=督查督办")
    pg.click("text=批量导入")
    with pg.expect_download() as info:
        pg.click("text=下载模板")
    with open(info.value.path(), "rb") as f:
        wb = openpyxl.load_workbook(io.BytesIO(f.read()))
    ws = wb.active
    header = [c.value for c in ws[3]]
    assert header[1:4] == ["事项", "来源", "文号"]

    def fill(rows):
        ws.delete_rows(4, ws.max_row)
        for r, values in enumerate(rows, start=4):
            for name, value in values.items():
                ws.cell(row=r, column=header.index(name) + 1, value=value)
        path = tmp_path / f"batch{len(rows)}{rows[-1]['事项'][:2]}.xlsx"
        wb.save(path)
        return str(path)

    good = {"事项": "科技馆免费开放日常督查", "来源": "领导批示", "牵头单位": "市科技局", "办理时限": "20wd"}
    bad = {"事项": "孵化器绩效评价", "牵头单位": "不存在的局", "完成时限": "明年", "报送频次": "每周"}
    pg.set_input_files("input[name=file]", fill([good, bad]))
    pg.click("[data-testid=submit-import]")
    pg.wait_for_selector("[data-testid=import-errors]")
    errors = pg.inner_text("[data-testid=import-errors]")
    assert "牵头单位" in errors and "找不到该单位" in errors and "日期格式应为" in errors
    assert "5" in pg.locator("[data-testid=import-errors] tbody td:first-child").all_inner_texts()
    assert not SupervisedItem.objects.filter(
        work_item__title="科技馆免费开放日常督查"
    ).exists()  # all or nothing

    bad.update({"牵头单位": "市工信局", "完成时限": None, "办理时限": "30wd"})
    pg.set_input_files("input[name=file]", fill([good, bad]))
    pg.click("[data-testid=submit-import]")
    pg.wait_for_selector("text=已导入 2 项督办事项")
    pg.wait_for_selector("[data-testid=ledger] >> text=孵化器绩效评价")
    assert SupervisedItem.objects.get(work_item__title="孵化器绩效评价").cadence == "weekly"


def test_supervisor_issues_a_notice_suspends_resumes_and_cancels_with_reasons(as_user, demo_city):
    sup = signed("科技企业孵化器认定")
    desk = as_user("supervisor")
    open_item(desk, sup)
    desk.click("[data-testid=issue-notice]")
    desk.wait_for_selector("[data-testid=documents] >> text=督办通知单")

    act(desk, "suspend", expect="请填写中止理由")
    desk.fill("#note", "等待省厅认定办法修订")
    act(desk, "suspend")
    assert desk.inner_text("[data-testid=state]") == "已中止"
    act(desk, "resume")
    assert desk.inner_text("[data-testid=state]") == "办理中"
    desk.fill("#note", "省厅取消该项认定")
    act(desk, "cancel")
    assert desk.inner_text("[data-testid=state]") == "已撤销"
    timeline = desk.inner_text("[data-testid=timeline]")
    assert "等待省厅认定办法修订" in timeline and "省厅取消该项认定" in timeline
    assert desk.locator("[data-testid=actions]").count() == 0
