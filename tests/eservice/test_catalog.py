"""The matter catalog: limits as people write them, promised ≤ statutory refused otherwise (in both languages),
the .xlsx import all-or-nothing with row-level errors, and the list in the user's scope."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.eservice import catalog, catalog_io
from xiaoneng.eservice.models import Matter

from .conftest import matter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    "text,limit",
    [
        ("20wd", "20wd"),
        ("20个工作日", "20wd"),
        ("20 工作日", "20wd"),
        ("30日", "30d"),
        ("30天", "30d"),
        ("30自然日", "30d"),
        ("8个工作小时", "8wh"),
        ("48小时", "48h"),
        ("即办", "0wd"),
        ("即办件", "0wd"),
        ("0", "0wd"),
    ],
)
def test_limits_are_read_as_people_write_them(text, limit):
    assert catalog.parse_limit_text(text, "承诺时限") == limit


@pytest.mark.parametrize("text", ["", "二十个工作日", "5.5wd", "-3wd", "5 weeks"])
def test_unreadable_limits_are_refused_with_a_clear_message(text):
    with pytest.raises(TransitionRefused) as exc:
        catalog.parse_limit_text(text, "承诺时限")
    assert exc.value.status == 400 and "cannot read the limit" in exc.value.message


@pytest.mark.parametrize(
    "promised,statutory,exceeds",
    [
        ("5wd", "20wd", False),
        ("20wd", "20wd", False),
        ("21wd", "20wd", True),
        ("10d", "10wd", False),  # ten natural days never end after ten working days
        ("10wd", "10d", True),  # … the other way round they always do
        ("14d", "10wd", True),  # across a holiday week fourteen days can outlast ten working days
        ("0wd", "1wd", False),
        ("24h", "1wd", False),  # a day of hours ends before the end of the next working day
        ("48h", "1wd", True),  # from a Thursday, 48 hours end on Saturday, after Friday 24:00
    ],
)
@pytest.mark.django_db
def test_promised_may_not_exceed_statutory_even_across_units(promised, statutory, exceeds):
    assert catalog.promised_exceeds(promised, statutory) is exceeds


@pytest.mark.django_db
def test_a_promised_limit_longer_than_the_statutory_one_is_refused_and_nothing_is_written(world):
    with pytest.raises(TransitionRefused) as exc:
        matter(world.ua, "X-1", "超长承诺", promised="25个工作日", statutory="20个工作日")
    assert exc.value.message == (
        "承诺时限（25wd）不得长于法定时限（20wd） "
        "(the promised limit must not be longer than the statutory limit)"
    )
    assert not Matter.objects.exists()


@pytest.mark.django_db
def test_saving_by_code_creates_then_updates_and_marks_instant_matters(world):
    m = matter(world.ua, "X-1", "许可", promised="5wd")
    assert (m.instant, m.region_path, m.required_steps) == (False, world.a.path, "decision")
    m2 = matter(world.ua, "X-1", "许可（更名）", promised="即办")
    assert m2.pk == m.pk and m2.instant and m2.promised_limit == "0wd" and m2.required_steps == ""
    assert AuditEvent.objects.filter(event_type=AuditEventType.ESERVICE_CATALOG_CHANGED).count() == 2


def upload(rows, header=tuple(catalog_io.IMPORT_COLUMNS)):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["政务服务事项目录导入"])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("matters.xlsx", out.getvalue(), content_type=XLSX)


GOOD = ("DH-1", "施工许可", "行政许可", "东湖区住建局", "区/县", "20个工作日", "5个工作日", "0", "承办、决定")


@pytest.mark.django_db
def test_import_writes_every_row_or_none_and_names_each_error(world):
    rows = [
        GOOD,
        ("DH-2", "登记", "行政确认", "东湖区市场监管局", "", "15个工作日", "即办", "50", ""),
        ("DH-3", "超长", "行政许可", "东湖区住建局", "", "10个工作日", "20个工作日", "", ""),
        ("DH-4", "外区", "行政许可", "西山区住建局", "", "10wd", "5wd", "", ""),
        ("DH-5", "坏时限", "行政许可", "东湖区住建局", "", "十天", "5wd", "", ""),
        ("DH-1", "重复", "行政许可", "东湖区住建局", "", "10wd", "5wd", "", ""),
        ("DH-6", "坏费用", "行政许可", "东湖区住建局", "", "10wd", "5wd", "五十", ""),
        ("DH-7", "坏环节", "行政许可", "东湖区住建局", "", "10wd", "5wd", "", "盖章"),
    ]
    saved, errors = catalog_io.import_matters(world.users["supervisor"], upload(rows))
    assert saved == [] and not Matter.objects.exists()
    assert [(e.row, e.column) for e in errors] == [
        (5, "承诺时限"),
        (6, "实施部门"),  # county B is outside the county A supervisor's scope
        (7, "承诺时限"),  # the statutory limit is read first; its error names the limit columns
        (8, "事项编码"),
        (9, "收费标准（元）"),
        (10, "必经环节"),
    ]
    assert "不得长于法定时限" in errors[0].message and "statutory" in errors[0].message


@pytest.mark.django_db
def test_import_adds_and_updates_by_code(world):
    matter(world.ua, "DH-1", "旧名称", promised="10wd")
    saved, errors = catalog_io.import_matters(
        world.users["supervisor"],
        upload([GOOD, ("DH-2", "登记", "行政确认", "990102-SCJ", "", "15个工作日", "即办", "50", "")]),
    )
    assert errors == [] and len(saved) == 2
    m1, m2 = Matter.objects.get(code="DH-1"), Matter.objects.get(code="DH-2")
    assert (m1.name, m1.promised_limit, m1.required_steps, m1.level) == (
        "施工许可",
        "5wd",
        "handling,decision",
        "county",
    )
    assert m2.instant and m2.fee_standard == 50 and m2.department == world.ua2
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.IMPORTED, object_type="eservice.matter"
    ).exists()


@pytest.mark.django_db
def test_the_template_imports_as_it_is_for_a_city_supervisor(world):
    from xiaoneng.org.models import Unit, UnitType

    for code, name in (("990100-ZJJ", "青江市住房和城乡建设局"), ("990100-SCJ", "青江市市场监督管理局")):
        Unit.objects.create(
            code=code,
            name=name,
            short_name=name.replace("青江", "").replace("市场监督管理", "市场监管"),
            type=UnitType.GOVERNMENT,
            region=world.city,
        )
    f = SimpleUploadedFile("t.xlsx", catalog_io.template(), content_type=XLSX)
    saved, errors = catalog_io.import_matters(world.city_supervisor, f)
    assert errors == [] and [m.code for m in saved] == ["330100-XK-0001", "330100-QR-0002"]
    assert saved[1].instant and saved[0].level == "city"


@pytest.mark.django_db
def test_the_list_shows_each_role_its_own_matters(world, matters):
    body = world.client("supervisor").get("/eservice/matters/").content.decode()
    assert (
        "建筑工程施工许可证核发" in body and "个体工商户登记" in body and "西山区的事项目录条目" not in body
    )
    body = world.client("liaison").get("/eservice/matters/").content.decode()
    assert "建筑工程施工许可证核发" in body and "个体工商户登记" not in body
    assert world.client("auditor").get("/eservice/matters/").status_code == 403


@pytest.mark.django_db
def test_the_form_answers_the_limit_rule_in_both_languages(world):
    c = world.client("supervisor")
    resp = c.post(
        "/eservice/matters/new/",
        {
            "code": "F-1",
            "name": "表单事项",
            "type": "licence",
            "department": world.ua.pk,
            "level": "county",
            "statutory_limit": "10个工作日",
            "promised_limit": "15个工作日",
            "fee_standard": "0",
            "is_active": "on",
        },
    )
    assert resp.status_code == 400
    assert "承诺时限（15wd）不得长于法定时限（10wd）" in resp.content.decode()
    assert not Matter.objects.exists()
    assert world.client("liaison").get("/eservice/matters/new/").status_code == 403


@pytest.mark.django_db
def test_export_is_the_filtered_catalog(world, matters):
    resp = world.client("supervisor").get("/eservice/matters/export.xlsx?q=许可")
    assert resp.status_code == 200 and resp["Content-Type"] == XLSX
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).worksheets[0]
    assert ws["A1"].value == "政务服务事项目录"
    assert [ws.cell(4, 2).value, ws.cell(5, 2).value] == ["DH-XK-001", None]
