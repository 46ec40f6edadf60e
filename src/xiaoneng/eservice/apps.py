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
        from django.db.models.signals import post_save

        from xiaoneng.core.models import CalendarVersion

        post_save.connect(_calendar_saved, sender=CalendarVersion, dispatch_uid="eservice_calendar_saved")


def _calendar_saved(sender, instance, created, **kwargs) -> None:
    """Cases are not work items, so the core recomputation does not reach them: after a calendar version is
    committed, the open cases touching its year are recomputed in the background."""
    if not created:
        return
    from django.db import transaction

    from .tasks import recompute_after_calendar_change

    transaction.on_commit(lambda: recompute_after_calendar_change.enqueue(instance.pk))
