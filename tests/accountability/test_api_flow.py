"""Issue #8's "done means", through the API alone: an undercover inspection → a finding with a photo → a case opened
from it once the visit is over → the investigation, a proposal, its approval, the decision with its notice → an
appeal within the limit → a lighter sanction on review, the old decision kept. Along the way, who may not see what
(the rest of the team's region while the visit is undercover; a liaison, ever; the person concerned, ever)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.conftest import make_user
from xiaoneng.accountability.models import Determination
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import AuditEvent
from xiaoneng.org.roles import Role

from .conftest import B, S
from .test_inspections import jpeg_with_gps
from .test_pages_api import client_for


def post(client, url, data=None, **kw):
    return client.post(url, data or {}, content_type="application/json", **kw)


@pytest.mark.django_db
def test_inspection_to_appeal_through_the_api(world, staff, approver, discipline, media):
    sup, second = client_for(staff), client_for(approver)

    # 1. An undercover plan: the organiser's team only (and the supervisors of the issuing level).
    r = post(
        sup,
        "/api/accountability/inspections/",
        {
            "title": "暗访东湖区住建局窗口",
            "mode": "undercover",
            "starts_on": str(timezone.localdate()),
            "ends_on": str(timezone.localdate()),
            "targets": [world.ua.pk],
        },
    )
    assert r.status_code == 201, r.content
    plan = r.json()["id"]
    assert client_for(discipline).get(f"/api/accountability/inspections/{plan}/").status_code == 404
    assert second.get(f"/api/accountability/inspections/{plan}/").status_code == 200  # issuing level

    # 2. A finding on the phone, with a photo (stored without its GPS tags).
    r = sup.post(
        f"/api/accountability/inspections/{plan}/findings/",
        {
            "observed_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
            "place": "住建局一楼大厅",
            "window": "3号窗口",
            "unit": world.ua.pk,
            "person": world.pa.pk,
            "behaviour": B("games_cards").pk,
            "people_present": "群众4人",
            "description": "窗口工作人员上班时间玩手机斗地主。",
            "photos": [SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")],
        },
    )
    assert r.status_code == 201, r.content
    finding = r.json()["id"]
    assert len(r.json()["photos"]) == 1
    assert client_for(discipline).get(f"/api/accountability/findings/{finding}/").status_code == 404

    # 3. No case while the visit is undercover; once it is done, the case opens from the finding.
    opening = {
        "source": "inspection",
        "finding": finding,
        "summary": "暗访发现窗口工作人员上班时间斗地主。",
        "subjects": [{"unit": world.ua.pk, "person": world.pa.pk, "behaviour": B("games_cards").pk}],
    }
    r = post(sup, "/api/accountability/cases/", opening)
    assert r.status_code == 409 and r.json()["code"] == "undercover"
    assert post(sup, f"/api/accountability/inspections/{plan}/finish/", {"summary": "发现1处"}).json()[
        "state"
    ] == ("done")
    assert client_for(discipline).get(f"/api/accountability/findings/{finding}/").status_code == 200
    r = post(sup, "/api/accountability/cases/", opening)
    assert r.status_code == 201, r.content
    case = r.json()
    base = f"/api/accountability/cases/{case['id']}/"
    assert case["source"] == "inspection" and case["work_item"]["state"] == "investigating"
    assert post(sup, "/api/accountability/cases/", opening).json()["code"] == "case_exists"

    # 4. Investigation, a proposal per person (responsibility, sanction), approval at the office's level.
    assert post(sup, base + "record/", {"method": "site", "text": "调取监控，核实属实。"}).status_code == 200
    subject = case["subjects"][0]["id"]
    r = post(
        sup,
        base + "propose/",
        {
            "subject": subject,
            "sanction": S("efficiency_warning").pk,
            "responsibility": "direct",
            "reasoning": "上班时间打牌，违反工作纪律。",
        },
    )
    assert r.status_code == 200 and r.json()["work_item"]["state"] == "deciding"
    proposal = r.json()["determinations"][0]["id"]
    r = post(sup, base + "approve/", {"determination": proposal})
    assert r.status_code == 409  # never one's own proposal
    assert post(second, base + "approve/", {"determination": proposal}).status_code == 200

    # 5. The decision: in force from its date, 影响期 12 months, a numbered 效能告诫书, an appeal deadline.
    effective = timezone.localdate()
    r = post(sup, base + "decide/", {"effective_on": str(effective)})
    assert r.status_code == 200, r.content
    d = r.json()["determinations"][0]
    assert d["status"] == "in_force" and d["effective_on"] == str(effective)
    assert d["responsibility"] == "direct" and d["notice_number"].startswith("东湖")
    assert d["appeal_deadline"] and d["effect_until"]

    # 6. The appeal within the limit; the review lightens it to 通报批评; both decisions stay.
    r = post(
        sup, base + "appeal/", {"determination": proposal, "filed_on": str(effective), "reason": "情节轻微"}
    )
    assert r.status_code == 200 and r.json()["work_item"]["state"] == "appeal"
    r = post(
        second,
        base + "decide-appeal/",
        {
            "outcome": "changed",
            "decision": "情节较轻，变更为通报批评。",
            "sanction": S("efficiency_warning").pk,
        },
    )
    assert r.status_code == 409  # a review never aggravates nor keeps the same sanction
    r = post(
        second,
        base + "decide-appeal/",
        {"outcome": "changed", "decision": "情节较轻，变更为通报批评。", "sanction": S("criticism").pk},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["work_item"]["state"] == "decided"
    by_id = {x["id"]: x for x in body["determinations"]}
    old = by_id[proposal]
    (new,) = (x for x in body["determinations"] if x["id"] != proposal)
    assert old["status"] == "superseded" and old["sanction_name"] == "效能告诫"
    assert (
        new["status"] == "in_force" and new["supersedes"] == proposal and new["sanction_name"] == "通报批评"
    )
    assert body["appeals"][0]["outcome"] == "changed" and body["appeals"][0]["new_determination"] == new["id"]

    # 7. The person's record keeps the history; it is read only by those the rule lets in, and every read audited.
    record = client_for(discipline).get(f"/api/accountability/people/{world.pa.pk}/").json()
    assert sorted((x["status"], x["sanction_name"]) for x in record["determinations"]) == [
        ("in_force", "通报批评"),
        ("superseded", "效能告诫"),
    ]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.ACCOUNTABILITY_VIEWED, actor_id=discipline.pk, data__view="person_record"
    ).exists()
    assert client_for(world.users["liaison"]).get(base).status_code == 404
    himself = make_user("pa_supervisor", Role.SUPERVISOR, world.ua, world.pa)
    assert client_for(himself).get(base).status_code == 404
    assert Determination.objects.filter(case_id=case["id"]).count() == 2
