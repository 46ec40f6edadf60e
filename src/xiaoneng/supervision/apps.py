from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "xiaoneng.supervision"
    label = "supervision"
    verbose_name = _("督查督办")

    def ready(self) -> None:
        from xiaoneng.core import workitem
        from xiaoneng.org import demo as org_demo

        from . import demo, rules  # noqa: F401
        from .workflow import KIND

        workitem.register(KIND)
        from xiaoneng.core.documents import WORK_ITEM_OBJECTS

        WORK_ITEM_OBJECTS.add("supervision.superviseditem")  # a supervised item's id is its work item's
        from xiaoneng.web.selectors import HOME_CARDS

        from .selectors import home_cards, review_cards

        for provider in (home_cards, review_cards):
            if provider not in HOME_CARDS:
                HOME_CARDS.append(provider)
        if demo.seed not in org_demo.DEMO_STEPS:
            org_demo.DEMO_STEPS.append(demo.seed)
