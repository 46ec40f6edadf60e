"""政务服务电子监察: the matter catalog, the cases the approval systems report as events, the data anomalies found in
them, the alerts and cards, 好差评, and the rollup counters the metrics read.

Cases are not work items: a city has millions a year and they arrive in batches (docs/eservice.md). They are
plain rows written in bulk, with their clock boundaries computed by the clock's NumPy path per batch. What needs a
person — an alert the department must explain, a 差评 to rectify — becomes a core work item of a registered kind.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.scope import ScopedQuerySet
from xiaoneng.org.models import RegionLevel


class MatterType(models.TextChoices):
    """The kinds of 政务服务事项 of the national catalog (国务院 政务服务事项基本目录)."""

    LICENCE = "licence", _("行政许可")
    BENEFIT = "benefit", _("行政给付")
    CONFIRMATION = "confirmation", _("行政确认")
    RULING = "ruling", _("行政裁决")
    AWARD = "award", _("行政奖励")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class Step(models.TextChoices):
    """The handling steps between acceptance and completion a matter may require (办理环节)."""

    HANDLING = "handling", _("承办")
    REVIEW = "review", _("审核")
    DECISION = "decision", _("决定")


class Matter(models.Model):
    """政务服务事项: one service a department delivers, with its statutory limit (法定时限) and the shorter limit
    it promises the public (承诺时限, ≤ statutory; 即办件: 0). Limits are clock limits ("20wd")."""

    code = models.CharField(_("事项编码"), max_length=64, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    type = models.CharField(_("事项类型"), max_length=20, choices=MatterType.choices)
    department = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="service_matters", verbose_name=_("实施部门")
    )
    # The department's region, so scope is one prefix filter (as for work items).
    region_path = models.CharField(max_length=200, db_index=True, editable=False)
    level = models.CharField(_("服务层级"), max_length=10, choices=RegionLevel.choices)
    statutory_limit = models.CharField(_("法定时限"), max_length=16)
    promised_limit = models.CharField(_("承诺时限"), max_length=16)
    instant = models.BooleanField(_("即办件"), default=False)
    fee_standard = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2, default=0)
    # Steps a case must have passed before it may complete (comma-separated Step values).
    required_steps = models.CharField(_("必经环节"), max_length=60, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        indexes = [models.Index(fields=["department", "code"], name="matter_department")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def steps(self) -> list[str]:
        return [s for s in self.required_steps.split(",") if s]


class Window(models.Model):
    """服务窗口: where a department serves the public (a window of the service centre, a township's 便民服务中心).
    Source systems name it by code; an unknown code is registered under the matter's department."""

    code = models.CharField(_("窗口编码"), max_length=64, unique=True)
    name = models.CharField(_("窗口名称"), max_length=100)
    unit = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="service_windows", verbose_name=_("单位")
    )
    region_path = models.CharField(max_length=200, db_index=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("服务窗口")
        verbose_name_plural = _("服务窗口")

    def __str__(self) -> str:
        return self.name


class SourceSystem(models.Model):
    """An approval system that reports case events (审批系统): it authenticates with its API key (only the key's
    SHA-256 is stored, as for Open311 clients) and reports only for departments in its region's subtree."""

    name = models.CharField(_("名称"), max_length=80, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    region = models.ForeignKey("org.Region", models.PROTECT, related_name="+", verbose_name=_("所属区划"))
    region_path = models.CharField(max_length=200, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("审批系统")
        verbose_name_plural = _("审批系统")

    def __str__(self) -> str:
        return self.name
