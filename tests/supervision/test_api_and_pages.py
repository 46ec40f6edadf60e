"""The ledger, issuing and actions through the API and the pages."""

import pytest

from xiaoneng.supervision import services
from xiaoneng.supervision.models import SupervisedItem


@pytest.fixture
def item(world):
    return services.issue(
        actor=world.users["supervisor"],
        title="优化审批流程",
        source="instruction",
        lead_unit=world.ua,
        limit="10wd",
    )


@pytest.mark.django_db
def test_api_issue_then_act(world):
    c = world.client("supervisor")
    resp = c.post(
        "/api/supervision/items/",
        {
            "title": "推进一网通办",
            "source": "meeting",
            "lead_unit": world.ua.pk,
            "co_units": [world.ua2.pk],
            "limit": "20wd",
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    assert resp.json()["work_item"]["state"] == "issued" and resp.json()["co_units"] == [world.ua2.pk]
    liaison = world.client("liaison")
    signed = liaison.post(
        f"/api/supervision/items/{pk}/sign/", {"version": 1}, content_type="application/json"
    )
    assert signed.status_code == 200 and signed.json()["work_item"]["state"] == "signed"
    again = liaison.post(f"/api/supervision/items/{pk}/sign/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    empty = liaison.post(f"/api/supervision/items/{pk}/report/", {}, content_type="application/json")
    assert empty.status_code == 409 and "进展情况" in empty.json()["detail"]
    ok = liaison.post(
        f"/api/supervision/items/{pk}/report/", {"text": "已完成方案"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert [r["text"] for r in liaison.get(f"/api/supervision/items/{pk}/reports/").json()] == ["已完成方案"]


@pytest.mark.django_db
def test_api_issue_refusals(world):
    c = world.client("supervisor")
    both = c.post(
        "/api/supervision/items/",
        {"title": "x", "source": "meeting", "lead_unit": world.ua.pk, "limit": "5wd", "due": "2026-12-31"},
        content_type="application/json",
    )
    assert both.status_code == 400
    outside = c.post(
        "/api/supervision/items/",
        {"title": "x", "source": "meeting", "lead_unit": world.ub.pk},
        content_type="application/json",
    )
    assert outside.status_code == 404  # a county supervisor cannot assign to another county's unit
    liaison = world.client("liaison").post(
        "/api/supervision/items/",
        {"title": "x", "source": "meeting", "lead_unit": world.ua.pk},
        content_type="application/json",
    )
    assert liaison.status_code == 403
    assert not SupervisedItem.objects.exists()


@pytest.mark.django_db
def test_ledger_filters(world, item):
    c = world.client("supervisor")
    assert "优化审批流程" in c.get("/supervision/?source=instruction").content.decode()
    assert "优化审批流程" not in c.get("/supervision/?source=meeting").content.decode()
    assert c.get("/api/supervision/items/?state=open").json()["count"] == 1
    assert c.get("/api/supervision/items/?state=closed").json()["count"] == 0


@pytest.mark.django_db
def test_issue_page_and_item_page(world):
    c = world.client("supervisor")
    bad = c.post(
        "/supervision/new/",
        {
            "title": "x",
            "source": "meeting",
            "lead_unit": world.ua.pk,
            "limit": "5wd",
            "due": "2026-12-31",
            "urgency": "normal",
            "cadence": "none",
        },
    )
    assert bad.status_code == 400 and "只填一个" in bad.content.decode()
    resp = c.post(
        "/supervision/new/",
        {
            "title": "整治窗口作风",
            "source": "inspection",
            "lead_unit": world.ua.pk,
            "limit": "5wd",
            "urgency": "extra",
            "cadence": "weekly",
        },
    )
    sup = SupervisedItem.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/supervision/{sup.pk}/"
    page = world.client("liaison").get(f"/supervision/{sup.pk}/").content.decode()
    assert 'value="sign"' in page and "特急" in page
    world.client("liaison").post(f"/supervision/{sup.pk}/", {"action": "sign", "version": "1"})
    sup.work_item.refresh_from_db()
    assert sup.work_item.state == "signed"


@pytest.mark.django_db
def test_demo_city_has_supervised_work_in_every_state(settings):
    from xiaoneng.org import demo

    settings.DEMO_MODE = True
    demo.seed()
    states = set(SupervisedItem.objects.values_list("work_item__state", flat=True))
    assert {"issued", "signed", "unit_review", "completion_requested", "closed"} <= states
    # What waits for the supervisor passed the unit's head first (单位负责人审核).
    waiting = SupervisedItem.objects.filter(work_item__state__in=["completion_requested", "closed"])
    assert waiting.exists()
    for sup in waiting:
        assert list(
            sup.work_item.timeline.filter(action="approve_completion").values_list("actor__role", flat=True)
        ) == ["unit_leader"]
    assert SupervisedItem.objects.filter(parent__isnull=False).count() >= 3


def _row(i, **values):
    return {f"form-{i}-{k}": v for k, v in values.items()}


@pytest.mark.django_db
def test_decompose_into_sub_items_per_unit_all_or_nothing(world, item):
    c = world.client("supervisor")
    base = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "200",
    }
    bad = c.post(
        f"/supervision/{item.pk}/decompose/",
        {
            **base,
            **_row(0, title="住建局部分", lead_unit=world.ua.pk, limit="5wd"),
            **_row(1, title="", lead_unit=world.ua2.pk),
        },
    )
    assert bad.status_code == 400 and "请填写子事项" in bad.content.decode()
    assert not item.children.exists()
    ok = c.post(
        f"/supervision/{item.pk}/decompose/",
        {
            **base,
            **_row(0, title="住建局部分", lead_unit=world.ua.pk, limit="5wd"),
            **_row(
                1, title="市场监管局部分", lead_unit=world.ua2.pk, co_units=[world.ua.pk], due="2026-12-31"
            ),
        },
    )
    assert ok.status_code == 302
    children = list(item.children.order_by("pk"))
    assert [ch.work_item.owner_unit for ch in children] == [world.ua, world.ua2]
    assert all(ch.source == item.source for ch in children)
    page = c.get(f"/supervision/{item.pk}/").content.decode()
    assert "共 2 项，已办结 0 项，逾期 0 项" in page
    assert world.client("liaison").get(f"/supervision/{item.pk}/decompose/").status_code == 403


@pytest.mark.django_db
def test_dispatch_board_shows_who_reported_today_and_drafts_the_summary(world, item):
    from tests.conftest import make_user

    a = services.issue(
        actor=world.users["supervisor"], title="展馆布展", source="meeting", lead_unit=world.ua, parent=item
    )
    services.issue(
        actor=world.users["supervisor"], title="安保方案", source="meeting", lead_unit=world.ua2, parent=item
    )
    make_user("a2_liaison", "liaison", world.ua2)
    services.act(a, "sign", world.users["liaison"], data={})
    services.act(a, "report", world.users["liaison"], data={"text": "展位搭建完成80%"})
    page = world.client("supervisor").get(f"/supervision/{item.pk}/board/").content.decode()
    assert "应报 2 项，已报 1 项，未报 1 项" in page
    assert "未报单位：东湖区市场监管局。" in page and "1. 展馆布展（东湖区住建局）：展位搭建完成80%" in page
    other_day = (
        world.client("supervisor").get(f"/supervision/{item.pk}/board/?day=2020-01-01").content.decode()
    )
    assert "应报 2 项，已报 0 项，未报 2 项" in other_day


@pytest.mark.django_db
def test_home_pages_count_what_waits(world, item):
    liaison_home = world.client("liaison").get("/").content.decode()
    assert "待签收督办事项" in liaison_home
    services.act(item, "sign", world.users["liaison"], data={})
    services.act(item, "request_completion", world.users["liaison"], data={"text": "完成"})
    from xiaoneng.web.selectors import home_figures

    cards = {str(c["label"]): c["value"] for c in home_figures(world.users["unit_leader"])}
    assert cards["待审核的办结申请"] == 1
    assert "待审核的办结申请" not in {str(c["label"]) for c in home_figures(world.users["liaison"])}
    services.act(item, "approve_completion", world.users["unit_leader"], data={})
    cards = {str(c["label"]): c["value"] for c in home_figures(world.users["unit_leader"])}
    assert cards["待审核的办结申请"] == 0

    cards = {str(c["label"]): c["value"] for c in home_figures(world.users["supervisor"])}
    assert cards["待验收督办事项"] == 1
    cards = {str(c["label"]): c["value"] for c in home_figures(world.users["liaison"])}
    assert cards["待签收督办事项"] == 0
