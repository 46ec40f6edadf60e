"""责任领导 and 责任人 (issue #5: "responsible leader and person"): chosen on the issue form (the lead unit's people
loaded when the unit is chosen), given through the API, read from the import; the 责任人 must work in the lead
unit, the 责任领导 may be anyone in the supervisor's scope; both shown on the item and in the ledger export."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.org.models import Person
from xiaoneng.supervision.models import SupervisedItem

from .test_ledger_io import XLSX, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    # The county's deputy head who oversees the lead unit: another unit of the same county (the supervisor's scope).
    deputy = Person.objects.create(name="王分管", unit=world.ua2, position="副区长")
    head = Person.objects.create(name="赵局长", unit=world.ua, position="局长")
    return deputy, head


def test_the_form_loads_the_lead_units_people_and_issues_with_both(world, people):
    deputy, head = people
    c = world.client("supervisor")
    options = c.get("/supervision/new/people-options/", {"lead_unit": world.ua.pk}).content.decode()
    assert (
        "赵局长 · 局长" in options
        and "张东湖" in options
        and "王分管" not in options
        and "李西山" not in options
    )
    assert 'id="id_responsible_leader" hx-swap-oob="innerHTML"' in options  # both pickers at once
    page = c.get("/supervision/new/").content.decode()
    assert 'hx-get="/supervision/new/people-options/"' in page
    resp = c.post(
        "/supervision/new/",
        {
            "title": "整治窗口排队",
            "source": "meeting",
            "urgency": "normal",
            "lead_unit": world.ua.pk,
            "limit": "10wd",
            "cadence": "none",
            "responsible_leader": deputy.pk,
            "responsible_person": world.pa.pk,
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:1500]
    item = SupervisedItem.objects.get()
    assert item.responsible_leader == deputy and item.work_item.owner_person == world.pa
    page = c.get(f"/supervision/{item.pk}/").content.decode()
    assert "王分管" in page and "张东湖" in page
    xlsx = openpyxl.load_workbook(io.BytesIO(c.get("/supervision/export.xlsx").content)).worksheets[0]
    header = [x.value for x in xlsx[3]]
    row = {h: xlsx.cell(4, i + 1).value for i, h in enumerate(header)}
    assert row["责任领导"] == "王分管" and row["责任人"] == "张东湖"


def test_a_responsible_person_outside_the_lead_unit_is_refused_and_the_form_keeps_its_choices(world, people):
    deputy, _head = people
    c = world.client("supervisor")
    resp = c.post(
        "/supervision/new/",
        {
            "title": "整治窗口排队",
            "source": "meeting",
            "urgency": "normal",
            "lead_unit": world.ua2.pk,
            "limit": "10wd",
            "cadence": "none",
            "responsible_leader": deputy.pk,
            "responsible_person": world.pa.pk,  # works in 东湖区住建局, not the lead unit
        },
    )
    page = resp.content.decode()
    assert (
        resp.status_code == 400 and "责任人须是牵头单位的人员" in page and not SupervisedItem.objects.exists()
    )
    assert f'<option value="{deputy.pk}" selected>王分管' in page  # the leader chosen is kept


def test_the_api_takes_both_and_checks_them(world, people):
    deputy, head = people
    c = world.client("supervisor")
    body = {"title": "推进一网通办", "source": "meeting", "lead_unit": world.ua.pk, "limit": "20wd"}
    resp = c.post(
        "/api/supervision/items/",
        {**body, "responsible_leader": deputy.pk, "responsible_person": head.pk},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["responsible_leader"] == deputy.pk and resp.json()["responsible_person"] == head.pk
    wrong = c.post(
        "/api/supervision/items/",
        {**body, "responsible_person": world.pb.pk},
        content_type="application/json",
    )
    # 李西山 works in another county: outside this supervisor's scope, so he is not found at all.
    assert wrong.status_code == 404 and "李西山" not in wrong.content.decode()
    other = Person.objects.create(name="钱市监", unit=world.ua2)
    wrong = c.post(
        "/api/supervision/items/", {**body, "responsible_person": other.pk}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "责任人须是牵头单位的人员" in wrong.content.decode()
    assert SupervisedItem.objects.count() == 1


def test_the_import_reads_names_and_reports_each_problem(world, people):
    Person.objects.create(name="张东湖", unit=world.ua2)  # a namesake in another unit
    header = ("事项", "牵头单位", "办理时限", "责任领导", "责任人")
    bad = upload(
        [
            ("甲", "东湖区住建局", "10wd", "查无此人", ""),
            ("乙", "东湖区住建局", "10wd", "张东湖", ""),  # two 张东湖: ambiguous without the unit
            ("丙", "东湖区市场监管局", "10wd", "", "赵局长"),  # not of the lead unit
        ],
        header=header,
    )
    resp = world.client("supervisor").post("/supervision/import/", {"file": bad})
    page = resp.content.decode()
    assert resp.status_code == 400 and not SupervisedItem.objects.exists()
    assert "找不到该人员" in page and "有重名" in page and "责任人须是牵头单位的人员" in page
    good = upload(
        [
            ("甲", "东湖区住建局", "10wd", "王分管", "张东湖"),  # 责任人 resolved within the lead unit
            ("乙", "东湖区住建局", "10wd", "东湖区市场监管局/张东湖", "赵局长"),
        ],
        header=header,
    )
    resp = world.client("supervisor").post("/supervision/import/", {"file": good})
    assert resp.status_code == 302, resp.content.decode()[:1500]
    a, b = SupervisedItem.objects.order_by("pk")
    assert a.responsible_leader.name == "王分管" and a.work_item.owner_person == world.pa
    assert b.responsible_leader.unit == world.ua2 and b.work_item.owner_person.name == "赵局长"


def test_the_templates_example_row_imports_whenever_it_is_downloaded(world):
    c = world.client("supervisor")
    template = c.get("/supervision/import/template.xlsx").content
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    header = [x.value for x in ws[3]]
    assert "责任领导" in header and "责任人" in header
    ws.cell(4, header.index("牵头单位") + 1, "东湖区住建局")
    ws.cell(4, header.index("协办单位") + 1, "")
    out = io.BytesIO()
    wb.save(out)
    resp = c.post(
        "/supervision/import/", {"file": SimpleUploadedFile("t.xlsx", out.getvalue(), content_type=XLSX)}
    )
    assert resp.status_code == 302, resp.content.decode()[:1500]
    assert SupervisedItem.objects.get().work_item.deadline is not None


def test_only_supervisors_load_the_pickers(world, people):
    for role in ("liaison", "unit_leader", "leader"):
        resp = world.client(role).get("/supervision/new/people-options/", {"lead_unit": world.ua.pk})
        assert resp.status_code == 403 and "赵局长" not in resp.content.decode()
    assert world.client(None).get("/supervision/new/people-options/").status_code in (302, 403)
