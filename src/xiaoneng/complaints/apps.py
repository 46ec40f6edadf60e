from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "xiaoneng.complaints"
    label = "complaints"
    verbose_name = _("效能投诉")

    def ready(self) -> None:
        from xiaoneng.core import workitem

        from . import intake, rules  # noqa: F401  (intake: its reference data follows saved categories and units)
        from .workflow import KIND

        workitem.register(KIND)
        from xiaoneng.web.selectors import HOME_CARDS

        from .selectors import home_cards

        if home_cards not in HOME_CARDS:
            HOME_CARDS.append(home_cards)
        from xiaoneng.org import demo as org_demo

        from . import demo

        if demo.seed not in org_demo.DEMO_STEPS:
            org_demo.DEMO_STEPS.append(demo.seed)
