"""督查督办: what a meeting or a leader decides becomes supervised work with an owner, a deadline and a cadence."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.core.scope import ScopedQuerySet


class Source(models.TextChoices):
    MEETING = "meeting", _("会议议定事项")
    INSTRUCTION = "instruction", _("领导批示")
    ASSIGNMENT = "assignment", _("上级交办")
    NPC_SUGGESTION = "npc_suggestion", _("人大代表建议")
    CPPCC_PROPOSAL = "cppcc_proposal", _("政协委员提案")
    EVALUATION = "evaluation", _("评议整改")
    INSPECTION = "inspection", _("明查暗访发现")
    COMPLAINT = "complaint", _("投诉转办")


class Urgency(models.TextChoices):
    EXTRA = "extra", _("特急")
    URGENT = "urgent", _("急")
    NORMAL = "normal", _("一般")


class Cadence(models.TextChoices):
    NONE = "none", _("不定期")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")


class Quality(models.TextChoices):
    EXCELLENT = "excellent", pgettext_lazy("quality", "优")
    GOOD = "good", pgettext_lazy("quality", "良")
    FAIR = "fair", pgettext_lazy("quality", "中")
    POOR = "poor", pgettext_lazy("quality", "差")


class SupervisedItem(models.Model):
    """督办事项: the supervision data of one work item (kind "supervision")."""

    # The work item's id is this item's id: one number for the item everywhere (URLs, API, documents).
    work_item = models.OneToOneField(
        "core.WorkItem", models.CASCADE, primary_key=True, related_name="supervision"
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    reference_no = models.CharField(_("文号"), max_length=60, blank=True)
    category = models.CharField(_("类别"), max_length=40, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("事项内容"), blank=True)
    responsible_leader = models.ForeignKey(
        "org.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("责任领导")
    )
    cadence = models.CharField(_("报送频次"), max_length=10, choices=Cadence.choices, default=Cadence.NONE)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    quality = models.CharField(_("办结质量"), max_length=10, choices=Quality.choices, blank=True)
    # Secondary deadlines from the same clock: signing for the item, and the next progress report on cadence.
    sign_deadline = models.DateTimeField(_("签收时限"), null=True, blank=True)
    report_due = models.DateTimeField(_("下次报送时限"), null=True, blank=True, db_index=True)
    # The report_due already flagged as missed (so a missed report is flagged once).
    report_flagged = models.DateTimeField(null=True, blank=True)
    # When to remind the unit of its next report (from the clock), and the report_due already reminded of.
    report_remind_at = models.DateTimeField(null=True, blank=True)
    report_reminded = models.DateTimeField(null=True, blank=True)
    sign_flagged = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")

    def __str__(self) -> str:
        return self.work_item.title


class ProgressReport(models.Model):
    """进展情况: what a lead unit or a co-unit reports."""

    item = models.ForeignKey(SupervisedItem, models.CASCADE, related_name="reports")
    unit = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("报送单位"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    text = models.TextField(_("进展情况"))
    is_completion = models.BooleanField(_("办结申请"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.created_at:%Y-%m-%d}"


class ReportFile(models.Model):
    """佐证材料: a photo, .docx or PDF attached to a progress report or a completion request, stored cleaned
    (core/attachments.py) under its SHA-256. Visible exactly when its item is (rules.py)."""

    report = models.ForeignKey(ProgressReport, models.CASCADE, related_name="files")
    file = models.FileField(upload_to="supervision/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")

    def __str__(self) -> str:
        return self.name
