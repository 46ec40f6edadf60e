"""The roles of SPEC.md and the rules that bind them (三员分立)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", _("督查督办人员")
    DISCIPLINE = "discipline", _("纪检监察人员")
    LIAISON = "liaison", _("单位联络员")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    LEADER = "leader", _("领导")
    NPC = "npc", _("人大工作人员")
    EVALUATOR = "evaluator", _("评议代表")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITOR = "auditor", _("安全审计员")


# 三员分立 (GB/T 22239-2019 8.1.4.2 and 等保 practice): one person never holds two of these.
THREE_ADMINS = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

# Roles that see the content of work items in their jurisdiction (region subtree of their unit).
REGIONAL_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC})
# Roles that see their own unit only.
UNIT_ROLES = frozenset({Role.LIAISON, Role.UNIT_LEADER})
