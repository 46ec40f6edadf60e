"""Labels of complaint data that ship with the product (the starter categories) in the reader's language."""

from django import template
from django.utils.translation import gettext, gettext_noop

register = template.Library()

# The starter taxonomy (migration 0002) marked for translation; categories added later show as entered.
STARTER_CATEGORIES = [
    gettext_noop("办事拖拉"),
    gettext_noop("推诿扯皮"),
    gettext_noop("态度生硬"),
    gettext_noop("吃拿卡要"),
    gettext_noop("不作为"),
    gettext_noop("乱作为"),
    gettext_noop("违反工作纪律"),
    gettext_noop("窗口服务问题"),
    gettext_noop("办事程序不公开"),
    gettext_noop("其他效能问题"),
]


@register.filter
def category_label(category) -> str:
    name = getattr(category, "name", category) or ""
    return gettext(name) if name in STARTER_CATEGORIES else name
