"""The ledger in and out of Excel: the standard layout, formula cells neutralised, exports audited and scoped;
imports all-or-nothing with row-level errors and safe against malicious files."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.supervision import services
from xiaoneng.supervision.models import SupervisedItem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(resp):
    return openpyxl.load_workbook(io.BytesIO(resp.content)).worksheets[0]


def upload(rows, header=("事项", "来源", "牵头单位", "协办单位", "完成时限", "办理时限", "紧急程度")):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["督办事项导入"])  # a title row above the header, as in the template
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("items.xlsx", out.getvalue(), content_type=XLSX)


@pytest.fixture
def items(world):
    a = services.issue(
        actor=world.users["supervisor"],
        title='=HYPERLINK("http://evil","点我")',
        source="meeting",
        lead_unit=world.ua,
        co_units=[world.ua2],
        limit="10wd",
        reference_no="青政办〔2026〕1号",
    )
    b = services.issue(
        actor=world.users["supervisor"], title="市场监管专项", source="instruction", lead_unit=world.ua2
    )
    return a, b


@pytest.mark.django_db
def test_export_has_the_standard_layout_and_neutralises_formulas(world, items):
    resp = world.client("supervisor").get("/supervision/export.xlsx")
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in resp["Content-Disposition"]
    ws = workbook(resp)
    assert ws["A1"].value == "督办事项台帐"
    header = [c.value for c in ws[3]]
    assert header[:5] == ["序号", "事项", "文号", "来源", "牵头单位"] and header[-1] == "是否逾期"
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    evil = rows['=HYPERLINK("http://evil","点我")']
    assert evil[0] in (1, 2) and evil[2] == "青政办〔2026〕1号" and evil[5] == "东湖区市场监管局"
    cell = next(c for c in ws["B"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula
    assert AuditEvent.objects.filter(event_type=AuditEventType.EXPORTED, actor_name="a_supervisor").exists()


@pytest.mark.django_db
def test_export_is_what_the_user_may_see_and_filtered(world, items):
    ws = workbook(world.client("liaison").get("/supervision/export.xlsx"))
    titles = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert titles == [
        '=HYPERLINK("http://evil","点我")'
    ]  # the liaison of 东湖区住建局 sees its own item only
    ws = workbook(world.client("supervisor").get("/supervision/export.xlsx?source=instruction"))
    assert [r[1] for r in ws.iter_rows(min_row=4, values_only=True)] == ["市场监管专项"]


@pytest.mark.django_db
def test_the_template_round_trips(world):
    c = world.client("supervisor")
    template = c.get("/supervision/import/template.xlsx")
    ws = workbook(template)
    header = [x.value for x in ws[3]]
    assert "事项" in header and "牵头单位" in header
    # Fill in a unit of the test world and upload it as it is.
    wb = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = wb.worksheets[0]
    col = {v: i + 1 for i, v in enumerate(header)}
    sheet.cell(4, col["牵头单位"], "东湖区住建局")
    sheet.cell(4, col["协办单位"], "东湖区市场监管局")
    out = io.BytesIO()
    wb.save(out)
    resp = c.post(
        "/supervision/import/", {"file": SimpleUploadedFile("t.xlsx", out.getvalue(), content_type=XLSX)}
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    item = SupervisedItem.objects.get()
    assert item.work_item.owner_unit == world.ua and list(item.work_item.units.all()) == [world.ua2]
    assert item.urgency == "normal" and item.cadence == "weekly" and item.source == "meeting"
    assert AuditEvent.objects.filter(event_type=AuditEventType.IMPORTED).exists()


@pytest.mark.django_db
def test_one_bad_row_imports_nothing_and_every_error_is_listed(world):
    f = upload(
        [
            ("事项一", "会议议定事项", "东湖区住建局", "", "2026-12-31", "", "一般"),
            ("", "领导批示", "不存在的局", "", "", "", ""),
            ("事项三", "外星来电", "东湖区住建局", "西山区住建局", "2026-13-45", "", "很急"),
            ("事项四", "", "东湖区住建局", "", "2026-12-31", "5wd", ""),
            ("=1+1", "", "东湖区住建局", "", "", "", ""),
        ]
    )
    resp = world.client("supervisor").post("/supervision/import/", {"file": f})
    assert resp.status_code == 400
    page = resp.content.decode()
    for needle in (
        "事项不能为空",
        "找不到该单位",
        "无法识别的来源",
        "找不到协办单位：西山区住建局",
        "日期格式",
        "紧急程度须为",
        "只填一个",
        "不接受公式",
    ):
        assert needle in page, needle
    assert "<td>4</td><td>事项</td>" in page  # the spreadsheet's own row number
    assert not SupervisedItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,content,message",
    [
        ("a.xlsx", b"this is not a workbook", "不是 Excel 工作簿"),
        ("big.xlsx", b"PK" + b"\0" * (5 * 1024 * 1024 + 10), "超过 5 MB"),
    ],
)
def test_files_that_are_not_workbooks_are_refused(world, name, content, message):
    resp = world.client("supervisor").post(
        "/supervision/import/", {"file": SimpleUploadedFile(name, content, content_type=XLSX)}
    )
    assert resp.status_code == 400 and message in resp.content.decode()


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_before_parsing(world):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (70 * 1024 * 1024))  # 70 MB of zeros, ~70 KB zipped
    resp = world.client("supervisor").post(
        "/supervision/import/", {"file": SimpleUploadedFile("bomb.xlsx", out.getvalue(), content_type=XLSX)}
    )
    assert resp.status_code == 400 and "解压后过大" in resp.content.decode()


@pytest.mark.django_db
def test_only_supervisors_import(world):
    assert world.client("liaison").get("/supervision/import/").status_code == 403
