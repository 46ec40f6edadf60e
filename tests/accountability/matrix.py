"""What the role × endpoint matrix (tests/core/test_scope_matrix.py) needs of 问责 and 明查暗访: one object per
model inside county A and one outside, the view → model map, the markers only the outside objects carry, and what
each role reaches in scope."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from xiaoneng.accountability import services
from xiaoneng.accountability.models import Behaviour, Case, Finding, FindingPhoto, InspectionPlan
from xiaoneng.org.models import Person
from xiaoneng.org.roles import Role

MODEL_FOR_VIEW = {
    "accountability_case": Case,
    "accountability_document": Case,
    "accountability_person": Person,
    "inspection": InspectionPlan,
    "finding_new": InspectionPlan,
    "finding": Finding,
    "finding_photo": FindingPhoto,
}

OUT_MARKERS = {
    Case: "西山区问责案件线索",
    InspectionPlan: "西山区暗访计划",
    Finding: "西山区检查发现",
}

STAFF = {Role.SUPERVISOR, Role.DISCIPLINE}
REACHES = {
    "accountability_case": STAFF | {Role.UNIT_LEADER},
    "accountability-case-detail": STAFF | {Role.UNIT_LEADER},
    "accountability_person": STAFF | {Role.UNIT_LEADER},
    "accountability-person-detail": STAFF | {Role.UNIT_LEADER},
    "inspection": STAFF | {Role.LEADER},
    "accountability-inspection-detail": STAFF | {Role.LEADER},
    "finding": STAFF | {Role.LEADER},
    "accountability-finding-detail": STAFF | {Role.LEADER},
    "finding_photo": STAFF | {Role.LEADER},
}


def objects(world) -> dict:
    """A case and an open inspection (finding, photo) of county A's office (`ua`, where county A's supervisor
    works) about 张东湖; the same of the city office about 李西山 in 西山区, which nobody in county A sees."""
    behaviour = Behaviour.objects.get(code="games_cards")
    made = {}
    for actor, unit, person, words in (
        (world.users["supervisor"], world.ua, world.pa, "东湖区"),
        (world.city_supervisor, world.ub, world.pb, "西山区"),
    ):
        case = services.open_case(
            actor=actor,
            source="manual",
            summary=f"{words}问责案件线索",
            subjects=[services.SubjectInput(unit=unit, person=person, behaviour=behaviour)],
        )
        plan = services.create_plan(
            actor=actor,
            title=f"{words}暗访计划",
            mode="open",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
            targets=[unit],
        )
        finding = services.record_finding(
            actor=actor,
            plan=plan,
            observed_at=timezone.now() - timedelta(hours=1),
            place="政务服务中心",
            unit=unit,
            description=f"{words}检查发现",
        )
        photo = FindingPhoto(finding=finding, content_type="image/jpeg", size=1, sha256="0")
        photo.file.save("x.jpg", ContentFile(b"x"), save=True)
        made.setdefault(Case, []).append(case)
        made.setdefault(InspectionPlan, []).append(plan)
        made.setdefault(Finding, []).append(finding)
        made.setdefault(FindingPhoto, []).append(photo)
    return {model: tuple(pair) for model, pair in made.items()}
