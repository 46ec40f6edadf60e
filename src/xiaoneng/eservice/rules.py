"""Scope rules of 政务服务电子监察 (see core/scope.py): regional staff see what belongs to departments in their
region subtree; a department's liaison and head see their own department's; the 三员 and evaluators see none."""

from django.db.models import Q

from xiaoneng.core import scope
from xiaoneng.org.roles import REGIONAL_ROLES, UNIT_ROLES

from .models import (
    Branch,
    Case,
    CaseAlert,
    DailyStat,
    DataAnomaly,
    IngestBatch,
    Matter,
    MonthlyStat,
    Project,
    SourceSystem,
    Window,
)


def _by_department(field: str):
    def rule(user, qs):
        if user.role in REGIONAL_ROLES:
            return qs.filter(region_path__startswith=user.jurisdiction_path)
        if user.role in UNIT_ROLES:
            return qs.filter(**{field: user.unit_id})
        return qs.none()

    return rule


scope.rule(Matter)(_by_department("department_id"))
scope.rule(Window)(_by_department("unit_id"))
scope.rule(Case)(_by_department("department_id"))
scope.rule(DataAnomaly)(_by_department("department_id"))
scope.rule(DailyStat)(_by_department("department_id"))
scope.rule(MonthlyStat)(_by_department("department_id"))


@scope.rule(SourceSystem)
def source_systems(user, qs):
    """The approval systems reporting in a region: regional staff of that region or above."""
    if user.role in REGIONAL_ROLES:
        return qs.filter(region_path__startswith=user.jurisdiction_path)
    return qs.none()


@scope.rule(IngestBatch)
def batches(user, qs):
    """Deliveries of the approval systems of a region: its regional staff (a department sees its anomalies, not
    the systems' traffic)."""
    if user.role in REGIONAL_ROLES:
        return qs.filter(region_path__startswith=user.jurisdiction_path)
    return qs.none()


@scope.rule(CaseAlert)
def case_alerts(user, qs):
    """An alert is visible exactly when its work item is (its department; regional staff of its region)."""
    from xiaoneng.core.rules import work_item_q

    return qs.filter(work_item_q(user, "work_item__"))


@scope.rule(Project)
def projects(user, qs):
    """A parallel-approval project is seen by the regional staff of its region or of any of its branches'
    departments, and by the liaisons and heads of those departments: every department of a project sees the
    whole project (who is holding which stage back), though each case's own page stays within its scope."""
    if user.role in REGIONAL_ROLES:
        branches = Branch.objects.filter(case__region_path__startswith=user.jurisdiction_path)
        return qs.filter(
            Q(region_path__startswith=user.jurisdiction_path) | Q(pk__in=branches.values("stage__project_id"))
        )
    if user.role in UNIT_ROLES:
        return qs.filter(
            pk__in=Branch.objects.filter(case__department_id=user.unit_id).values("stage__project_id")
        )
    return qs.none()
