from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EServiceConfig(AppConfig):
    name = "xiaoneng.eservice"
    label = "eservice"
    verbose_name = _("政务服务电子监察")

    def ready(self) -> None:
        from xiaoneng.core import workitem
        from xiaoneng.org import demo as org_demo
        from xiaoneng.web.selectors import HOME_CARDS

        from . import demo, rules  # noqa: F401
        from .selectors import home_cards
        from .workflow import ALERT_KIND, RECTIFICATION_KIND

        workitem.register(ALERT_KIND)
        workitem.register(RECTIFICATION_KIND)
        if home_cards not in HOME_CARDS:
            HOME_CARDS.append(home_cards)
        if demo.seed not in org_demo.DEMO_STEPS:
            org_demo.DEMO_STEPS.append(demo.seed)
