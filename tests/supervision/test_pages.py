"""What the item page and the ledger offer each role (found walking the flow in the browser)."""

from datetime import timedelta

import pytest

from tests.conftest import make_user
from xiaoneng.supervision import services
from xiaoneng.supervision.workflow import last_day


@pytest.fixture
def signed(world):
    sup = services.issue(
        actor=world.users["supervisor"],
        title="优化审批流程",
        source="instruction",
        lead_unit=world.ua,
        co_units=[world.ua2],
        limit="10wd",
    )
    return services.act(sup, "sign", world.users["liaison"], data={})


def page(world, role, sup) -> str:
    resp = world.client(role).get(f"/supervision/{sup.pk}/")
    assert resp.status_code == 200
    return resp.content.decode()


@pytest.mark.django_db
def test_extension_decision_is_offered_only_while_a_request_waits(world, signed):
    before = page(world, "supervisor", signed)
    assert 'value="approve_extension"' not in before and 'value="reject_extension"' not in before
    until = last_day(signed.work_item.deadline) + timedelta(days=10)
    services.act(
        signed,
        "request_extension",
        world.users["liaison"],
        data={"until": until.isoformat(), "reason": "等待省级批复"},
    )
    waiting = page(world, "supervisor", signed)
    assert 'value="approve_extension"' in waiting and 'value="reject_extension"' in waiting
    assert f"延期至 {until:%Y-%m-%d}" in waiting and "等待省级批复" in waiting
    assert 'data-testid="pending-extension"' not in page(world, "liaison", signed)  # shown to who decides


@pytest.mark.django_db
def test_item_form_asks_each_role_only_for_what_its_actions_take(world, signed):
    supervisor = page(world, "supervisor", signed)
    assert 'id="text"' not in supervisor  # no progress report to write
    assert 'id="note"' in supervisor and "催办内容" in supervisor  # reasons and the reminder's message
    liaison = page(world, "liaison", signed)
    assert 'id="text"' in liaison and 'id="until"' in liaison
    assert 'id="note"' not in liaison
    co_unit = world.client(None)
    co_unit.force_login(make_user("co_liaison", "liaison", world.ua2))
    html = co_unit.get(f"/supervision/{signed.pk}/").content.decode()
    assert 'value="report"' in html and 'id="text"' in html
    assert 'value="request_completion"' not in html and 'id="until"' not in html


@pytest.mark.django_db
def test_ledger_filters_by_unit_and_deadline_window(world, signed):
    later = services.issue(
        actor=world.users["supervisor"],
        title="编制五年规划",
        source="meeting",
        lead_unit=world.ua2,
        limit="60wd",
    )
    c = world.client("supervisor")
    html = c.get("/supervision/").content.decode()
    assert 'name="unit"' in html and 'name="due"' in html and "7日内到期（含逾期）" in html
    by_unit = c.get(f"/supervision/?unit={world.ua.pk}").content.decode()
    assert "优化审批流程" in by_unit and "编制五年规划" not in by_unit
    assert f'<option value="{world.ua.pk}" selected>' in by_unit
    co = c.get(f"/supervision/?unit={world.ua2.pk}").content.decode()
    assert "优化审批流程" in co and "编制五年规划" in co  # a co-unit's items too
    due = c.get("/supervision/?due=30").content.decode()
    assert "优化审批流程" in due and later.work_item.title not in due
    assert '<option value="30" selected>' in due


@pytest.mark.django_db
def test_ledger_has_no_unit_filter_for_a_units_own_people(world, signed):
    html = world.client("liaison").get("/supervision/").content.decode()
    assert 'name="unit"' not in html and 'name="due"' in html


@pytest.mark.django_db
def test_a_refused_action_keeps_what_the_user_typed_and_says_why(world, signed):
    c = world.client("liaison")
    resp = c.post(
        f"/supervision/{signed.pk}/",
        {
            "action": "request_extension",
            "version": str(signed.work_item.version),
            "text": "长篇进展草稿",
            "until": "2099-01-31",
            "reason": "",
        },
    )
    html = resp.content.decode()
    assert resp.status_code == 409
    assert "请填写延期理由" in html
    assert ">长篇进展草稿</textarea>" in html and 'value="2099-01-31"' in html
    assert signed.work_item.extensions.count() == 0


@pytest.mark.django_db
def test_a_stale_page_is_refused_and_shown_as_it_is_now_with_the_text_kept(world, signed):
    seen = signed.work_item.version
    services.act(signed, "report", world.users["liaison"], data={"text": "第一次报送"})
    resp = world.client("liaison").post(
        f"/supervision/{signed.pk}/", {"action": "report", "version": str(seen), "text": "在旧页面上写的进展"}
    )
    html = resp.content.decode()
    assert resp.status_code == 412 and "请刷新后重试" in html
    assert "第一次报送" in html and ">在旧页面上写的进展</textarea>" in html
    signed.work_item.refresh_from_db()
    assert f'name="version" value="{signed.work_item.version}"' in html


@pytest.mark.django_db
def test_item_page_names_the_responsible_leader_and_person(world):
    from xiaoneng.org.models import Person

    leader = Person.objects.create(name="王副区长", unit=world.ua2, position="副区长")
    sup = services.issue(
        actor=world.users["supervisor"],
        title="老旧小区改造",
        source="instruction",
        lead_unit=world.ua,
        limit="10wd",
        responsible_leader=leader,
        responsible_person=world.pa,
    )
    html = page(world, "liaison", sup)
    assert "责任领导" in html and "王副区长 · 副区长" in html
    assert "责任人" in html and "张东湖 · 科长" in html
