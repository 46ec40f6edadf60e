"""Scope of accountability and inspections (core/scope.py).

- A case is visible exactly when its work item is: the work-item rule with the kind's own narrowing
  (workflow.visible) — `discipline` of the region, supervisors of the issuing level, the head of a unit concerned;
  the people concerned are recused (core.Recusal) from their own case whatever their role.
- What concerns people (subjects, determinations, appeals): staff who see the case see all of it; the head of a
  unit concerned only what is about his own unit, never about himself. Investigation records: staff only.
- Inspection plans: supervisors, discipline and leaders of the issuing region see open plans and undercover ones once done; an
  undercover plan still running only its team and the supervisors of the issuing level. Findings and photos follow
  their plan.
"""

from django.db.models import Q

from xiaoneng.core import scope
from xiaoneng.core.rules import work_item_q
from xiaoneng.org.roles import Role

from .models import (
    Appeal,
    Case,
    CaseSubject,
    Determination,
    Finding,
    FindingPhoto,
    InspectionMode,
    InspectionPlan,
    InvestigationRecord,
    PlanState,
)
from .workflow import STAFF

INSPECTION_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER})


@scope.rule(Case)
def cases(user, qs):
    return qs.filter(work_item_q(user, "work_item__"))


def _about_people(user, qs, *, unit_field: str, person_field: str):
    qs = qs.filter(case__in=scope.restrict(Case, user).values("pk"))
    if user.role in STAFF:
        return qs
    if user.role == Role.UNIT_LEADER:
        qs = qs.filter(**{unit_field: user.unit_id})
        if user.person_id:
            qs = qs.exclude(**{person_field: user.person_id})
        return qs
    return qs.none()


@scope.rule(CaseSubject)
def subjects(user, qs):
    return _about_people(user, qs, unit_field="unit_id", person_field="person_id")


@scope.rule(Determination)
def determinations(user, qs):
    return _about_people(user, qs, unit_field="unit_id", person_field="person_id")


@scope.rule(Appeal)
def appeals(user, qs):
    return _about_people(
        user, qs, unit_field="determination__unit_id", person_field="determination__person_id"
    )


@scope.rule(InvestigationRecord)
def records(user, qs):
    if user.role not in STAFF:
        return qs.none()
    return qs.filter(case__in=scope.restrict(Case, user).values("pk"))


@scope.rule(InspectionPlan)
def plans(user, qs):
    on_team = Q(
        pk__in=InspectionPlan.team.through.objects.filter(user_id=user.pk).values("inspectionplan_id")
    )
    if user.role not in INSPECTION_ROLES:
        return qs.filter(on_team)
    hidden = Q(mode=InspectionMode.UNDERCOVER) & ~Q(state=PlanState.DONE)
    issuing_level = Q(region_path=user.jurisdiction_path) if user.role == Role.SUPERVISOR else Q(pk__in=[])
    in_region = Q(region_path__startswith=user.jurisdiction_path)
    return qs.filter(on_team | (in_region & (~hidden | issuing_level)))


@scope.rule(Finding)
def findings(user, qs):
    return qs.filter(plan__in=scope.restrict(InspectionPlan, user).values("pk"))


@scope.rule(FindingPhoto)
def photos(user, qs):
    return qs.filter(finding__in=scope.restrict(Finding, user).values("pk"))
