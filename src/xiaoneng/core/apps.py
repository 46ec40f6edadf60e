from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiaoneng.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from . import checks, rules, signals  # noqa: F401  (register checks, scope rules, auth signals)
