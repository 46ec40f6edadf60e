"""Labels for what the engine and the workflow store as codes."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

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


@register.filter
def deadline_label(value) -> str:
    """A deadline instant as people read it: the clock stores the first late instant, so 2026-02-28 00:00
    reads "2026年2月27日24时" (民法典 art. 203: the limit ends at 24:00 of its last day)."""
    from datetime import timedelta

    from django.utils import timezone

    if not value:
        return ""
    local = timezone.localtime(value)
    if local.hour == 0 and local.minute == 0 and local.second == 0 and local.microsecond == 0:
        day = (local - timedelta(days=1)).date()
        return gettext("%(y)d年%(m)d月%(d)d日24时") % {"y": day.year, "m": day.month, "d": day.day}
    return gettext("%(y)d年%(m)d月%(d)d日%(hh)02d:%(mm)02d") % {
        "y": local.year,
        "m": local.month,
        "d": local.day,
        "hh": local.hour,
        "mm": local.minute,
    }


@register.filter
def item_url(item) -> str:
    return workitem.item_url(item)


# The badge of a deadline stage (or a card's colour): Bootstrap tone and label. A filter, not an included
# template: lists show one per row, and an include costs a template render each (the ledger's 50 rows: ~10 ms).
_STAGE_BADGES = {
    "red": ("danger", _("红牌")),
    "yellow": ("warning", _("黄牌")),
    "warning": ("info", _("预警")),
}
_NORMAL = ("light", _("正常"))


@register.filter
def stage_badge(stage: str) -> str:
    tone, label = _STAGE_BADGES.get(stage, _NORMAL)
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, label)
