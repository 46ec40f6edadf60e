"""The staff pages and the API: the ledger and its filters and export, staff entry, the complaint page's actions,
the audited reveal, one API endpoint per transition with the platform's error shape, the home cards."""

import io

import openpyxl
import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.complaints import services
from xiaoneng.complaints.models import Category, Complaint
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org.roles import Role

from .handling import COPY, EMAIL, NAME, PHONE, assigned

pytestmark = pytest.mark.django_db


def xlsx_text(resp) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def hotline(world, office, category):
    """A second complaint, by phone about 东湖区市场监管局, taken a week later, anonymous."""
    with time_machine.travel(at("2026-03-09 10:00"), tick=False):
        c, _code, _new = services.submit(
            channel="hotline",
            category=Category.objects.get(code="attitude"),
            subject_unit=world.ua2,
            content="窗口人员态度生硬。",
            anonymous=True,
            phone="13900009999",
        )
    return c


def test_ledger_filters(world, complaint, hotline):
    c = world.client("city_supervisor")

    def found(query):
        return {x["tracking_no"] for x in c.get(f"/api/complaints/?{query}").json()["results"]}

    both = {complaint.tracking_no, hotline.tracking_no}
    assert found("") == both
    assert found("channel=hotline") == {hotline.tracking_no}
    assert found(f"category={complaint.category_id}") == {complaint.tracking_no}
    assert found(f"unit={world.ua2.pk}") == {hotline.tracking_no}
    assert found("state=received") == both and found("state=closed") == set()
    assert found("from=2026-03-05") == {hotline.tracking_no}
    assert found("to=2026-03-05") == {complaint.tracking_no}
    assert found("from=2026-03-09&to=2026-03-09") == {hotline.tracking_no}
    assert found("from=not-a-date&unit=99999999999999999999999") == both  # nonsense filters are ignored
    assert found(f"q={hotline.tracking_no[-6:]}") == {hotline.tracking_no}
    page = c.get("/complaints/?channel=hotline").content.decode()
    assert hotline.tracking_no in page and complaint.tracking_no not in page


def test_stage_filter(world, complaint, hotline):
    with time_machine.travel(at("2026-03-20 10:00"), tick=False):
        from xiaoneng.core import workitem

        workitem.sweep()
        found = world.client("city_supervisor").get("/api/complaints/?stage=red").json()["count"]
    assert found == 2


def test_export_in_the_standard_layout_without_identity(world, complaint, hotline):
    resp = world.client("city_supervisor").get("/complaints/export.xlsx?channel=web")
    assert resp.status_code == 200
    rows = xlsx_text(resp)
    assert rows[0][0] == "效能投诉台帐" and rows[2][:3] == ["序号", "投诉编号", "投诉时间"]
    assert rows[3][1] == complaint.tracking_no and len(rows) == 4
    flat = " ".join(str(v) for r in rows for v in r if v is not None)
    for marker in (NAME, PHONE, EMAIL, "13900009999", "窗口人员"):
        assert marker not in flat
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.EXPORTED, object_type="complaints.ledger"
    ).exists()


def test_unit_export_has_the_redacted_columns(world, complaint, staff):
    assigned(complaint, staff, world.ua)
    rows = xlsx_text(world.client("liaison").get("/complaints/export.xlsx"))
    assert rows[2] == ["序号", "事项", "类别", "交办时间", "答复时限", "状态", "是否逾期", "核查结论"]
    assert len(rows) == 4 and complaint.tracking_no not in str(rows)


def entry_form(world, **kw):
    data = {
        "channel": "hotline",
        "category": Category.objects.get(code="delay").pk,
        "subject_unit": world.ua2.pk,
        "subject_person": "",
        "content": "来电反映：市场监管局登记窗口推诿。",
        "name": "赵来电",
        "phone": "13600001234",
        "idempotency_key": "entry-test-1",
    }
    data.update(kw)
    return data


def test_staff_entry_registers_once_per_form(world, office):
    c = world.client(
        "supervisor"
    )  # county A's supervisor, in 东湖区住建局; the complaint is about 市场监管局
    page = c.get("/complaints/new/").content.decode()
    assert 'name="idempotency_key"' in page and "投诉电话" in page and "网上投诉" not in page
    resp = c.post("/complaints/new/", entry_form(world))
    complaint = Complaint.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.channel == "hotline" and complaint.created_by == world.users["supervisor"]
    assert complaint.identity_name == "赵来电" and complaint.work_item.owner_unit == office
    again = c.post("/complaints/new/", entry_form(world))
    assert again.status_code == 302 and Complaint.objects.count() == 1


def test_staff_entry_refusals(world, office):
    c = world.client("supervisor")
    resp = c.post("/complaints/new/", entry_form(world, phone="", email=""))
    assert resp.status_code == 400 and "联系方式" in resp.content.decode()
    resp = c.post("/complaints/new/", entry_form(world, channel="web"))
    assert resp.status_code == 400
    resp = c.post("/complaints/new/", entry_form(world, subject_unit=world.ub.pk))
    assert resp.status_code == 400  # 西山区 is not in a county-A supervisor's scope
    resp = c.post("/complaints/new/", entry_form(world, subject_person=world.pa.pk))
    assert resp.status_code == 400  # 张东湖 works in 住建局, not 市场监管局
    assert not Complaint.objects.exists()
    assert world.client("liaison").get("/complaints/new/").status_code == 403


def test_entry_about_ones_own_unit_is_registered_but_not_opened(world, office):
    resp = world.client("supervisor").post("/complaints/new/", entry_form(world, subject_unit=world.ua.pk))
    assert resp.status_code == 302 and resp["Location"] == "/complaints/"
    assert Complaint.objects.count() == 1  # 回避: registered for the office, invisible to its writer


def test_person_options_are_scoped(world):
    c = world.client("supervisor")
    assert "张东湖" in c.get(f"/complaints/new/people/?subject_unit={world.ua.pk}").content.decode()
    assert "李西山" not in c.get(f"/complaints/new/people/?subject_unit={world.ub.pk}").content.decode()


def test_actions_on_the_page(world, staff, complaint):
    c = world.client("city_supervisor")
    page = c.get(f"/complaints/{complaint.pk}/").content.decode()
    assert 'value="accept"' in page and 'value="reject"' in page and 'value="close"' not in page
    resp = c.post(f"/complaints/{complaint.pk}/", {"action": "accept", "version": "1"}, follow=True)
    assert "操作成功" in resp.content.decode()
    resp = c.post(f"/complaints/{complaint.pk}/", {"action": "handle_directly", "version": "1"}, follow=True)
    assert "已被他人修改" in resp.content.decode()  # a stale version
    assert Complaint.objects.get(pk=complaint.pk).work_item.state == "accepted"
    page = c.get(f"/complaints/{complaint.pk}/").content.decode()
    assert f'href="/complaints/{complaint.pk}/assign/"' in page


def test_liaison_page_actions(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    page = world.client("liaison").get(f"/complaints/{c.pk}/").content.decode()
    assert 'value="submit_reply"' in page and 'value="request_extension"' in page
    assert 'value="approve_reply"' not in page and 'value="reveal"' not in page
    world.client("liaison").post(f"/complaints/{c.pk}/", {"action": "submit_reply", "text": "答复稿"})
    page = world.client("unit_leader").get(f"/complaints/{c.pk}/").content.decode()
    assert 'value="approve_reply"' in page and 'value="return_reply"' in page and "答复稿" in page


def test_reveal_is_audited_with_its_reason(world, complaint):
    c = world.client("city_supervisor")
    resp = c.post(f"/complaints/{complaint.pk}/reveal/", {"reason": " "})
    assert resp.status_code == 400 and "查看理由" in resp.content.decode()
    assert not AuditEvent.objects.filter(event_type=AuditEventType.SENSITIVE_VIEWED).exists()
    resp = c.post(f"/complaints/{complaint.pk}/reveal/", {"reason": "回访核实"})
    html = resp.content.decode()
    assert resp.status_code == 200 and NAME in html and PHONE in html and "原文独有标记" in html
    row = AuditEvent.objects.get(event_type=AuditEventType.SENSITIVE_VIEWED)
    assert row.object_type == "complaints.complaint" and row.object_id == str(complaint.pk)
    assert row.data["reason"] == "回访核实" and row.actor_id == world.city_supervisor.pk


def test_discipline_may_reveal_leaders_may_not(world, complaint):
    officer = make_user("c_discipline", Role.DISCIPLINE, world.uc)
    client = world.client(None)
    client.force_login(officer)
    resp = client.post(
        f"/api/complaints/{complaint.pk}/reveal/", {"reason": "案件审查"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["id_number"] == "11010119900101123x"
    leader = make_user("c_leader", Role.LEADER, world.uc)
    client.force_login(leader)
    resp = client.post(
        f"/api/complaints/{complaint.pk}/reveal/", {"reason": "看看"}, content_type="application/json"
    )
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.ACCESS_DENIED, actor_id=leader.pk, data__action="reveal"
    ).exists()
    assert world.client(None).post(f"/complaints/{complaint.pk}/reveal/", {"reason": "x"}).status_code == 302


def test_api_flow_through_one_endpoint_per_transition(world, complaint):
    sup, liaison, head = world.client("city_supervisor"), world.client("liaison"), world.client("unit_leader")
    base = f"/api/complaints/{complaint.pk}"

    def post(client, action, **data):
        return client.post(f"{base}/{action}/", data, content_type="application/json")

    detail = sup.get(f"{base}/").json()
    assert detail["identity_masked"]["phone"] == "137****1111" and PHONE not in str(detail)
    assert post(sup, "accept", version=detail["work_item"]["version"]).status_code == 200
    stale = post(sup, "handle-directly", version=detail["work_item"]["version"])
    assert stale.status_code == 412 and stale.json()["code"] == "version_conflict"
    leak = post(sup, "assign", unit=world.ua.pk, redacted_content=f"投诉人{NAME}")
    assert leak.status_code == 409 and leak.json()["code"] == "guard_unmet"
    outside = post(sup, "assign", unit=987654321, redacted_content=COPY)
    assert outside.status_code == 404
    ok = post(sup, "assign", unit=world.ua.pk, redacted_content=COPY)
    assert ok.status_code == 200 and ok.json()["work_item"]["state"] == "assigned"
    wrong = post(liaison, "approve-reply")
    assert wrong.status_code == 403 and wrong.json()["code"] == "role_not_allowed"
    draft = post(liaison, "submit-reply", text="经查属实。")
    assert draft.status_code == 200 and "content" not in draft.json()
    assert post(head, "approve-reply").json()["work_item"]["state"] == "replied"
    passed = post(sup, "review-pass", public_reply="您好，已整改。", finding="true")
    assert passed.status_code == 200 and passed.json()["finding"] == "true"
    assert post(sup, "rate", rating="satisfied").status_code == 200
    assert post(sup, "request-accountability").json()["accountability_requested_at"]
    closed = post(sup, "close")
    assert closed.json()["work_item"]["state"] == "closed"
    again = post(sup, "close")
    assert (
        again.status_code == 409
        and again.json()["code"] == "wrong_state"
        and "已办结" in again.json()["detail"]
    )
    timeline = [e["action"] for e in sup.get(f"{base}/timeline/").json()]
    assert timeline[-1] == "close" and "submit_reply" in timeline


def test_api_out_of_scope_answers_like_missing(world, complaint):
    client = world.client("supervisor")  # recused: works in the unit complained about
    for url in (f"/api/complaints/{complaint.pk}/", "/api/complaints/987654321/"):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            f"/api/complaints/{complaint.pk}/accept/", {}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/complaints/").json()["count"] == 0


def test_api_staff_entry(world, office):
    c = world.client("supervisor")
    data = {
        "channel": "letter",
        "category": Category.objects.get(code="inaction").pk,
        "subject_unit": world.ua2.pk,
        "content": "来信反映不作为。",
        "anonymous": True,
        "email": "x@example.cn",
        "idempotency_key": "letter-1",
    }
    resp = c.post("/api/complaints/", data, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["channel"] == "letter"
    assert c.post("/api/complaints/", data, content_type="application/json").status_code == 200
    assert Complaint.objects.count() == 1
    assert (
        world.client("liaison").post("/api/complaints/", data, content_type="application/json").status_code
        == 403
    )
    outside = c.post(
        "/api/complaints/",
        {**data, "subject_unit": world.ub.pk, "idempotency_key": ""},
        content_type="application/json",
    )
    assert outside.status_code == 404


def test_related_suggestions_same_complainant_and_similar_text(world, staff, complaint, hotline, category):
    with time_machine.travel(at("2026-03-05 10:00"), tick=False):
        same_person, _c, _n = services.submit(
            channel="hotline",
            category=category,
            subject_unit=world.ua2,
            content="另一件事。",
            phone=PHONE,
            name="王某",
        )
        near, _c, _n = services.submit(
            channel="web",
            category=category,
            subject_unit=world.ua,
            content=complaint.content.replace("两个小时", "两小时"),
            anonymous=True,
            phone="13511112222",
        )
    with time_machine.travel(at("2026-05-01 10:00"), tick=False):
        late, _c, _n = services.submit(
            channel="web",
            category=category,
            subject_unit=world.ua,
            content=complaint.content,
            anonymous=True,
            phone="13511113333",
        )
    found = world.client("city_supervisor").get(f"/api/complaints/{complaint.pk}/related/").json()
    by_id = {x["id"]: x["reason"] for x in found}
    assert by_id == {same_person.pk: "same_complainant", near.pk: "similar_text"}
    page = world.client("city_supervisor").get(f"/complaints/{complaint.pk}/").content.decode()
    assert (
        'data-testid="suggestions"' in page
        and same_person.tracking_no in page
        and late.tracking_no not in page
    )
    resp = world.client("city_supervisor").post(
        f"/complaints/{complaint.pk}/", {"action": "link_related", "related": str(near.pk)}
    )
    assert resp.status_code == 302 and Complaint.objects.get(pk=complaint.pk).related_to == near


def test_home_cards(world, staff, complaint):
    from xiaoneng.web.selectors import home_figures

    labels = {str(c["label"]): c["value"] for c in home_figures(world.city_supervisor)}
    assert labels["待受理投诉"] == 1 and labels["待审核投诉答复"] == 0
    c = assigned(complaint, staff, world.ua)
    assert {str(x["label"]): x["value"] for x in home_figures(world.users["liaison"])}["待答复投诉"] == 1
    services.submit_reply(world.users["liaison"], c, text="稿")
    assert {str(x["label"]): x["value"] for x in home_figures(world.users["unit_leader"])}[
        "待审核投诉答复"
    ] == 1
    assert "待受理投诉" in world.client("city_supervisor").get("/").content.decode()


def test_nav_link(world):
    page = world.client("liaison").get("/").content.decode()
    assert 'href="/complaints/"' in page
    assert 'href="/complaints/"' not in world.client("auditor").get("/").content.decode()


def test_schema_lists_the_complaint_endpoints(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    for p in (
        "/api/complaints/",
        "/api/complaints/{id}/",
        "/api/complaints/{id}/reveal/",
        "/api/complaints/{id}/assign/",
    ):
        assert p in paths


def grow(world, category, n, staff_user):
    made = []
    for i in range(n):
        c, _code, _new = services.submit(
            channel="hotline",
            category=category,
            subject_unit=world.ua,
            content=f"第{i}件",
            anonymous=True,
            phone="13700000000",
        )
        other, _code, _new = services.submit(
            channel="web",
            category=category,
            subject_unit=world.ua,
            content=f"关联{i}",
            anonymous=True,
            phone="13700000000",
        )
        services.link_related(staff_user, c, related=other)
        services.accept(staff_user, c)
        services.assign(staff_user, c, unit=world.ua, redacted_content=f"第{i}件")
        made.append(c)
    return made


@pytest.mark.parametrize("role", ["city_supervisor", "liaison"])
def test_lists_make_a_constant_number_of_queries(world, office, category, role):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiaoneng.core import clock_service

    client = world.client(role)

    def count(url):
        clock_service.invalidate()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = ["/complaints/", "/api/complaints/", "/complaints/export.xlsx", "/"]
    grow(world, category, 3, world.city_supervisor)
    small = {u: count(u) for u in urls}
    grow(world, category, 9, world.city_supervisor)
    assert {u: count(u) for u in urls} == small


def test_complaint_pages_in_english(world, staff, complaint):
    from tests.test_i18n import assert_no_chinese_chrome, chrome, data_values, english, page

    c = assigned(complaint, staff, world.ua)
    services.submit_reply(world.users["liaison"], c, text="已核查。")
    data = [
        c.content,
        services.masked_content(c),
        COPY,
        "已核查。",
        c.tracking_no,
        "内部：请重点核查窗口纪律",
        "王**",
    ]

    def check(client, url):
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = chrome(page(resp), data + data_values())
        assert_no_chinese_chrome(html, url)

    sup = english(world.client("city_supervisor"))
    for url in (f"/complaints/{c.pk}/", "/complaints/", "/complaints/import/"):
        check(sup, url)
    check(english(world.client("supervisor")), "/complaints/new/")
    liaison = english(world.client("liaison"))
    for url in (f"/complaints/{c.pk}/", "/complaints/"):
        check(liaison, url)
    check(english(world.client("unit_leader")), f"/complaints/{c.pk}/")
    resp = sup.post(f"/complaints/{c.pk}/reveal/", {"reason": ""})
    assert "A reason for viewing is required" in page(resp)
    from django.utils import translation

    translation.deactivate()
