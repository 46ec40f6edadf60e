"""Scope rules for the administrative world (see core/scope.py)."""

from xiaoneng.core import scope

from .models import Person, Region, Unit, User
from .roles import REGIONAL_ROLES, UNIT_ROLES, Role

# sysadmin maintains the org tree; secadmin links accounts to people and units: both see all of the org
# (names and posts, never unmasked personal data), but no case content.
ORG_ADMINS = {Role.SYSADMIN, Role.SECADMIN}


@scope.rule(Region)
def regions(user, qs):
    if user.role in ORG_ADMINS:
        return qs
    if user.role in REGIONAL_ROLES:
        return qs.filter(path__startswith=user.jurisdiction_path)
    if user.role in UNIT_ROLES:
        return qs.filter(pk=user.unit.region_id)
    return qs.none()


@scope.rule(Unit)
def units(user, qs):
    if user.role in ORG_ADMINS:
        return qs
    if user.role in REGIONAL_ROLES:
        return qs.filter(region__path__startswith=user.jurisdiction_path)
    if user.role in UNIT_ROLES:
        return qs.filter(pk=user.unit_id)
    return qs.none()


@scope.rule(Person)
def people(user, qs):
    if user.role in ORG_ADMINS:
        return qs
    if user.role in REGIONAL_ROLES:
        return qs.filter(unit__region__path__startswith=user.jurisdiction_path)
    if user.role in UNIT_ROLES:
        return qs.filter(unit_id=user.unit_id)
    return qs.none()


@scope.rule(User)
def accounts(user, qs):
    """Accounts and their roles are the security administrator's (安全管理员) business; everyone sees self."""
    if user.role == Role.SECADMIN:
        return qs
    return qs.filter(pk=user.pk)
