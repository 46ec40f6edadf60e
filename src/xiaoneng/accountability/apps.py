from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "xiaoneng.accountability"
    label = "accountability"
    verbose_name = _("问责与明查暗访")

    def ready(self) -> None:
        from xiaoneng.core import workitem
        from xiaoneng.org import demo as org_demo

        from . import demo, rules  # noqa: F401
        from .workflow import KIND, TIMELINE_LABELS

        workitem.register(KIND)
        for action, label in TIMELINE_LABELS.items():
            workitem.TIMELINE_LABELS.setdefault(action, label)
        from xiaoneng.web.selectors import HOME_CARDS

        from .selectors import home_cards

        if home_cards not in HOME_CARDS:
            HOME_CARDS.append(home_cards)
        if demo.seed not in org_demo.DEMO_STEPS:
            org_demo.DEMO_STEPS.append(demo.seed)
