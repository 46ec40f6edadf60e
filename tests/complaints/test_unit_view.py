"""Whistleblower protection on the staff side (SPEC §2): the unit complained about — its liaison and its head —
reads the redacted copy, the category, dates, deadlines, its own reply and the review's outcome, and never the
complainant's name, phone, ID number, e-mail, IP or device, masked or not, nor the original text, the tracking
number, the public reply, related complaints, unreleased attachments or internal notes: not on any page, API
response, export, notification or timeline. Tested like an attacker: every response body is scanned."""

import io

import openpyxl
import pytest
from django.core.files.base import ContentFile

from xiaoneng.complaints import services
from xiaoneng.complaints.models import Attachment
from xiaoneng.core.models import Notification

from .handling import COPY, MARKERS, NAME, answered, assigned

pytestmark = pytest.mark.django_db

INTERNAL_NOTE = "内部：请重点核查窗口纪律"  # the note staff gave with the assignment (handling.assigned)


def body(resp) -> str:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content).decode(errors="ignore")
    if resp.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        wb = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
        return "\n".join(
            str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v is not None
        )
    return resp.content.decode(errors="ignore")


@pytest.fixture
def worked(world, staff, complaint, media):
    """A complaint assigned to 东湖区住建局 with one released and one private attachment, replied, redone, replied
    again, passed with a reply that names the complainant, rated, and marked for accountability."""
    photo = Attachment(
        complaint=complaint, name="窗口照片.jpg", content_type="image/jpeg", size=3, sha256="0"
    )
    photo.file.save("a.jpg", ContentFile(b"abc"), save=True)
    private = Attachment(
        complaint=complaint, name=f"{NAME}的身份证.jpg", content_type="image/jpeg", size=3, sha256="1"
    )
    private.file.save("b.jpg", ContentFile(b"def"), save=True)
    services.accept(staff, complaint)
    c = services.assign(
        staff, complaint, unit=world.ua, redacted_content=COPY, attachments=[photo.pk], note=INTERNAL_NOTE
    )
    c = services.submit_reply(world.users["liaison"], c, text="已核查。")
    c = services.approve_reply(world.users["unit_leader"], c)
    c = services.review_redo(staff, c, note="请说明整改措施")
    c = services.reply(world.users["unit_leader"], c, text="已批评教育当事人，调整窗口排班。")
    c = services.review_pass(staff, c, public_reply=f"{NAME}您好：您反映的问题属实。", finding="true")
    c = services.rate(staff, c, rating="satisfied", note=f"回访{NAME}，电话接通")
    c = services.request_accountability(staff, c, note="建议效能告诫")
    return c, photo, private


def unit_urls(c, photo):
    pk = c.pk
    return [
        "/",
        "/complaints/",
        "/complaints/?state=answered",
        f"/complaints/{pk}/",
        "/complaints/export.xlsx",
        "/api/complaints/",
        f"/api/complaints/{pk}/",
        f"/api/complaints/{pk}/timeline/",
        f"/api/complaints/{pk}/related/",
        "/api/work-items/",
        f"/api/work-items/{pk}/",
        f"/api/work-items/{pk}/timeline/",
        f"/api/work-items/{pk}/actions/",
        "/items/",
        f"/items/{pk}/",
        "/inbox/",
        "/api/notifications/",
        f"/complaints/attachments/{photo.pk}/",
    ]


@pytest.mark.parametrize("role", ["liaison", "unit_leader"])
def test_the_unit_never_reads_the_complainant(world, worked, role):
    c, photo, _private = worked
    client = world.client(role)
    for url in unit_urls(c, photo):
        resp = client.get(url, follow=True)
        assert resp.status_code == 200, (url, resp.status_code)
        text = body(resp)
        for marker in (*MARKERS, c.tracking_no, INTERNAL_NOTE, "回访", "建议效能告诫", "的身份证"):
            assert marker not in text, (role, url, marker)
    page = client.get(f"/complaints/{c.pk}/").content.decode()
    assert COPY in page and "已批评教育当事人" in page and "请说明整改措施" in page  # its own share
    assert "属实" in page  # the review's outcome


@pytest.mark.parametrize("role", ["liaison", "unit_leader"])
def test_the_unit_api_shape_has_no_identity_or_content_fields(world, worked, role):
    c, _photo, _private = worked
    data = world.client(role).get(f"/api/complaints/{c.pk}/").json()
    assert set(data) == {
        "id",
        "work_item",
        "category",
        "submitted_on",
        "handling_unit",
        "handling_unit_name",
        "redacted_content",
        "released_at",
        "unit_reply",
        "finding",
    }
    assert data["finding"] == "true" and data["redacted_content"] == COPY


@pytest.mark.parametrize("role", ["liaison", "unit_leader"])
def test_the_unit_cannot_reach_staff_endpoints(world, worked, role):
    c, _photo, private = worked
    client = world.client(role)
    assert client.post(f"/complaints/{c.pk}/reveal/", {"reason": "想知道"}).status_code == 403
    resp = client.post(
        f"/api/complaints/{c.pk}/reveal/", {"reason": "想知道"}, content_type="application/json"
    )
    assert resp.status_code == 403 and NAME not in resp.content.decode()
    assert client.get(f"/complaints/{c.pk}/assign/").status_code == 403
    assert client.get(f"/complaints/attachments/{private.pk}/").status_code == 404
    assert client.get(f"/api/complaints/{c.pk}/related/").json() == []


def test_leaders_read_the_redacted_view_too(world, worked):
    c, photo, private = worked
    client = world.client("leader")  # a county-A leader account, in 东湖区住建局 — recused
    assert client.get(f"/complaints/{c.pk}/").status_code == 404
    from tests.conftest import make_user

    leader = make_user("city_leader", "leader", world.uc)
    client.force_login(leader)
    for url in (f"/complaints/{c.pk}/", f"/api/complaints/{c.pk}/", "/complaints/export.xlsx"):
        text = body(client.get(url))
        for marker in (*MARKERS, INTERNAL_NOTE, "的身份证"):
            assert marker not in text, (url, marker)
    assert client.get(f"/complaints/attachments/{photo.pk}/").status_code == 200
    assert client.get(f"/complaints/attachments/{private.pk}/").status_code == 404


def test_staff_see_the_complaint_masked_and_the_internal_steps(world, worked):
    c, _photo, _private = worked
    page = world.client("city_supervisor").get(f"/complaints/{c.pk}/").content.decode()
    assert "王**" in page and "137****1111" in page and "110***********123X" in page
    assert "13700001111" not in page and "wangjubao@example.cn" not in page
    assert INTERNAL_NOTE in page and "原文独有标记" in page and c.tracking_no in page


def test_notifications_to_the_unit_carry_no_identity(world, worked):
    for n in Notification.objects.filter(recipient__unit=world.ua):
        for marker in MARKERS:
            assert marker not in n.title + n.body + n.url


def test_the_unit_timeline_starts_at_its_assignment_without_internal_notes(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    data = world.client("liaison").get(f"/api/work-items/{c.pk}/timeline/").json()
    assert [e["action"] for e in data] == ["assign"]
    assert data[0]["note"] == ""
    staff_view = world.client("city_supervisor").get(f"/api/work-items/{c.pk}/timeline/").json()
    assert [e["action"] for e in staff_view] == ["created", "accept", "assign"]
    assert staff_view[-1]["note"] == INTERNAL_NOTE


def test_the_generic_item_page_sends_everyone_to_the_complaint_page(world, staff, complaint):
    c = assigned(complaint, staff, world.ua)
    resp = world.client("liaison").get(f"/items/{c.pk}/")
    assert resp.status_code == 302 and resp["Location"] == f"/complaints/{c.pk}/"
    resp = world.client("liaison").post(f"/items/{c.pk}/", {"action": "submit_reply", "text": "x"})
    assert resp.status_code == 302
    c.work_item.refresh_from_db()
    assert c.work_item.state == "assigned"  # the generic page performs nothing for complaints


def test_after_reopening_the_unit_loses_sight(world, staff, complaint):
    c = answered(complaint, world, staff)
    c = services.rate(staff, c, rating="dissatisfied")
    services.reopen(staff, c)
    assert world.client("liaison").get(f"/complaints/{c.pk}/").status_code == 404
    assert world.client("liaison").get("/api/complaints/").json()["count"] == 0
