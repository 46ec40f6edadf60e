"""The copy released to the unit must not identify the complainant: assignment is refused while it contains the
name, phone, ID number or e-mail in any of the ways people write them."""

import pytest

from tests.conftest import at
from xiaoneng.complaints import services
from xiaoneng.complaints.models import Complaint
from xiaoneng.complaints.redaction import suggest_redacted
from xiaoneng.core.workflow import TransitionRefused

from .handling import COPY

pytestmark = pytest.mark.django_db

LEAKS = [
    ("投诉人王举报反映", "姓名"),
    ("投诉人王 举报反映", "姓名"),
    ("联系电话13700001111", "电话"),
    ("联系电话 137 0000 1111", "电话"),
    ("联系电话137-0000-1111", "电话"),
    ("联系电话１３７００００１１１１", "电话"),  # full-width digits
    ("联系电话１３７　００００　１１１１", "电话"),  # full-width digits and spaces
    ("联系电话+86 137 0000 1111", "电话"),
    ("联系电话+8613700001111", "电话"),
    ("联系电话0086-13700001111", "电话"),
    ("身份证11010119900101123x", "身份证号码"),
    ("身份证11010119900101123X", "身份证号码"),
    ("身份证 110101 19900101 123x", "身份证号码"),
    ("身份证１１０１０１１９９００１０１１２３ｘ", "身份证号码"),
    ("邮箱wangjubao@example.cn", "电子邮箱"),
    ("邮箱 WangJubao@Example.CN", "电子邮箱"),
    ("邮箱ｗａｎｇｊｕｂａｏ＠ｅｘａｍｐｌｅ．ｃｎ", "电子邮箱"),
    ("邮箱 wangjubao at example dot cn", "电子邮箱"),  # the local part alone still points at the person
]


@pytest.fixture
def accepted(world, staff, complaint):
    return services.accept(staff, complaint)


@pytest.mark.parametrize("text,what", LEAKS, ids=[x[0] for x in LEAKS])
def test_release_is_blocked_while_the_copy_identifies_the_complainant(world, staff, accepted, text, what):
    with pytest.raises(TransitionRefused) as e:
        services.assign(staff, accepted, unit=world.ua, redacted_content=f"{COPY}{text}")
    assert e.value.status == 409 and what in e.value.message
    c = Complaint.objects.get(pk=accepted.pk)
    assert c.work_item.state == "accepted" and c.redacted_content == "" and c.released_at is None


def test_a_clean_copy_is_released(world, staff, accepted):
    c = services.assign(staff, accepted, unit=world.ua, redacted_content=COPY + "联系电话：略")
    assert c.released_at is not None and c.work_item.state == "assigned"


def test_the_suggested_copy_passes_the_check(world, staff, accepted):
    text = suggest_redacted(accepted)
    assert "王举报" not in text and "13700001111" not in text and "wangjubao@example.cn" not in text
    c = services.assign(staff, accepted, unit=world.ua, redacted_content=text)
    assert c.work_item.state == "assigned"


def test_the_editor_starts_from_the_suggestion_and_shows_leaks(world, accepted):
    client = world.client("city_supervisor")
    page = client.get(f"/complaints/{accepted.pk}/assign/").content.decode()
    start = page.index('id="id_redacted_content"')
    editor = page[start : page.index("</textarea>", start)]
    assert "某某" in editor and "王举报" not in editor and "13700001111" not in editor
    check = client.post(
        f"/complaints/{accepted.pk}/assign/check/", {"redacted_content": "电话１３７ ００００ １１１１"}
    )
    assert 'data-testid="leaks"' in check.content.decode() and "电话" in check.content.decode()
    clean = client.post(f"/complaints/{accepted.pk}/assign/check/", {"redacted_content": COPY})
    assert 'data-testid="no-leaks"' in clean.content.decode()


def test_the_editor_refuses_a_leaking_copy_and_keeps_the_text(world, accepted):
    client = world.client("city_supervisor")
    resp = client.post(
        f"/complaints/{accepted.pk}/assign/",
        {
            "unit": world.ua.pk,
            "redacted_content": "王举报说窗口人员玩手机",
            "version": accepted.work_item.version,
        },
    )
    assert resp.status_code == 409
    html = resp.content.decode()
    assert "转办内容仍含投诉人信息" in html and 'data-testid="leaks"' in html
    resp = client.post(
        f"/complaints/{accepted.pk}/assign/",
        {"unit": world.ua.pk, "redacted_content": COPY, "version": accepted.work_item.version},
    )
    assert resp.status_code == 302 and resp["Location"] == f"/complaints/{accepted.pk}/"


def test_assignment_to_the_unit_complained_about_is_the_normal_case(world, staff, accepted):
    assert accepted.subject_unit == world.ua
    c = services.assign(staff, accepted, unit=world.ua, redacted_content=COPY)
    assert c.handling_unit == c.subject_unit == c.work_item.owner_unit
    assert at("2026-03-02 00:00") < c.released_at
