"""Labels for what the engine and the workflow store as codes."""

from django import template
from django.utils.translation import gettext, ngettext

from xiaoneng import clock
from xiaoneng.core import workitem

register = template.Library()


@register.filter
def state_label(item) -> str:
    kind = workitem.kinds().get(item.kind)
    return str(kind.workflow.state_label(item.state)) if kind else item.state


@register.filter
def kind_label(item) -> str:
    kind = workitem.kinds().get(item.kind)
    return str(kind.label) if kind else item.kind


@register.filter
def limit_label(text: str) -> str:
    """ "5wd" → 5个工作日 / 5 working days."""
    try:
        limit = clock.Limit.parse(text)
    except clock.ClockError:
        return text
    n = limit.amount
    unit = limit.unit.value
    if unit == "wd":
        return ngettext("%(n)d个工作日", "%(n)d个工作日", n) % {"n": n}
    if unit == "d":
        return ngettext("%(n)d日", "%(n)d日", n) % {"n": n}
    if unit == "wh":
        return ngettext("%(n)d个工作小时", "%(n)d个工作小时", n) % {"n": n}
    if unit == "h":
        return ngettext("%(n)d小时", "%(n)d小时", n) % {"n": n}
    return gettext(text)
