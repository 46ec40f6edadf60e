"""A person's accountability record stays where SPEC §4 puts it: a complainant's own complaints never reach the
accountability views about him (not even as a count behind an escalation suggestion), and every read of a case —
the generic work-item API's timeline included — is on the audit trail."""

from __future__ import annotations

import pytest

from xiaoneng.accountability.selectors import escalation_suggestions
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent

from .conftest import decided_case
from .test_pages_api import client_for


def _true_complaint_about(unit, **identity):
    from xiaoneng.complaints import services as complaints
    from xiaoneng.complaints.models import Category, Complaint

    c, _code, _new = complaints.submit(
        channel="web",
        category=Category.objects.get(code="delay"),
        subject_unit=unit,
        content="拖延办理",
        **identity,
    )
    Complaint.objects.filter(pk=c.pk).update(finding="true")
    return c


@pytest.mark.django_db
def test_complaints_a_unit_head_made_himself_never_count_towards_his_escalation(
    world, complaint_office, media
):
    """张东湖 heads 东湖区住建局 and, as a citizen, twice complained about it himself (found true): no suggestion.
    Two true complaints by others about the unit he heads do suggest 诫勉."""
    world.pa.phone, world.pa.id_number = "13912345678", "110101199001011234"
    world.pa.save()
    world.ua.head = world.pa
    world.ua.save()
    _true_complaint_about(world.ua, name="张东湖", phone="13912345678")
    _true_complaint_about(world.ua, name="张东湖", phone="13800000000", id_number="110101199001011234")
    assert escalation_suggestions(world.pa) == []
    _true_complaint_about(world.ua, phone="13700000001")
    _true_complaint_about(world.ua, phone="13700000002")
    (suggestion,) = escalation_suggestions(world.pa)
    assert suggestion.suggest == "诫勉" and suggestion.count == 2


@pytest.mark.django_db
def test_a_person_without_phone_or_id_on_file_counts_every_complaint_about_his_unit(
    world, complaint_office, media
):
    world.ua.head = world.pa
    world.ua.save()
    _true_complaint_about(world.ua, phone="13700000001")
    _true_complaint_about(world.ua, anonymous=True)
    assert [s.count for s in escalation_suggestions(world.pa)] == [2]


@pytest.mark.django_db
def test_the_generic_timeline_of_a_case_is_audited_and_keeps_notes_from_the_unit_head(
    world, case, staff, approver, discipline, media
):
    decided_case(case, staff, approver)
    r = client_for(discipline).get(f"/api/work-items/{case.pk}/timeline/")
    assert r.status_code == 200 and any("效能告诫" in e["note"] for e in r.json())
    row = AuditEvent.objects.get(
        event_type=AuditEventType.ACCOUNTABILITY_VIEWED, actor_id=discipline.pk, data__view="timeline"
    )
    assert row.object_type == "accountability.case" and row.object_id == str(case.pk)
    head = world.users["unit_leader"]
    r = client_for(head).get(f"/api/work-items/{case.pk}/timeline/")
    assert r.status_code == 200 and all(e["note"] == "" for e in r.json())  # the steps, never their notes
    assert client_for(world.users["liaison"]).get(f"/api/work-items/{case.pk}/timeline/").status_code == 404
    # The case page reads the same timeline once, as one "case" row, not a second "timeline" row.
    client_for(staff).get(f"/accountability/{case.pk}/")
    assert not AuditEvent.objects.filter(actor_id=staff.pk, data__view="timeline").exists()


@pytest.mark.django_db
def test_reading_cases_through_the_generic_work_item_api_is_audited_per_case(
    world, case, staff, discipline, media
):
    """/api/work-items/ (list) and /api/work-items/{id}/ show a case's number, state, office and deadline: each
    read leaves an ACCOUNTABILITY_VIEWED row per case, like the case's own pages; other kinds leave none."""

    def rows(user, view):
        return AuditEvent.objects.filter(
            event_type=AuditEventType.ACCOUNTABILITY_VIEWED, actor_id=user.pk, data__view=view
        )

    r = client_for(discipline).get("/api/work-items/", {"kind": "accountability"})
    assert r.status_code == 200 and case.pk in [i["id"] for i in r.json()["results"]]
    assert [(e.object_type, e.object_id) for e in rows(discipline, "api_list")] == [
        ("accountability.case", str(case.pk))
    ]
    assert client_for(discipline).get(f"/api/work-items/{case.pk}/").status_code == 200
    assert rows(discipline, "api_item").get().object_id == str(case.pk)
    # Out of scope: 404, and no read recorded (the denial is recorded by the scope layer).
    liaison = world.users["liaison"]
    assert client_for(liaison).get(f"/api/work-items/{case.pk}/").status_code == 404
    assert not rows(liaison, "api_item").exists()
    # A list without cases records nothing.
    client_for(staff).get("/api/work-items/", {"kind": "supervision"})
    assert not rows(staff, "api_list").exists()


def _case_from_complaint(world, staff, other, *, complainant_phone):
    """A true complaint about 王市监 (ua2); the case also finds 张东湖 (ua) at fault."""
    from xiaoneng.accountability import services
    from xiaoneng.complaints.models import Complaint

    from .conftest import B

    c = _true_complaint_about(world.ua2, phone=complainant_phone, subject_person=other)
    return c, services.open_case(
        actor=staff,
        source="complaint",
        complaint=Complaint.objects.get(pk=c.pk),
        summary="窗口拖延办理，属实。",
        subjects=[
            services.SubjectInput(unit=world.ua2, person=other, behaviour=B("absent")),
            services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("absent")),
        ],
    )


@pytest.mark.django_db
def test_a_case_about_the_complainant_himself_never_shows_his_complaint(
    world, complaint_office, staff, discipline, other, media
):
    """张东湖 complained about 王市监; the investigation finds 张东湖 at fault too: the case about him does not show
    the complaint he made (neither page nor API), though it was opened from it."""
    world.pa.phone = "13912345678"
    world.pa.save()
    complaint, case = _case_from_complaint(world, staff, other, complainant_phone="13912345678")
    c = client_for(discipline)
    page = c.get(f"/accountability/{case.pk}/").content.decode()
    assert complaint.tracking_no not in page and f"/complaints/{complaint.pk}/" not in page
    api = c.get(f"/api/accountability/cases/{case.pk}/").json()
    assert api["source"] == "complaint" and api["complaint"] is None


@pytest.mark.django_db
def test_a_case_from_someone_elses_complaint_links_it_for_staff(
    world, complaint_office, staff, discipline, other, media
):
    world.pa.phone = "13912345678"
    world.pa.save()
    complaint, case = _case_from_complaint(world, staff, other, complainant_phone="13700000009")
    c = client_for(discipline)
    assert complaint.tracking_no in c.get(f"/accountability/{case.pk}/").content.decode()
    assert c.get(f"/api/accountability/cases/{case.pk}/").json()["complaint"] == complaint.pk
