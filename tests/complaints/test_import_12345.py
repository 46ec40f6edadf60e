"""12345 热线转办: a batch of hotline tickets as .xlsx or .csv, all or nothing with row-level errors, each ticket once."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.complaints import import_io
from xiaoneng.complaints.models import Complaint
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.imports import ImportRefused
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = [
    "工单编号",
    "来电时间",
    "诉求人",
    "联系电话",
    "身份证号码",
    "电子邮箱",
    "是否匿名",
    "被反映单位",
    "问题类别",
    "诉求内容",
    "发生地点",
    "同意公开",
]
GOOD = [
    [
        "T-001",
        "2026-03-01 09:30",
        "钱热线",
        "13800001111",
        "",
        "",
        "否",
        "东湖区住建局",
        "办事拖拉",
        "备案两周无人处理。",
        "",
        "否",
    ],
    ["T-002", "", "", "13800002222", "", "", "是", "990102-SCJ", "", "窗口人员态度生硬。", "市民中心", "是"],
]


def xlsx(rows, title=True) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["12345热线转办投诉"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("tickets.xlsx", out.getvalue())


def csv_file(rows, encoding="utf-8-sig") -> SimpleUploadedFile:
    import csv

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for r in rows:
        w.writerow(r)
    return SimpleUploadedFile("tickets.csv", out.getvalue().encode(encoding))


def test_an_xlsx_batch_becomes_complaints_of_channel_12345(world, office):
    created, skipped, errors = import_io.import_tickets(world.users["supervisor"], xlsx(GOOD))
    assert errors == [] and skipped == [] and len(created) == 2
    first, second = sorted(created, key=lambda c: c.content)
    assert {c.channel for c in created} == {"12345"}
    t1 = Complaint.objects.get(idempotency_key="12345:T-001")
    assert t1.identity_name == "钱热线" and t1.category.code == "delay" and not t1.anonymous
    assert t1.content.startswith("【12345工单 T-001，来电时间 2026-03-01 09:30】")
    t2 = Complaint.objects.get(idempotency_key="12345:T-002")
    assert (
        t2.anonymous and t2.category.code == "other" and t2.subject_unit == world.ua2 and t2.consent_publish
    )
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.IMPORTED, object_type="complaints.12345"
    ).exists()


def test_a_gbk_csv_batch(world, office):
    created, skipped, errors = import_io.import_tickets(world.users["supervisor"], csv_file(GOOD, "gb18030"))
    assert errors == [] and len(created) == 2


def test_importing_the_same_tickets_again_adds_nothing(world, office):
    import_io.import_tickets(world.users["supervisor"], xlsx(GOOD))
    created, skipped, errors = import_io.import_tickets(world.users["supervisor"], csv_file(GOOD))
    assert created == [] and sorted(skipped) == ["T-001", "T-002"] and errors == []
    assert Complaint.objects.count() == 2


def test_one_bad_row_imports_nothing_and_every_error_is_listed(world, office):
    rows = [
        *GOOD,
        ["T-003", "昨天", "孙某", "12ab", "", "", "否", "不存在的单位", "天气不好", "", "", ""],
        ["T-001", "", "", "", "", "", "也许", "西山区住建局", "", "内容", "", ""],
        ["T-005", "", "李某", "", "", "", "否", "东湖区住建局", "", '=HYPERLINK("x")', "", ""],
    ]
    created, skipped, errors = import_io.import_tickets(world.users["supervisor"], xlsx(rows))
    assert created == [] and not Complaint.objects.exists()
    got = {(e.row, e.column) for e in errors}
    assert {(5, "来电时间"), (5, "联系电话"), (5, "被反映单位"), (5, "问题类别"), (5, "诉求内容")} <= got
    assert {(6, "工单编号"), (6, "是否匿名"), (6, "被反映单位")} <= got  # duplicate; 西山区 is out of scope
    assert (7, "诉求内容") in got  # a formula is never accepted
    assert (7, "联系电话") in got  # named without a contact
    assert all(e.message for e in errors)


def test_a_broken_file_is_refused_whole(world, office):
    for upload in (
        SimpleUploadedFile("t.xlsx", b"PK\x03\x04 not really a zip"),
        SimpleUploadedFile("t.xlsx", b"just text pretending"),
        SimpleUploadedFile("t.csv", b"\x00\x01\x02binary"),
        SimpleUploadedFile("t.csv", b"a,b,c\n1,2,3\n"),
        csv_file([]),
    ):
        with pytest.raises(ImportRefused):
            import_io.import_tickets(world.users["supervisor"], upload)
    assert not Complaint.objects.exists()


def test_import_page_and_template(world, office):
    c = world.client("supervisor")
    template = c.get("/complaints/import/template.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(template.content))
    assert [v for v in next(wb.active.iter_rows(min_row=3, max_row=3, values_only=True))][1:] == HEADER
    broken = c.post("/complaints/import/", {"file": SimpleUploadedFile("t.xlsx", b"garbage")})
    assert broken.status_code == 400 and 'data-testid="import-refused"' in broken.content.decode()
    bad = c.post(
        "/complaints/import/",
        {"file": xlsx([["T-9", "", "", "", "", "", "是", "无此单位", "", "x", "", ""]])},
    )
    assert bad.status_code == 400 and 'data-testid="import-errors"' in bad.content.decode()
    ok = c.post("/complaints/import/", {"file": xlsx(GOOD)})
    assert ok.status_code == 302 and Complaint.objects.count() == 2
    assert world.client("liaison").get("/complaints/import/").status_code == 403
