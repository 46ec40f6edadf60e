"""问责 and 明查暗访 (SPEC §4): the behaviour catalog and sanction ladder, accountability cases with their people,
investigation, determinations, appeals; inspection plans with their findings and photos.

An accountability case is a work item of kind "accountability" (its clock, stage, timeline and scope come from
there) plus this app's tables. A person's accountability record is sensitive: the case is visible to `discipline`
in its region, to supervisors of the issuing level only, and to the head of a unit concerned, who reads only the
determinations about his own unit (rules.py); the people concerned are recused from their own case.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.scope import ScopedQuerySet

# --- the catalog and the ladder (configurable; a starter set ships as data, migration 0002) -------------------


class SanctionKind(models.TextChoices):
    MEASURE = "measure", _("效能问责")
    ORGANISATIONAL = "organisational", _("组织处理")
    GOVERNMENTAL = "governmental", _("政务处分")
    REFERRAL = "referral", _("移送处理")


class ApprovalLevel(models.TextChoices):
    """Who approves a determination with this sanction: the efficiency office of the issuing level (a supervisor
    there other than the one who proposed it), or the discipline inspection and supervision organ."""

    OFFICE = "office", _("效能办审批")
    DISCIPLINE = "discipline", _("纪检监察机关审批")


class Sanction(models.Model):
    """问责方式: one rung of the ladder, from 责令书面检查 up to 移送纪检监察机关 and the 政务处分 that follow."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("轻重顺序"), help_text=_("数字越大处理越重"))
    kind = models.CharField(_("类型"), max_length=20, choices=SanctionKind.choices)
    approval_level = models.CharField(_("审批层级"), max_length=20, choices=ApprovalLevel.choices)
    # 影响期 in months (公职人员政务处分法 §8: 警告 6, 记过 12, 记大过 18, 降级/撤职 24); empty: none.
    effect_months = models.PositiveSmallIntegerField(_("影响期（月）"), null=True, blank=True)
    notice_kind = models.CharField(_("决定文书"), max_length=30, default="问责决定书")
    applies_to_units = models.BooleanField(_("可用于单位"), default=False)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["rank", "id"]
        verbose_name = _("问责方式")
        verbose_name_plural = _("问责方式")

    def __str__(self) -> str:
        return self.name


class BehaviourCategory(models.Model):
    """问责行为类别: 不作为, 慢作为, 乱作为, 服务态度, 工作纪律, 廉洁 …"""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("行为类别")
        verbose_name_plural = _("行为类别")

    def __str__(self) -> str:
        return self.name


class Behaviour(models.Model):
    """One behaviour of the catalog (the seeds' city lists 94), with the sanctions it usually draws."""

    category = models.ForeignKey(
        BehaviourCategory, models.PROTECT, related_name="behaviours", verbose_name=_("类别")
    )
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("行为"), max_length=120)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    min_sanction = models.ForeignKey(
        Sanction, models.PROTECT, related_name="+", verbose_name=_("一般最轻处理")
    )
    max_sanction = models.ForeignKey(
        Sanction, models.PROTECT, related_name="+", verbose_name=_("一般最重处理")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["category__order", "order", "id"]
        verbose_name = _("问责行为")
        verbose_name_plural = _("问责行为")

    def __str__(self) -> str:
        return self.name


class EscalationKind(models.TextChoices):
    REPEAT = "repeat", _("同一人再次受到同种处理")
    UNIT_HEAD_COMPLAINTS = "unit_head_complaints", _("单位负责人所在单位年内有效投诉")


class EscalationRule(models.Model):
    """A repetition that calls for a stronger measure. Rules only suggest (shown to whoever proposes and approves,
    kept with the proposal); they never apply a sanction by themselves."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("规则类型"), max_length=30, choices=EscalationKind.choices)
    trigger = models.ForeignKey(
        Sanction,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("触发的处理"),
        help_text=_("“再次受到同种处理”规则：哪一种处理"),
    )
    count = models.PositiveSmallIntegerField(_("次数"), default=2)
    window_days = models.PositiveSmallIntegerField(_("期间（日）"), default=365)
    suggest = models.ForeignKey(Sanction, models.PROTECT, related_name="+", verbose_name=_("建议处理"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("升级建议规则")
        verbose_name_plural = _("升级建议规则")

    def __str__(self) -> str:
        return self.name


# --- accountability cases -------------------------------------------------------------------------------------


class Source(models.TextChoices):
    COMPLAINT = "complaint", _("效能投诉查实")
    INSPECTION = "inspection", _("明查暗访发现")
    RED_CARD = "red_card", _("红牌警示")
    OVERDUE = "overdue", _("督办事项逾期")
    EVALUATION = "evaluation", _("工作评议")
    MANUAL = "manual", _("直接立案")


class Case(models.Model):
    """问责案件: the accountability data of one work item (kind "accountability"); its id is the work item's."""

    work_item = models.OneToOneField(
        "core.WorkItem", models.CASCADE, primary_key=True, related_name="accountability_case"
    )
    number = models.CharField(_("案件编号"), max_length=60, unique=True)
    source = models.CharField(_("案件来源"), max_length=20, choices=Source.choices)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("来源投诉"),
    )
    finding = models.ForeignKey(
        "accountability.Finding",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("来源检查发现"),
    )
    # The red-carded or overdue work item the case comes from.
    source_item = models.ForeignKey(
        "core.WorkItem", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("来源事项")
    )
    source_note = models.CharField(_("来源说明"), max_length=200, blank=True)
    summary = models.TextField(_("问题线索"))
    # 通报 and 曝光台: chosen by the office once the case is decided.
    typical = models.BooleanField(_("典型案例"), default=False)
    published_at = models.DateTimeField(_("曝光时间"), null=True, blank=True)
    public_summary = models.TextField(_("曝光内容"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-work_item_id"]
        verbose_name = _("问责案件")
        verbose_name_plural = _("问责案件")

    def __str__(self) -> str:
        return self.number


class CaseSubject(models.Model):
    """问责对象: a person (with the unit they worked in then) or a unit, and the behaviour held against them."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="subjects")
    unit = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("单位"))
    person = models.ForeignKey(
        "org.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("人员")
    )
    position = models.CharField(_("职务"), max_length=60, blank=True)
    behaviour = models.ForeignKey(Behaviour, models.PROTECT, related_name="+", verbose_name=_("问责行为"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"],
                condition=models.Q(person__isnull=False),
                name="subject_person_once",
            ),
            models.UniqueConstraint(
                fields=["case", "unit"], condition=models.Q(person__isnull=True), name="subject_unit_once"
            ),
        ]

    def __str__(self) -> str:
        return self.person.name if self.person_id else self.unit.name


class InvestigationMethod(models.TextChoices):
    INTERVIEW = "interview", _("谈话询问")
    DOCUMENTS = "documents", _("调阅材料")
    SITE = "site", _("现场核查")
    STATEMENT = "statement", _("书面说明")
    OTHER = "other", _("其他")


class InvestigationRecord(models.Model):
    """调查记录: one step of the investigation (an interview, the files read, a site check …)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="records")
    at = models.DateTimeField(_("时间"))
    method = models.CharField(_("方式"), max_length=20, choices=InvestigationMethod.choices)
    text = models.TextField(_("调查情况"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.at:%Y-%m-%d}"


class Responsibility(models.TextChoices):
    DIRECT = "direct", _("直接责任")
    PRINCIPAL_LEADER = "principal_leader", _("主要领导责任")
    IMPORTANT_LEADER = "important_leader", _("重要领导责任")


class DeterminationStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已批准")
    IN_FORCE = "in_force", _("已生效")
    SUPERSEDED = "superseded", _("复核变更")
    REVOKED = "revoked", _("复核撤销")


# A subject's determination still standing (not returned, not replaced or revoked on appeal).
LIVE = (DeterminationStatus.PROPOSED, DeterminationStatus.APPROVED, DeterminationStatus.IN_FORCE)


class Determination(models.Model):
    """处理决定 for one person (or unit) of a case: responsibility, sanction, approval, effective date and notice.
    A decision changed on appeal is never edited: a new determination supersedes it and both stay."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="determinations")
    subject = models.ForeignKey(CaseSubject, models.PROTECT, related_name="determinations")
    # Denormalised from the subject, so a person's record and the statistics are plain filters.
    person = models.ForeignKey(
        "org.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("人员")
    )
    unit = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("单位"))
    region_path = models.CharField(max_length=200, db_index=True, editable=False)
    behaviour = models.ForeignKey(Behaviour, models.PROTECT, related_name="+", verbose_name=_("问责行为"))
    responsibility = models.CharField(
        _("责任类型"), max_length=20, choices=Responsibility.choices, blank=True
    )
    sanction = models.ForeignKey(Sanction, models.PROTECT, related_name="+", verbose_name=_("处理"))
    reasoning = models.TextField(_("事实与依据"))
    publish_name = models.BooleanField(_("曝光时公开姓名"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=DeterminationStatus.choices, default=DeterminationStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"))
    # What the escalation rules suggested when it was proposed (kept with the proposal, never applied).
    suggestions = models.JSONField(default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    review_note = models.TextField(_("审批意见"), blank=True)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    effect_until = models.DateField(_("影响期至"), null=True, blank=True)
    appeal_deadline = models.DateTimeField(_("申诉期限"), null=True, blank=True)
    notice = models.ForeignKey(
        "core.IssuedDocument",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("决定文书"),
    )
    supersedes = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="superseded_by", verbose_name=_("原决定")
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "subject_id", "id"]
        verbose_name = _("处理决定")
        verbose_name_plural = _("处理决定")
        constraints = [
            # One standing determination per subject at a time.
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(status__in=["proposed", "approved", "in_force"]),
                name="determination_live_once",
            )
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="determination_person"),
            models.Index(fields=["status", "effective_on"], name="determination_effective"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.sanction}"


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("维持原决定")
    CHANGED = "changed", _("变更处理")
    REVOKED = "revoked", _("撤销处理")


class Appeal(models.Model):
    """申诉/复核 against one determination in force, filed within the appeal limit and decided within the review
    limit (both from the clock); a change is a new determination that supersedes the old one."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="appeals")
    determination = models.ForeignKey(Determination, models.PROTECT, related_name="appeals")
    filed_on = models.DateField(_("申诉日期"))
    reason = models.TextField(_("申诉理由"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("受理时间"))
    outcome = models.CharField(_("复核结论"), max_length=10, choices=AppealOutcome.choices, blank=True)
    decision = models.TextField(_("复核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    new_determination = models.OneToOneField(
        Determination, models.PROTECT, null=True, blank=True, related_name="from_appeal"
    )
    decision_notice = models.ForeignKey(
        "core.IssuedDocument", models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("申诉复核")
        verbose_name_plural = _("申诉复核")

    def __str__(self) -> str:
        return f"appeal {self.pk} on {self.determination_id}"


# --- inspections (明查暗访) ------------------------------------------------------------------------------------


class InspectionMode(models.TextChoices):
    OPEN = "open", _("明查")
    UNDERCOVER = "undercover", _("暗访")


class PlanState(models.TextChoices):
    PLANNED = "planned", _("待实施")
    UNDER_WAY = "under_way", _("检查中")
    DONE = "done", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class InspectionPlan(models.Model):
    """检查计划: which units, windows and townships, when, open or undercover, by whom. An undercover plan is
    visible only to its team and the supervisors of the issuing level until it is done."""

    title = models.CharField(_("检查名称"), max_length=200)
    issuer = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    region_path = models.CharField(max_length=200, db_index=True, editable=False)
    mode = models.CharField(_("方式"), max_length=12, choices=InspectionMode.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    targets = models.ManyToManyField("org.Unit", related_name="inspections", verbose_name=_("检查对象"))
    windows = models.CharField(_("检查窗口"), max_length=300, blank=True)
    focus = models.TextField(_("检查重点"), blank=True)
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="inspection_teams", verbose_name=_("检查组成员")
    )
    state = models.CharField(_("状态"), max_length=12, choices=PlanState.choices, default=PlanState.PLANNED)
    summary = models.TextField(_("检查小结"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")

    def __str__(self) -> str:
        return self.title

    @property
    def hidden(self) -> bool:
        """An undercover plan not yet done: kept from everyone but its team and the issuing level."""
        return self.mode == InspectionMode.UNDERCOVER and self.state != PlanState.DONE


class Finding(models.Model):
    """检查发现: recorded on the spot (time, place, people present, what was seen, photos); it becomes a
    rectification item (supervised work) and/or an accountability case."""

    plan = models.ForeignKey(InspectionPlan, models.CASCADE, related_name="findings")
    observed_at = models.DateTimeField(_("发现时间"))
    place = models.CharField(_("地点"), max_length=200)
    unit = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("责任单位"))
    window = models.CharField(_("窗口"), max_length=100, blank=True)
    people_present = models.CharField(_("在场人员"), max_length=300, blank=True)
    person = models.ForeignKey(
        "org.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("当事人")
    )
    behaviour = models.ForeignKey(
        Behaviour, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("问题类型")
    )
    description = models.TextField(_("发现问题"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rectification = models.OneToOneField(
        "supervision.SupervisedItem",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("整改事项"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["observed_at", "id"]
        verbose_name = _("检查发现")
        verbose_name_plural = _("检查发现")

    def __str__(self) -> str:
        return f"{self.unit} {self.observed_at:%Y-%m-%d %H:%M}"


class FindingPhoto(models.Model):
    """A photo of a finding, stored cleaned (EXIF and location removed, complaints/attachments.py)."""

    finding = models.ForeignKey(Finding, models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="inspections/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.pk}"
