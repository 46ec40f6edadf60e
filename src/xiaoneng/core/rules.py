"""Scope rules for the shared tables (see core/scope.py)."""

from django.db.models import Q

from xiaoneng.org.roles import REGIONAL_ROLES, UNIT_ROLES, Role

from . import scope
from .models import AuditEvent, Notification, WorkItem


@scope.rule(WorkItem)
def work_items(user, qs):
    """Regional roles: items owned in their region subtree; a unit's liaison and head: the items their unit
    owns or takes part in. The 三员 and evaluators see no case content."""
    if user.role in REGIONAL_ROLES:
        return qs.filter(region_path__startswith=user.jurisdiction_path)
    if user.role in UNIT_ROLES:
        return qs.filter(
            Q(owner_unit_id=user.unit_id)
            | Q(pk__in=WorkItem.units.through.objects.filter(unit_id=user.unit_id).values("workitem_id"))
        )
    return qs.none()


@scope.rule(AuditEvent)
def audit_events(user, qs):
    """Only the auditor (安全审计员) reads the trail."""
    return qs if user.role == Role.AUDITOR else qs.none()


@scope.rule(Notification)
def notifications(user, qs):
    return qs.filter(recipient_id=user.pk)
