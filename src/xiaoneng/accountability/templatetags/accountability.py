"""The tabs shared by the pages of 问责 and 明查暗访: each role sees the ones it may open."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.roles import Role

register = template.Library()

TABS = [
    (
        "cases",
        "accountability",
        _("问责案件"),
        {Role.SUPERVISOR, Role.DISCIPLINE, Role.UNIT_LEADER, Role.LEADER},
    ),
    ("inspections", "inspections", _("明查暗访"), {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER}),
    (
        "statistics",
        "accountability_statistics",
        _("问责统计"),
        {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER},
    ),
    (
        "catalog",
        "accountability_catalog",
        _("问责行为与处理方式"),
        {Role.SUPERVISOR, Role.DISCIPLINE, Role.SYSADMIN},
    ),
]


@register.inclusion_tag("accountability/_tabs.html", takes_context=True)
def accountability_tabs(context, active: str):
    role = getattr(context["request"].user, "role", None)
    return {
        "tabs": [
            {"url": reverse(name), "label": label, "active": key == active}
            for key, name, label, roles in TABS
            if role in roles
        ]
    }


@register.filter
def suggestion_text(record: dict) -> str:
    """An escalation suggestion kept with a proposal, as a sentence in the reader's language."""
    from xiaoneng.accountability.selectors import describe

    return describe(record)
