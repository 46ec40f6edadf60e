"""Navigation per role: what each role's menu shows."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.roles import Role

REGIONAL = {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC}

MENU = [
    # (url name, label, roles that see it)
    ("home", _("首页"), set(Role.values)),
    ("supervision", _("督查督办"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER}),
    ("complaints", _("效能投诉"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER}),
    ("eservice", _("政务服务监察"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER}),
    ("accountability", _("问责"), {Role.SUPERVISOR, Role.DISCIPLINE, Role.UNIT_LEADER, Role.LEADER}),
    ("inspections", _("明查暗访"), {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER}),
    ("items", _("全部事项"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER}),
    ("units", _("单位"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER, Role.SYSADMIN, Role.SECADMIN}),
    ("people", _("人员"), REGIONAL | {Role.LIAISON, Role.UNIT_LEADER, Role.SYSADMIN, Role.SECADMIN}),
    ("calendar", _("工作日历"), {Role.SYSADMIN, Role.SUPERVISOR, Role.LEADER, Role.DISCIPLINE}),
    ("accounts", _("账号与角色"), {Role.SECADMIN}),
    ("audit", _("审计日志"), {Role.AUDITOR}),
    ("inbox", _("消息"), set(Role.values)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    current = getattr(getattr(request, "resolver_match", None), "url_name", "")
    nav = [
        {"url": reverse(name), "label": label, "active": current == name or (current or "").startswith(name)}
        for name, label, roles in MENU
        if user.role in roles
    ]
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {"nav": nav, "unread_count": unread, "role_label": Role(user.role).label if user.role else ""}
