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


class EventType(models.TextChoices):
    """What an approval system reports about a case (办件过程信息)."""

    APPLICATION = "application", _("申请")
    ACCEPTANCE = "acceptance", _("受理")
    HANDLING = "handling", _("承办")
    REVIEW = "review", _("审核")
    DECISION = "decision", _("决定")
    COMPLETION = "completion", _("办结")
    SUPPLEMENT_NOTICE = "supplement_notice", _("补正告知")
    SUPPLEMENT_RETURN = "supplement_return", _("补正受理")
    SPECIAL_START = "special_start", _("特别程序开始")
    SPECIAL_END = "special_end", _("特别程序结束")
    DELIVERY = "delivery", _("送达")
    FEE = "fee", _("收费")
    RATING = "rating", _("好差评")


class Procedure(models.TextChoices):
    """Special procedures whose time does not count (行政许可法 art. 45)."""

    HEARING = "hearing", _("听证")
    BIDDING = "bidding", _("招标")
    AUCTION = "auction", _("拍卖")
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")


class CaseStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    ACCEPTED = "accepted", _("办理中")
    COMPLETED = "completed", _("已办结")
    DELIVERED = "delivered", _("已送达")


class Rating(models.IntegerChoices):
    """好差评: five levels; the bottom two are 差评 (国办发〔2019〕51号, GB/T 39734)."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_RATINGS = (Rating.DISSATISFIED, Rating.VERY_DISSATISFIED)

# Bits of Case.steps (the handling steps passed) and of Case.flags / Case.alerted (conditions found, alerts raised).
STEP_BITS = {"handling": 1, "review": 2, "decision": 4}


class Flag:
    OVERDUE = 1
    OVERDUE_RED = 2
    FEE = 4
    LATE_ACCEPTANCE = 8
    QUICK_COMPLETION = 16
    BAD_RATING = 32


class Case(models.Model):
    """办件: one application to one matter, as one source system reports it. Written in bulk by the intake
    (ingest.py), never one by one; its clock boundaries come from the clock's bulk path; the sweep (sweep.py)
    raises its stage and alerts. `pauses` are [start, end or null, kind] in epoch seconds."""

    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(SourceSystem, models.PROTECT, related_name="+", db_index=False)
    case_no = models.CharField(_("办件编号"), max_length=64)
    matter = models.ForeignKey(
        Matter, models.PROTECT, related_name="cases", db_index=False, verbose_name=_("事项")
    )
    department = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="+", db_index=False, verbose_name=_("实施部门")
    )
    window = models.ForeignKey(
        Window,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("窗口"),
    )
    level = models.CharField(_("服务层级"), max_length=10, choices=RegionLevel.choices)
    region_path = models.CharField(max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices)
    applied_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    steps = models.PositiveSmallIntegerField(default=0)
    last_step_at = models.DateTimeField(null=True, blank=True)
    limit = models.CharField(_("承诺时限"), max_length=16, blank=True)
    pauses = models.JSONField(default=list, blank=True)
    paused = models.BooleanField(_("计时中止"), default=False)
    deadline = models.DateTimeField(_("承诺办结时限"), null=True, blank=True)
    warning_at = models.DateTimeField(null=True, blank=True)
    red_at = models.DateTimeField(null=True, blank=True)
    early_at = models.DateTimeField(null=True, blank=True)
    provisional = models.BooleanField(_("暂定"), default=False)
    stage = models.CharField(_("预警状态"), max_length=10, default="normal")
    next_check_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(_("按时办结"), null=True)
    early = models.BooleanField(_("提前办结"), null=True)
    onsite = models.BooleanField(_("现场办结"), null=True)
    used_share = models.FloatField(_("用时占比"), null=True, blank=True)
    fee_total = models.DecimalField(_("收费金额（元）"), max_digits=12, decimal_places=2, default=0)
    rating = models.PositiveSmallIntegerField(_("评价"), null=True, blank=True, choices=Rating.choices)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    flags = models.PositiveIntegerField(default=0)
    alerted = models.PositiveIntegerField(default=0)
    rectified = models.BooleanField(_("差评已整改"), default=False)
    # How the applicant proves the case is theirs on the portal (to rate it): keyed HMAC-SM3 indexes of the
    # applicant's mobile number and of the query code (查询码) the approval system printed on the receipt, as
    # the application reported them. Never the number or the code in clear; "" when not reported. db_default so
    # bulk loaders that name their columns (bench) need not know them.
    applicant_index = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    query_code_index = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    updated_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [models.UniqueConstraint(fields=["source", "case_no"], name="case_once_per_source")]
        indexes = [
            # The drill-downs behind the metrics: a department's (a matter's, a window's) cases in a period.
            # Partial: a case enters each only once the moment it indexes exists, so the updates of its early
            # life (most of the intake's writes) maintain fewer indexes.
            models.Index(
                fields=["department", "completed_at"],
                name="case_dept_completed",
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                fields=["department", "accepted_at"],
                name="case_dept_accepted",
                condition=models.Q(accepted_at__isnull=False),
            ),
            models.Index(
                fields=["department", "rated_at"],
                name="case_dept_rated",
                condition=models.Q(rated_at__isnull=False),
            ),
            models.Index(
                fields=["matter", "completed_at"],
                name="case_matter_completed",
                condition=models.Q(completed_at__isnull=False),
            ),
            models.Index(
                fields=["window", "completed_at"],
                name="case_window_completed",
                condition=models.Q(completed_at__isnull=False, window__isnull=False),
            ),
            # The case sweep's walk: only cases with something left to check.
            models.Index(
                fields=["next_check_at", "id"],
                name="case_due",
                condition=models.Q(next_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def is_bad_rating(self) -> bool:
        return self.rating is not None and self.rating in BAD_RATINGS


class CaseEvent(models.Model):
    """One event of a case as reported (idempotent by the source's event id: a repeat with the same content is a
    replay and changes nothing)."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, models.CASCADE, related_name="events")
    source = models.ForeignKey(SourceSystem, models.PROTECT, related_name="+", db_index=False)
    event_id = models.CharField(_("事件编号"), max_length=64)
    type = models.CharField(_("事件"), max_length=20, choices=EventType.choices)
    at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"))
    data = models.JSONField(default=dict, blank=True)
    digest = models.CharField(max_length=40)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="event_once_per_source")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class AnomalyCode(models.TextChoices):
    MALFORMED = "malformed", _("数据格式错误")
    FUTURE = "future", _("发生时间晚于接收时间")
    UNKNOWN_MATTER = "unknown_matter", _("事项不在目录中")
    OUT_OF_REGION = "out_of_region", _("事项超出审批系统所属区划")
    UNKNOWN_CASE = "unknown_case", _("办件不存在（未报送申请）")
    DUPLICATE = "duplicate", _("重复报送")
    CONFLICTING_REPLAY = "conflicting_replay", _("事件编号重复但内容不同")
    OUT_OF_ORDER = "out_of_order", _("顺序不可能")
    WHILE_PAUSED = "while_paused", _("计时中止期间办结")
    NOT_PAUSED = "not_paused", _("没有对应的中止")
    AFTER_COMPLETION = "after_completion", _("办结后报送办理过程")
    MISSING_STEPS = "missing_steps", _("缺少必经环节")


class Disposition(models.TextChoices):
    REJECTED = "rejected", _("未采用")
    FLAGGED = "flagged", _("已采用，标记异常")


class IngestBatch(models.Model):
    """One delivery of events (an API call or a file): what came, what was taken, replayed or refused."""

    source = models.ForeignKey(
        SourceSystem, models.PROTECT, related_name="batches", verbose_name=_("审批系统")
    )
    region_path = models.CharField(max_length=200, editable=False)
    channel = models.CharField(_("方式"), max_length=10)  # api | file
    filename = models.CharField(_("文件"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    events = models.PositiveIntegerField(_("事件数"), default=0)
    accepted = models.PositiveIntegerField(_("采用"), default=0)
    replayed = models.PositiveIntegerField(_("重放"), default=0)
    rejected = models.PositiveIntegerField(_("未采用"), default=0)
    flagged = models.PositiveIntegerField(_("标记异常"), default=0)
    seconds = models.FloatField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("接收批次")
        verbose_name_plural = _("接收批次")

    def __str__(self) -> str:
        return f"{self.source} {self.received_at:%Y-%m-%d %H:%M}"


class DataAnomaly(models.Model):
    """数据异常: an event that could not be taken as it came (rejected, with its payload kept) or was taken but
    breaks a rule of its matter (flagged). Never dropped silently: the sender gets the reason in the answer and
    supervisors see it here."""

    id = models.BigAutoField(primary_key=True)
    source = models.ForeignKey(SourceSystem, models.PROTECT, related_name="+", verbose_name=_("审批系统"))
    batch = models.ForeignKey(IngestBatch, models.CASCADE, related_name="anomalies", db_index=False)
    event_id = models.CharField(_("事件编号"), max_length=64, blank=True)
    case = models.ForeignKey(Case, models.SET_NULL, null=True, blank=True, related_name="anomalies")
    case_no = models.CharField(_("办件编号"), max_length=64, blank=True)
    matter = models.ForeignKey(
        Matter, models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    department = models.ForeignKey(
        "org.Unit", models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The department's region when known, else the source system's: supervisors of that region see it.
    region_path = models.CharField(max_length=200)
    code = models.CharField(_("异常类型"), max_length=20, choices=AnomalyCode.choices)
    disposition = models.CharField(_("处理"), max_length=10, choices=Disposition.choices)
    detail = models.CharField(_("说明"), max_length=300)
    payload = models.JSONField(default=dict)
    detected_at = models.DateTimeField(_("发现时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("数据异常")
        verbose_name_plural = _("数据异常")
        indexes = [
            models.Index(fields=["region_path", "detected_at"], name="anomaly_region"),
            models.Index(fields=["department", "detected_at"], name="anomaly_department"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.event_id}"


class StatCounters(models.Model):
    """Rollup counters of one period × matter × window, maintained as events arrive (ingest.py, sweep.py); the
    metrics read these, never the cases. department, level and region are the matter's, kept for filters and
    scope. window_id 0: no window reported."""

    matter_id = models.BigIntegerField()
    window_id = models.BigIntegerField(default=0)
    department_id = models.BigIntegerField()
    level = models.CharField(max_length=10)
    region_path = models.CharField(max_length=200)
    applied = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    early = models.IntegerField(default=0)
    onsite = models.IntegerField(default=0)
    limited = models.IntegerField(default=0)  # completed with a limit > 0: the denominator of used_share
    used_share_sum = models.FloatField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)
    rectified = models.IntegerField(default=0)
    anomalies = models.IntegerField(default=0)
    yellow = models.IntegerField(default=0)
    red = models.IntegerField(default=0)
    fee_alerts = models.IntegerField(default=0)
    offsystem_alerts = models.IntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    COUNTERS = (
        "applied",
        "accepted",
        "completed",
        "on_time",
        "early",
        "onsite",
        "limited",
        "used_share_sum",
        "rated",
        "satisfied",
        "bad",
        "rectified",
        "anomalies",
        "yellow",
        "red",
        "fee_alerts",
        "offsystem_alerts",
    )

    class Meta:
        abstract = True


class DailyStat(StatCounters):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "matter_id", "window_id"], name="dailystat_key")
        ]
        indexes = [models.Index(fields=["department_id", "day"], name="dailystat_department")]

    def __str__(self) -> str:
        return f"{self.day} matter {self.matter_id} window {self.window_id}"


class MonthlyStat(StatCounters):
    month = models.DateField()  # the first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "matter_id", "window_id"], name="monthlystat_key")
        ]
        indexes = [models.Index(fields=["department_id", "month"], name="monthlystat_department")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} matter {self.matter_id} window {self.window_id}"


class AlertType(models.TextChoices):
    """What an alert is about (监察告警). Each goes to the department, which explains it (a 差评 is rectified)."""

    OVERDUE = "overdue", _("超期未办结")
    OVERDUE_RED = "overdue_red", _("严重超期")
    FEE = "fee", _("超标准收费")
    LATE_ACCEPTANCE = "late_acceptance", _("受理滞后（疑似体外循环）")
    QUICK_COMPLETION = "quick_completion", _("受理即办结（疑似体外循环）")
    BAD_RATING = "bad_rating", _("差评")


class Finding(models.TextChoices):
    """差评核实: the rating was about a real failing, or a mistaken / malicious one (误评、恶意差评)."""

    VALID = "valid", _("属实")
    INVALID = "invalid", _("不属实（误评或恶意差评）")


class CaseAlert(models.Model):
    """An alert on a case, with the work item that carries it to the department: an explanation (kind
    eservice_alert) or a 差评 rectification (kind eservice_rectification). One number: the work item's id."""

    work_item = models.OneToOneField(
        "core.WorkItem", models.CASCADE, primary_key=True, related_name="eservice_alert"
    )
    case = models.ForeignKey(Case, models.PROTECT, related_name="alerts", verbose_name=_("办件"))
    type = models.CharField(_("告警类型"), max_length=20, choices=AlertType.choices)
    colour = models.CharField(_("红黄牌"), max_length=10, blank=True)  # yellow | red | "" (a 差评)
    department = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="+", db_index=False, verbose_name=_("实施部门")
    )
    region_path = models.CharField(max_length=200, db_index=True)
    raised_at = models.DateTimeField(_("告警时间"))
    detail = models.CharField(_("告警内容"), max_length=300)
    explanation = models.TextField(_("情况说明"), blank=True)
    explained_at = models.DateTimeField(null=True, blank=True)
    card_colour = models.CharField(_("确认红黄牌"), max_length=10, blank=True)  # the card that stood, if any
    decided_at = models.DateTimeField(null=True, blank=True)
    # 差评整改: the finding, the measures, the revisit (回访) and its result.
    finding = models.CharField(_("核实结果"), max_length=10, choices=Finding.choices, blank=True)
    revisit = models.TextField(_("回访情况"), blank=True)
    revisit_result = models.PositiveSmallIntegerField(_("回访评价"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("监察告警")
        verbose_name_plural = _("监察告警")
        constraints = [models.UniqueConstraint(fields=["case", "type"], name="alert_once_per_case_and_type")]
        indexes = [models.Index(fields=["department", "raised_at"], name="alert_department")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.case_id}"


class ProjectStageKind(models.TextChoices):
    """The four stages of the construction approval reform (工程建设项目审批制度改革, 国办发〔2019〕11号)."""

    LAND_PLANNING = "land_planning", _("立项用地规划许可")
    CONSTRUCTION_PERMIT = "construction_permit", _("工程建设许可")
    CONSTRUCTION = "construction", _("施工许可")
    ACCEPTANCE = "acceptance", _("竣工验收")


class Project(models.Model):
    """并联审批项目: one investment or construction project whose stages run several departments' matters at
    once. Created from the first application that names it (the approval platform knows the project)."""

    source = models.ForeignKey(SourceSystem, models.PROTECT, related_name="+", db_index=False)
    code = models.CharField(_("项目代码"), max_length=64)
    name = models.CharField(_("项目名称"), max_length=200)
    region_path = models.CharField(max_length=200, db_index=True)
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("并联审批项目")
        verbose_name_plural = _("并联审批项目")
        constraints = [models.UniqueConstraint(fields=["source", "code"], name="project_once_per_source")]

    def __str__(self) -> str:
        return self.name


class ProjectStage(models.Model):
    """One stage of a project: its branches (one case per department's matter) run at once; the stage has its
    own total limit (preset: 45 working days, 行政许可法 art. 42 for joint handling), counted from its first
    acceptance."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="stages")
    kind = models.CharField(_("阶段"), max_length=20, choices=ProjectStageKind.choices)
    limit = models.CharField(_("阶段时限"), max_length=16)

    class Meta:
        ordering = ["project", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="stage_once_per_project")]

    def __str__(self) -> str:
        return f"{self.project} {self.get_kind_display()}"


class Branch(models.Model):
    """A branch of a stage: one department's case, with its own clock."""

    stage = models.ForeignKey(ProjectStage, models.CASCADE, related_name="branches")
    case = models.OneToOneField(Case, models.CASCADE, related_name="branch")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.stage} · {self.case_id}"
