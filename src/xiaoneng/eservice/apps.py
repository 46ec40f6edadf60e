from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EServiceConfig(AppConfig):
    name = "xiaoneng.eservice"
    label = "eservice"
    verbose_name = _("政务服务电子监察")

    def ready(self) -> None:
        from xiaoneng.core import workitem

        from . import rules  # noqa: F401
        from .workflow import ALERT_KIND, RECTIFICATION_KIND

        workitem.register(ALERT_KIND)
        workitem.register(RECTIFICATION_KIND)
