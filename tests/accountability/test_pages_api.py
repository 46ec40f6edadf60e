"""The pages and the API of 问责: the whole flow through forms and through JSON, the notices served back, every
view of a case or a record on the audit trail, the statistics in the seeds' form with the 通报, the catalog's
editing, and the 曝光台 on the portal."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.utils import timezone
from docx import Document

from tests.conftest import make_user
from xiaoneng.accountability import services
from xiaoneng.accountability.models import Behaviour, Case, Determination, Sanction
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org.roles import Role

from .conftest import B, S, decided_case, investigate, pending, propose

VIEWED = AuditEventType.ACCOUNTABILITY_VIEWED


def viewed(user, **data):
    return (
        AuditEvent.objects.filter(event_type=VIEWED, actor_id=user.pk, data__contains=data)
        if data
        else AuditEvent.objects.filter(event_type=VIEWED, actor_id=user.pk)
    )


def client_for(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_a_case_through_the_pages(world, staff, approver, other, media):
    c = client_for(staff)
    form = {
        "source": "manual",
        "summary": "窗口工作人员上班打牌，负责人失察。",
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-unit": world.ua.pk,
        "form-0-person": world.pa.pk,
        "form-0-behaviour": B("games_cards").pk,
        "form-1-unit": world.ua2.pk,
        "form-1-person": other.pk,
        "form-1-behaviour": B("negligent_oversight").pk,
    }
    r = c.post("/accountability/new/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    url = f"/accountability/{case.pk}/"
    assert r["Location"] == url
    page = c.get(url).content.decode()
    assert "张东湖" in page and "王市监" in page and "调查中" in page
    r = c.post(
        url, {"action": "record", "method": "interview", "text": "谈话核实", "version": 1}, follow=True
    )
    assert "操作成功" in r.content.decode()
    for person, sanction in ((world.pa, "efficiency_warning"), (other, "criticism")):
        subject = case.subjects.get(person=person)
        r = c.post(
            url,
            {
                "action": "propose",
                "subject": subject.pk,
                "sanction": S(sanction).pk,
                "responsibility": "direct",
                "reasoning": "属实",
            },
            follow=True,
        )
        assert "操作成功" in r.content.decode(), r.content.decode()[:3000]
    a = client_for(approver)
    page = a.get(url).content.decode()
    assert page.count('data-testid="approve-form"') == 2
    for d in case.determinations.all():
        a.post(url, {"action": "approve", "determination": d.pk})
    r = c.post(url, {"action": "decide"}, follow=True)
    assert "已作出决定" in r.content.decode()
    d = case.determinations.get(person=world.pa)
    r = c.get(f"{url}documents/{d.notice_id}.docx")
    assert r.status_code == 200
    text = "\n".join(p.text for p in Document(BytesIO(r.content)).paragraphs)
    assert d.notice.number in text and "效能告诫" in text
    r = c.post(
        url,
        {
            "action": "appeal",
            "determination": d.pk,
            "filed_on": timezone.localdate().isoformat(),
            "reason": "初犯",
        },
        follow=True,
    )
    assert "申诉复核中" in r.content.decode()
    r = a.post(
        url,
        {
            "action": "decide_appeal",
            "outcome": "changed",
            "sanction": S("written_review").pk,
            "decision": "改为书面检查",
        },
        follow=True,
    )
    body = r.content.decode()
    assert "已作出决定" in body and "复核变更" in body and "变更处理" in body


@pytest.mark.django_db
def test_the_case_form_refuses_a_person_of_another_unit_and_changes_nothing(world, staff, other):
    r = client_for(staff).post(
        "/accountability/new/",
        {
            "source": "manual",
            "summary": "x",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-unit": world.ua.pk,
            "form-0-person": other.pk,
            "form-0-behaviour": B("late_early").pk,
        },
    )
    assert r.status_code == 400 and "该人员不在所选单位" in r.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_refused_action_is_told_on_the_page(case, staff):
    r = client_for(staff).post(
        f"/accountability/{case.pk}/", {"action": "propose", "subject": case.subjects.get().pk}, follow=True
    )
    assert "请先记录调查情况" in r.content.decode()


@pytest.mark.django_db
def test_people_options_list_only_the_units_people_in_scope(world, staff):
    c = client_for(staff)
    body = c.get("/accountability/people-options/", {"form-0-unit": world.ua.pk}).content.decode()
    assert "张东湖" in body
    assert "李西山" not in c.get("/accountability/people-options/", {"unit": world.ub.pk}).content.decode()
    assert c.get("/accountability/people-options/", {"unit": "x"}).status_code == 200


# --- every view is audited ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_view_of_a_case_or_a_record_is_audited(world, case, staff, discipline, approver, media):
    decided_case(case, staff, approver)
    c = client_for(discipline)
    c.get(f"/accountability/{case.pk}/")
    c.get(f"/accountability/people/{world.pa.pk}/")
    c.get("/accountability/")
    c.get(f"/api/accountability/cases/{case.pk}/")
    c.get("/api/accountability/cases/")
    c.get(f"/api/accountability/people/{world.pa.pk}/")
    d = case.determinations.get()
    c.get(f"/accountability/{case.pk}/documents/{d.notice_id}.docx")
    views = [e.data["view"] for e in viewed(discipline).order_by("id")]
    assert views == ["case", "person_record", "case_list", "case", "case_list", "person_record", "document"]
    row = viewed(discipline).filter(data__view="person_record").first()
    assert (
        row.object_type == "org.person"
        and row.object_id == str(world.pa.pk)
        and row.data["determinations"] == [d.pk]
    )


# --- the record per role (SPEC §4: discipline, supervisors of the issuing level, the person's own unit head) ----


ROLES_WITHOUT = [
    Role.LIAISON,
    Role.LEADER,
    Role.NPC,
    Role.EVALUATOR,
    Role.SYSADMIN,
    Role.SECADMIN,
    Role.AUDITOR,
]


@pytest.fixture
def decided(world, case, staff, approver, other, media):
    """张东湖 (ua) got a 效能告诫, 王市监 (ua2) a 通报批评, in one case of county A's office."""
    investigate(case, staff)
    case = services.act(
        case,
        "add_subject",
        staff,
        data={"unit": world.ua2.pk, "person": other.pk, "behaviour": B("absent").pk},
    )
    propose(case, staff)
    propose(case, staff, subject=case.subjects.get(person=other), sanction="criticism")
    for d in case.determinations.all():
        services.act(case, "approve", approver, data={"determination": d.pk})
    return services.act(case, "decide", staff, data={})


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_WITHOUT)
def test_roles_outside_the_rule_never_see_a_case_or_a_record(world, decided, role):
    user = world.users[role]
    c = client_for(user)
    for url in (f"/accountability/{decided.pk}/", f"/accountability/people/{world.pa.pk}/"):
        assert c.get(url).status_code in (403, 404), (role, url)
    for url in (
        f"/api/accountability/cases/{decided.pk}/",
        f"/api/accountability/people/{world.pa.pk}/",
        f"/api/work-items/{decided.pk}/",
    ):
        assert c.get(url).status_code in (403, 404), (role, url)
    for url in ("/items/", "/api/work-items/", "/api/accountability/cases/", "/accountability/"):
        r = c.get(url)
        assert decided.number not in r.content.decode(), (role, url)
    assert not Determination.objects.restrict(user).exists()


@pytest.mark.django_db
def test_discipline_and_the_issuing_levels_supervisors_read_the_whole_record(
    world, decided, discipline, approver
):
    for user in (discipline, approver):
        c = client_for(user)
        page = c.get(f"/accountability/{decided.pk}/").content.decode()
        assert "张东湖" in page and "王市监" in page and "谈话" in page
        record = c.get(f"/api/accountability/people/{world.pa.pk}/").json()
        assert [d["sanction_name"] for d in record["determinations"]] == ["效能告诫"]


@pytest.mark.django_db
def test_a_supervisor_of_another_level_does_not_see_the_case(world, decided):
    c = client_for(world.city_supervisor)  # the city office: not the issuing level of a county case
    assert c.get(f"/accountability/{decided.pk}/").status_code == 404
    assert c.get(f"/api/accountability/people/{world.pa.pk}/").json()["determinations"] == []
    assert decided.number not in c.get("/accountability/").content.decode()


@pytest.mark.django_db
def test_the_head_of_a_unit_reads_only_his_own_peoples_determinations_and_no_investigation(world, decided):
    head_ua = world.users["unit_leader"]
    page = client_for(head_ua).get(f"/accountability/{decided.pk}/").content.decode()
    assert "张东湖" in page and "王市监" not in page
    assert "谈话" not in page and 'data-testid="records"' not in page and 'data-testid="actions"' not in page
    api = client_for(head_ua).get(f"/api/accountability/cases/{decided.pk}/").json()
    assert [s["person_name"] for s in api["subjects"]] == ["张东湖"]
    assert api["records"] == [] and api["summary"] == ""
    head_ua2 = make_user("a2_head", Role.UNIT_LEADER, world.ua2)
    page = client_for(head_ua2).get(f"/accountability/{decided.pk}/").content.decode()
    assert "王市监" in page and "张东湖" not in page
    assert client_for(head_ua2).get(f"/accountability/people/{world.pa.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_person_concerned_never_sees_his_own_case_whatever_his_role(world, decided):
    for role in (Role.SUPERVISOR, Role.DISCIPLINE, Role.UNIT_LEADER):
        own = make_user(f"pa_{role}", role, world.ua, world.pa)
        c = client_for(own)
        assert c.get(f"/accountability/{decided.pk}/").status_code == 404, role
        assert decided.number not in c.get("/accountability/").content.decode()
        record = c.get(f"/api/accountability/people/{world.pa.pk}/")
        assert record.status_code == 404 or record.json()["determinations"] == [], role


@pytest.mark.django_db
def test_a_record_never_shows_the_complaints_the_person_made_himself(
    world, decided, complaint_office, discipline
):
    """張东湖 once complained, as a citizen, about another unit: nothing of it reaches his accountability record."""
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category

    mine, _code, _new = complaints.submit(
        channel="web",
        category=Category.objects.get(code="delay"),
        subject_unit=world.ua2,
        content="我本人投诉市场监管局拖延",
        name="张东湖",
        phone="13812345678",
    )
    for url in (
        f"/accountability/people/{world.pa.pk}/",
        f"/accountability/{decided.pk}/",
        f"/api/accountability/people/{world.pa.pk}/",
    ):
        body = client_for(discipline).get(url).content.decode()
        assert mine.tracking_no not in body and "我本人投诉" not in body


@pytest.mark.django_db
def test_the_complaint_portal_never_tells_the_complainant_about_accountability(
    world, complaint_office, staff, other, media, client
):
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category, Complaint

    c, code, _new = complaints.submit(
        channel="web",
        category=Category.objects.get(code="discipline"),
        subject_unit=world.ua2,
        subject_person=other,
        content="打牌",
        phone="13700000001",
    )
    Complaint.objects.filter(pk=c.pk).update(finding="true")
    case = services.open_case(
        actor=staff,
        source="complaint",
        complaint=Complaint.objects.get(pk=c.pk),
        summary="属实",
        subjects=[services.SubjectInput(unit=world.ua2, person=other, behaviour=B("games_cards"))],
    )
    r = client.post("/portal/track/", {"tracking_no": c.tracking_no, "code": code})
    body = r.content.decode()
    assert r.status_code == 200 and c.tracking_no in body
    assert case.number not in body and "问责" not in body and "王市监" not in body


# --- statistics, the 通报 and the export ------------------------------------------------------------------------


@pytest.mark.django_db
def test_statistics_count_in_the_seeds_form_and_the_bulletin_lists_typical_cases(
    world, decided, staff, media
):
    services.act(decided, "mark_typical", staff, data={})
    c = client_for(staff)
    page = c.get("/accountability/statistics/").content.decode()
    assert "共处理相关责任人2人，其中效能告诫1人、通报批评1人" in page
    assert "工作纪律" in page and "东湖区住建局" in page
    r = c.post("/accountability/statistics/", {})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in Document(BytesIO(r.content)).paragraphs)
    assert "东湖效通〔" in text and "共处理相关责任人2人" in text and "典型案例" in text and "张东湖" in text
    xlsx = c.get("/accountability/statistics/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    api = c.get("/api/accountability/statistics/").json()
    assert api["people"] == 2 and {x["code"] for x in api["by_sanction"]} == {
        "efficiency_warning",
        "criticism",
    }


@pytest.mark.django_db
def test_leaders_read_the_counts_but_not_the_cases(world, decided):
    c = client_for(world.users["leader"])
    page = c.get("/accountability/statistics/").content.decode()
    assert "共处理相关责任人2人" in page and "张东湖" not in page
    assert c.post("/accountability/statistics/", {}).status_code == 403
    assert client_for(world.users["liaison"]).get("/accountability/statistics/").status_code == 403
    assert client_for(world.users["liaison"]).get("/api/accountability/statistics/").status_code == 403


@pytest.mark.django_db
def test_the_city_counts_its_counties_cases_without_reading_them(world, decided):
    c = client_for(world.city_supervisor)
    assert "共处理相关责任人2人" in c.get("/accountability/statistics/").content.decode()
    assert c.get(f"/accountability/{decided.pk}/").status_code == 404


# --- the catalog ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_system_administrator_edits_the_catalog_and_each_change_is_audited(world, staff):
    s = S("efficiency_warning")
    data = {
        "op": "sanction",
        "id": s.pk,
        "approval_level": "discipline",
        "effect_months": "6",
        "rank": s.rank,
        "active": "on",
    }
    assert client_for(staff).post("/accountability/catalog/", data).status_code == 403
    sysadmin = world.users["sysadmin"]
    client_for(sysadmin).post("/accountability/catalog/", data)
    s.refresh_from_db()
    assert (s.approval_level, s.effect_months) == ("discipline", 6)
    r = client_for(sysadmin).post(
        "/accountability/catalog/",
        {
            "op": "behaviour_new",
            "category": B("late_early").category_id,
            "name": "上班时间睡觉",
            "min_sanction": S("criticism").pk,
            "max_sanction": S("written_review").pk,
        },
        follow=True,
    )
    assert "一般最轻处理不能重于一般最重处理" in r.content.decode()
    client_for(sysadmin).post(
        "/accountability/catalog/",
        {
            "op": "behaviour_new",
            "category": B("late_early").category_id,
            "name": "上班时间睡觉",
            "min_sanction": S("written_review").pk,
            "max_sanction": S("criticism").pk,
            "active": "on",
        },
    )
    assert Behaviour.objects.filter(name="上班时间睡觉", active=True).exists()
    changes = AuditEvent.objects.filter(event_type=AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED)
    assert [e.data["op"] for e in changes.order_by("id")] == ["sanction", "behaviour_new"]
    assert "上班时间睡觉" in client_for(staff).get("/accountability/catalog/").content.decode()


@pytest.mark.django_db
def test_the_catalog_api_lists_the_ladder_and_behaviours(world):
    c = client_for(world.users["discipline"])
    assert [s["name"] for s in c.get("/api/accountability/sanctions/").json()][:2] == ["责令书面检查", "诫勉"]
    assert len(c.get("/api/accountability/behaviours/").json()) == Behaviour.objects.count()
    assert client_for(world.users["liaison"]).get("/api/accountability/sanctions/").json() == []


# --- the API --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_through_the_api(world, staff, approver, media):
    c = client_for(staff)
    r = c.post(
        "/api/accountability/cases/",
        {
            "source": "manual",
            "summary": "窗口空岗",
            "subjects": [{"unit": world.ua.pk, "person": world.pa.pk, "behaviour": B("absent").pk}],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    case_id = r.json()["id"]
    base = f"/api/accountability/cases/{case_id}/"
    r = c.post(
        base + "propose/",
        {"subject": r.json()["subjects"][0]["id"], "sanction": S("criticism").pk},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "guard_unmet"
    assert (
        c.post(
            base + "record/", {"method": "site", "text": "现场核查"}, content_type="application/json"
        ).status_code
        == 200
    )
    subject = Case.objects.get(pk=case_id).subjects.get()
    r = c.post(
        base + "propose/",
        {
            "subject": subject.pk,
            "sanction": S("criticism").pk,
            "responsibility": "direct",
            "reasoning": "空岗",
        },
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["work_item"]["state"] == "deciding"
    d = Determination.objects.get(case_id=case_id)
    r = client_for(world.users["liaison"]).post(
        base + "approve/", {"determination": d.pk}, content_type="application/json"
    )
    assert r.status_code == 404
    r = client_for(approver).post(
        base + "approve/", {"determination": d.pk, "version": 1}, content_type="application/json"
    )
    assert r.status_code == 412 and r.json()["code"] == "version_conflict"
    assert (
        client_for(approver)
        .post(base + "approve/", {"determination": d.pk}, content_type="application/json")
        .status_code
        == 200
    )
    r = c.post(base + "decide/", {}, content_type="application/json")
    assert (
        r.json()["determinations"][0]["status"] == "in_force"
        and r.json()["determinations"][0]["notice_number"]
    )


@pytest.mark.django_db
def test_only_supervisors_open_cases_through_the_api(world, discipline):
    r = client_for(discipline).post(
        "/api/accountability/cases/",
        {
            "source": "manual",
            "summary": "x",
            "subjects": [{"unit": world.ua.pk, "behaviour": B("absent").pk}],
        },
        content_type="application/json",
    )
    assert r.status_code == 403
    r = client_for(world.users["supervisor"]).post(
        "/api/accountability/cases/",
        {
            "source": "manual",
            "summary": "x",
            "subjects": [{"unit": world.ub.pk, "behaviour": B("absent").pk}],
        },
        content_type="application/json",
    )
    assert r.status_code == 404


# --- the 曝光台 -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_exposure_board_shows_published_cases_with_names_only_where_the_decision_says_so(
    world, staff, approver, other, media, client
):
    case = services.open_case(
        actor=staff,
        source="manual",
        summary="内部线索，不公开",
        subjects=[
            services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("games_cards")),
            services.SubjectInput(unit=world.ua2, person=other, behaviour=B("negligent_oversight")),
        ],
    )
    investigate(case, staff)
    propose(case, staff, publish_name="on")
    propose(
        case,
        staff,
        subject=case.subjects.get(person=other),
        sanction="criticism",
        responsibility="important_leader",
    )
    for d in case.determinations.all():
        services.act(case, "approve", approver, data={"determination": d.pk})
    services.act(case, "decide", staff, data={})
    assert "上班时间斗地主" not in client.get("/portal/exposure/").content.decode()
    assert "publish" in {t.name for t in services.available(Case.objects.get(pk=case.pk), staff)}
    services.act(case, "publish", staff, data={"public_summary": "某局窗口工作人员上班时间斗地主。"})
    body = client.get("/portal/exposure/").content.decode()
    assert "上班时间斗地主" in body and "张东湖" in body and "王市监" not in body
    assert "效能告诫" in body and "通报批评" in body and "内部线索" not in body
    assert "张东湖" not in client.get("/portal/exposure/", {"q": "不存在的单位"}).content.decode()
    services.act(case, "unpublish", staff, data={})
    assert "上班时间斗地主" not in client.get("/portal/exposure/").content.decode()
    assert client.post("/portal/exposure/").status_code == 405


@pytest.mark.django_db
def test_publishing_needs_a_decided_case_and_a_public_text(case, staff):
    from xiaoneng.core.workflow import TransitionRefused

    with pytest.raises(TransitionRefused) as e:
        services.act(case, "publish", staff, data={"public_summary": "x"})
    assert e.value.code == "wrong_state"
    assert Sanction.objects.exists()


@pytest.mark.django_db
def test_pending_approvals_are_counted_on_the_home_page_and_approvers_told(
    world, case, staff, approver, django_capture_on_commit_callbacks
):
    investigate(case, staff)
    with django_capture_on_commit_callbacks(execute=True):
        propose(case, staff)
    assert approver.notifications.filter(title__contains=case.number).exists()
    assert not staff.notifications.filter(title__contains="待您审批").exists()
    page = client_for(approver).get("/").content.decode()
    assert "待审批的问责处理意见" in page
    assert pending(case).sanction.code == "efficiency_warning"


@pytest.mark.django_db
def test_the_complaint_page_links_to_its_case_for_those_who_may_open_it(
    world, complaint_office, staff, other, media
):
    """The complaint → case link (the case already links back): a supervisor, once 提请问责 is recorded, gets the
    way to open the case prefilled from the complaint, then the case itself; a reader of the complaint who may
    not open the case (a leader: a case is a person's record) gets no link and no case number."""
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category, Complaint

    c, _code, _new = complaints.submit(
        channel="hotline",
        category=Category.objects.get(code="discipline"),
        subject_unit=world.ua2,
        subject_person=other,
        content="窗口工作人员上班打牌",
        phone="13700000002",
    )
    Complaint.objects.filter(pk=c.pk).update(finding="true", accountability_requested_at=timezone.now())
    url = f"/complaints/{c.pk}/"
    page = client_for(staff).get(url).content.decode()
    assert (
        f'href="/accountability/new/?complaint={c.pk}"' in page
        and 'data-testid="accountability-case"' not in page
    )
    form = client_for(staff).get(f"/accountability/new/?complaint={c.pk}").content.decode()
    assert c.tracking_no in form  # prefilled from the complaint
    case = services.open_case(
        actor=staff,
        source="complaint",
        complaint=Complaint.objects.get(pk=c.pk),
        summary="投诉属实",
        subjects=[services.SubjectInput(unit=world.ua2, person=other, behaviour=B("games_cards"))],
    )
    page = client_for(staff).get(url).content.decode()
    assert f'href="/accountability/{case.pk}/"' in page and case.number in page
    assert "accountability-new" not in page
    leader = world.users["leader"]
    r = client_for(leader).get(url)
    assert r.status_code == 200, "the leader reads the complaint"
    body = r.content.decode()
    assert case.number not in body and "accountability-case" not in body and "accountability-new" not in body
    assert client_for(leader).get(f"/accountability/{case.pk}/").status_code in (403, 404)
