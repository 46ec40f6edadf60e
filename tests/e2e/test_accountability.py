"""问责 as people walk it: the city supervisor plans an open inspection of the 政务服务中心 and records what he
sees on his phone, with a photo; the finding becomes a case; the investigation is recorded and a transfer proposed;
the discipline officer approves it; the supervisor decides and the notice is issued; the person appeals and the
discipline officer lightens the sanction on review, the old decision kept in the history. A liaison never finds
the case."""

import io

import pytest
from PIL import Image

from xiaoneng.accountability.models import Case, Determination
from xiaoneng.org import demo
from xiaoneng.org.models import Person, Unit

from .conftest import login

pytestmark = pytest.mark.e2e


def photo(tmp_path):
    path = tmp_path / "现场.jpg"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_inspection_finding_case_determination_appeal(page, demo_city, tmp_path):
    zwfw = Unit.objects.get(code="990100-ZWFW")
    person = (
        Person.objects.filter(unit=zwfw, accounts__isnull=True)
        .exclude(pk=zwfw.head_id)
        .order_by("id")
        .first()
    )

    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.click("nav >> text=明查暗访")
    page.click("[data-testid=new-plan]")
    page.fill("#id_title", "政务服务中心窗口明查")
    page.check("input[name=mode][value=open]")
    page.fill("#id_starts_on", "2026-03-02")
    page.fill("#id_ends_on", "2026-03-02")
    page.select_option("#id_targets", str(zwfw.pk))
    page.click("[data-testid=submit-plan]")
    page.wait_for_selector("text=检查计划已建立")

    # On the phone: the finding, with a photo.
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("[data-testid=record-finding]")
    page.wait_for_load_state("load")
    with page.expect_response(lambda r: "people-options" in r.url):
        page.select_option("#id_unit", str(zwfw.pk))  # the unit's people load into the next field
    page.wait_for_selector(f"#id_person option[value='{person.pk}']", state="attached")
    page.select_option("#id_person", str(person.pk))
    page.fill("#id_place", "市政务服务中心一楼")
    page.fill("#id_window", "5号窗口")
    page.select_option("#id_behaviour", label="擅离职守、脱岗离岗，窗口空岗")
    page.fill("#id_description", "上午10时窗口空岗20分钟，群众排队无人受理。")
    page.set_input_files("#photos", photo(tmp_path))
    page.click("[data-testid=submit-finding]")
    page.wait_for_selector("text=已记录检查发现")
    assert page.locator("[data-testid=photos] img").count() == 1
    page.set_viewport_size({"width": 1280, "height": 900})

    # The finding becomes a case.
    page.click("[data-testid=open-case]")
    assert page.input_value("#id_summary") == "上午10时窗口空岗20分钟，群众排队无人受理。"
    assert page.input_value("#id_form-0-person") == str(person.pk)
    page.click("[data-testid=submit-case]")
    page.wait_for_selector("text=已立案")
    assert page.inner_text("[data-testid=state]") == "调查中"
    case = Case.objects.get(finding__isnull=False, finding__place="市政务服务中心一楼")

    page.select_option("#method", "site")
    page.fill("#record-text", "调取监控，核实窗口空岗20分钟。")
    page.click("button[value=record]")
    page.wait_for_selector("text=操作成功")
    page.select_option("#sanction", label="调离岗位（纪检监察机关审批）")
    page.select_option("#responsibility", "direct")
    page.fill("#reasoning", "上班时间擅离岗位，影响群众办事。")
    page.click("button[value=propose]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "审理审批中"
    assert page.inner_text("[data-testid=determination-status]") == "待审批"
    page.click("text=退出")

    login(page, "discipline", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/accountability/{case.pk}/")
    page.fill("[data-testid=approve-form] input[name=note]", "同意")
    page.click("[data-testid=approve-form] button[value=approve]")
    page.wait_for_selector("text=操作成功")
    page.click("text=退出")

    login(page, "supervisor", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/accountability/{case.pk}/")
    page.click("button[value=decide]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已作出决定"
    with page.expect_download() as download:
        page.click("[data-testid=notice-docx]")
    assert download.value.suggested_filename.endswith(".docx")
    page.fill("#appeal-reason", "初次违反，已深刻检讨。")
    page.click("button[value=appeal]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "申诉复核中"
    page.click("text=退出")

    login(page, "discipline", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/accountability/{case.pk}/")
    page.check("#outcome-changed")
    page.select_option("#review-sanction", label="效能告诫")
    page.fill("#decision", "系初犯，认错态度好，改为效能告诫。")
    page.click("button[value=decide_appeal]")
    page.wait_for_selector("text=操作成功")
    assert page.inner_text("[data-testid=state]") == "已作出决定"
    statuses = page.locator("[data-testid=determination-status]").all_inner_texts()
    assert statuses == ["复核变更", "已生效"]
    assert page.inner_text("[data-testid=appeal-outcome]") == "变更处理"
    assert list(
        Determination.objects.filter(case=case).order_by("id").values_list("sanction__code", "status")
    ) == [
        ("transfer", "superseded"),
        ("efficiency_warning", "in_force"),
    ]
    page.click("text=退出")

    # The person's record: read by discipline, never by a liaison.
    login(page, "liaison", demo.DEMO_PASSWORD)
    assert page.locator("nav >> text=问责").count() == 0
    assert page.goto(page.base + f"/accountability/{case.pk}/").status == 403
    assert page.goto(page.base + f"/api/accountability/cases/{case.pk}/").status == 404


def test_a_finding_typed_offline_is_sent_when_the_phone_is_back_online(page, demo_city):
    from xiaoneng.accountability.models import Finding, InspectionPlan

    plan = InspectionPlan.objects.get(mode="undercover")  # the demo's visit under way, discipline on its team
    zwfw = Unit.objects.get(code="990100-ZWFW")
    before = Finding.objects.filter(plan=plan).count()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "discipline", demo.DEMO_PASSWORD)
    page.goto(page.base + f"/accountability/inspections/{plan.pk}/findings/new/")
    page.select_option("#id_unit", str(zwfw.pk))
    page.fill("#id_place", "市政务服务中心二楼")
    page.fill("#id_description", "二楼窗口无人值守，电话无人接听。")
    page.context.set_offline(True)
    page.click("[data-testid=submit-finding]")
    page.wait_for_selector("[data-testid=offline-note]", state="visible")
    assert Finding.objects.filter(plan=plan).count() == before  # kept on the phone, nothing sent
    with page.expect_response(lambda r: "findings/new" in r.url and r.request.method == "POST"):
        page.context.set_offline(False)
    page.wait_for_selector("[data-testid=offline-note]", state="hidden")
    assert Finding.objects.filter(plan=plan, description="二楼窗口无人值守，电话无人接听。").count() == 1
