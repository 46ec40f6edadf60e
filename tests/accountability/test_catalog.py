"""The catalog, the ladder and the escalation rules are configuration (SPEC §4): the system administrator adds a
category, a behaviour, a rung of the ladder and a rule on /accountability/catalog/, each change audited; bad input
is refused with the reason and changes nothing; what is added is used at once by cases and suggestions."""

from __future__ import annotations

import pytest

from xiaoneng.accountability import services
from xiaoneng.accountability.models import Behaviour, BehaviourCategory, EscalationRule, Sanction
from xiaoneng.accountability.selectors import escalation_suggestions
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent

from .conftest import S, investigate, pending, propose
from .test_pages_api import client_for

URL = "/accountability/catalog/"


def post(user, data):
    return client_for(user).post(URL, data, follow=True)


def changes(op):
    return AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED, data__op=op)


@pytest.fixture
def sysadmin(world):
    return world.users["sysadmin"]


@pytest.mark.django_db
def test_a_new_rung_of_the_ladder_is_approved_at_its_level_and_served_with_its_notice(
    world, case, staff, approver, sysadmin, discipline, media
):
    r = post(
        sysadmin,
        {
            "op": "sanction_new",
            "name": "约谈提醒",
            "rank": "15",
            "kind": "measure",
            "approval_level": "discipline",
            "effect_months": "",
            "notice_kind": "约谈通知书",
            "applies_to_units": "on",
            "active": "on",
        },
    )
    assert "已保存" in r.content.decode()
    s = Sanction.objects.get(name="约谈提醒")
    assert (s.rank, s.kind, s.approval_level, s.notice_kind, s.applies_to_units, s.effect_months) == (
        15,
        "measure",
        "discipline",
        "约谈通知书",
        True,
        None,
    )
    assert changes("sanction_new").get().data["name"] == "约谈提醒"
    # Used at once: proposed, approved by discipline (its level, not the office), served as 约谈通知书.
    investigate(case, staff)
    propose(case, staff, sanction=s.code)
    d = pending(case)
    assert services.approvable(case, approver) == []
    services.act(case, "approve", discipline, data={"determination": d.pk})
    services.act(case, "decide", staff, data={})
    d.refresh_from_db()
    assert d.status == "in_force" and d.notice.kind == "约谈通知书"
    assert [x.name for x in Sanction.objects.all()][:3] == ["责令书面检查", "约谈提醒", "诫勉"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "请填写名称"),
        ({"name": "诫勉"}, "已有同名的处理方式"),
        ({"kind": "fine"}, "请选择类型"),
        ({"rank": "20"}, "轻重顺序20已被使用"),
        ({"rank": "0"}, "轻重顺序须为 1–999 的整数"),
        ({"approval_level": "mayor"}, "请选择审批层级"),
        ({"effect_months": "abc"}, "影响期须为 1–120 的整数"),
        ({"notice_kind": ""}, "请填写决定文书"),
    ],
)
def test_a_bad_new_rung_is_refused_with_its_reason_and_changes_nothing(world, sysadmin, change, message):
    before = Sanction.objects.count()
    data = {
        "op": "sanction_new",
        "name": "约谈提醒",
        "rank": "15",
        "kind": "measure",
        "approval_level": "office",
        "notice_kind": "问责决定书",
        "active": "on",
        **change,
    }
    assert message in post(sysadmin, data).content.decode()
    assert Sanction.objects.count() == before and not changes("sanction_new").exists()


@pytest.mark.django_db
def test_a_rungs_notice_and_use_for_units_are_edited_on_the_page(world, sysadmin):
    s = S("criticism")
    post(
        sysadmin,
        {
            "op": "sanction",
            "id": s.pk,
            "rank": s.rank,
            "approval_level": s.approval_level,
            "notice_kind": "通报",
            "active": "on",
        },
    )
    s.refresh_from_db()
    assert (s.notice_kind, s.applies_to_units, s.active) == ("通报", False, True)


@pytest.mark.django_db
def test_a_new_category_takes_new_behaviours_offered_when_a_case_is_opened(world, staff, sysadmin):
    post(sysadmin, {"op": "category_new", "name": "营商环境"})
    category = BehaviourCategory.objects.get(name="营商环境")
    assert category.order > max(c.order for c in BehaviourCategory.objects.exclude(pk=category.pk))
    assert "已有同名的类别" in post(sysadmin, {"op": "category_new", "name": "营商环境"}).content.decode()
    assert "请填写类别" in post(sysadmin, {"op": "category_new", "name": " "}).content.decode()
    post(
        sysadmin,
        {
            "op": "behaviour_new",
            "category": category.pk,
            "name": "对企业吃拿卡要",
            "min_sanction": S("efficiency_warning").pk,
            "max_sanction": S("referral").pk,
            "active": "on",
        },
    )
    b = Behaviour.objects.get(name="对企业吃拿卡要")
    assert b.category == category and b.code and not Behaviour.objects.exclude(pk=b.pk).filter(code=b.code)
    assert "对企业吃拿卡要" in client_for(staff).get("/accountability/new/").content.decode()
    assert [
        e.data["op"]
        for e in AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED).order_by(
            "id"
        )
    ] == ["category_new", "behaviour_new"]


@pytest.mark.django_db
def test_a_new_repeat_rule_suggests_and_never_applies(world, case, staff, approver, sysadmin, media):
    """A rule added on the page (a second 诫勉 within 180 days → 通报批评) is suggested at once, and applies nothing."""
    r = post(
        sysadmin,
        {
            "op": "rule_new",
            "name": "半年内再次诫勉",
            "kind": "repeat",
            "trigger": S("admonition").pk,
            "count": "2",
            "window_days": "180",
            "suggest": S("criticism").pk,
            "active": "on",
        },
    )
    assert "已保存" in r.content.decode()
    rule = EscalationRule.objects.get(name="半年内再次诫勉")
    assert (rule.trigger.code, rule.count, rule.window_days, rule.suggest.code) == (
        "admonition",
        2,
        180,
        "criticism",
    )
    investigate(case, staff)
    propose(case, staff, sanction="admonition")
    services.act(case, "approve", approver, data={"determination": pending(case).pk})
    services.act(case, "decide", staff, data={})
    suggestions = escalation_suggestions(world.pa, S("admonition"))
    assert [s.rule for s in suggestions] == ["半年内再次诫勉"]
    assert case.determinations.get().sanction.code == "admonition"  # nothing applied


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "sometimes"}, "请选择规则类型"),
        ({"name": ""}, "请填写名称"),
        ({"trigger": ""}, "请选择处理方式"),
        ({"suggest": "written_review"}, "建议的处理须重于触发的处理"),
        ({"count": "1"}, "次数须为 2–20 的整数"),
        ({"window_days": "0"}, "期间（日）须为 1–1830 的整数"),
    ],
)
def test_a_bad_new_rule_is_refused_with_its_reason(world, sysadmin, change, message):
    data = {
        "op": "rule_new",
        "name": "半年内再次诫勉",
        "kind": "repeat",
        "trigger": S("admonition").pk,
        "count": "2",
        "window_days": "180",
        "suggest": S("criticism").pk,
        **change,
    }
    if data["suggest"] == "written_review":
        data["suggest"] = S("written_review").pk
    before = EscalationRule.objects.count()
    assert message in post(sysadmin, data).content.decode()
    assert EscalationRule.objects.count() == before


@pytest.mark.django_db
def test_a_unit_head_rule_needs_no_trigger_and_only_the_system_administrator_adds_rules(
    world, staff, sysadmin
):
    data = {
        "op": "rule_new",
        "name": "年内三件有效投诉",
        "kind": "unit_head_complaints",
        "trigger": S("admonition").pk,
        "count": "3",
        "window_days": "365",
        "suggest": S("criticism").pk,
        "active": "on",
    }
    assert client_for(staff).post(URL, data).status_code == 403
    post(sysadmin, data)
    rule = EscalationRule.objects.get(name="年内三件有效投诉")
    assert rule.trigger is None and rule.count == 3


@pytest.mark.django_db
def test_the_administrators_catalog_page_in_english(world, sysadmin):
    from django.utils import translation

    from tests.test_i18n import assert_no_chinese_chrome, chrome, english, page

    from .test_english import accountability_data

    try:
        html = page(english(world.client("sysadmin")).get(URL))
        assert "Escalation" in html or "escalation" in html
        assert_no_chinese_chrome(chrome(html, accountability_data()), URL)
    finally:
        translation.deactivate()
