"""The shared mechanisms' tables: audit trail, work items with their timeline, pauses and extensions,
notifications, calendars and heartbeats."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scope import ScopedQuerySet


class AuditEvent(models.Model):
    """One line of the audit trail (审计日志). Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE
    and the app's role has those privileges revoked; each row carries HMAC-SM3 over its content and the
    previous row's hash, so `manage.py audit_verify` finds the first broken link.

    The actor is stored by id and name rather than as a foreign key: deleting an account must never have to
    touch the trail."""

    at = models.DateTimeField(_("时间"), db_index=True)
    event_type = models.PositiveIntegerField(_("事件"), db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip = models.CharField(_("IP"), max_length=45, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    data = models.JSONField(_("内容"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.actor_name}"


class AuditChainHead(models.Model):
    """The tip of the audit chain; locked FOR UPDATE by each append so concurrent writers queue up."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Retention: rows up to this id were purged after the retention period; the chain resumes from their hash.
    pruned_through_id = models.BigIntegerField(default=0)
    pruned_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_id}"


class Stage(models.TextChoices):
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("预警")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class WorkItem(models.Model):
    """Every capability's work is a kind of work item (工作事项): an owner, a deadline and a stage from the
    clock, a state from its kind's declared workflow, and a timeline. Kind-specific data lives in the kind's
    own table, one-to-one with this one."""

    # Every index below is written again by every update that moves the row (the sweep's, each minute): the
    # table keeps only the indexes a read uses (Meta.indexes; none on kind, owner person or creator).
    kind = models.CharField(_("类别"), max_length=40)
    title = models.CharField(_("事项"), max_length=300)
    state = models.CharField(_("状态"), max_length=40)
    owner_unit = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="work_items", verbose_name=_("责任单位"), db_index=False
    )
    owner_person = models.ForeignKey(
        "org.Person",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任人"),
        db_index=False,
    )
    # Other units that take part (协办单位 of supervised work, co-handling units …): they see the item too.
    units = models.ManyToManyField(
        "org.Unit",
        through="WorkItemUnit",
        blank=True,
        related_name="participating_items",
        verbose_name=_("协办单位"),
    )
    # The owner unit's region, kept here so scope is one indexed prefix filter without joins.
    region_path = models.CharField(max_length=200, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    started_at = models.DateTimeField(_("起算时间"))
    limit = models.CharField(_("时限"), max_length=16)
    office_close = models.BooleanField(_("截至下班"), default=False)
    deadline = models.DateTimeField(_("截止时间"), null=True, blank=True)
    provisional = models.BooleanField(_("暂定"), default=False)
    stage = models.CharField(_("预警状态"), max_length=10, choices=Stage.choices, default=Stage.NORMAL)
    # When the stage can next change; the sweep only looks at open items whose moment has come (index
    # workitem_due below).
    next_check_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("工作事项")
        verbose_name_plural = _("工作事项")
        indexes = [
            # The sweep's walk: open items in (next check, id) order, the ones with nothing left to check left
            # out; a sweep with nothing due reads one index page.
            models.Index(
                fields=["next_check_at", "id"],
                name="workitem_due",
                condition=models.Q(closed_at__isnull=True, next_check_at__isnull=False),
            ),
            # The supervision ledger's keyset pages walk (deadline, id) (core/paging.py).
            models.Index(fields=["deadline", "id"], name="workitem_deadline_id"),
            # One unit's items in the same order (a liaison's ledger, the ledger filtered by unit); also the
            # owner_unit foreign key's index.
            models.Index(fields=["owner_unit", "deadline", "id"], name="workitem_unit_deadline_id"),
            # Scope: region_path LIKE 'prefix%' (a county's staff), so only the pattern-ops index.
            models.Index(
                fields=["region_path"], name="workitem_region_path", opclasses=["varchar_pattern_ops"]
            ),
            # Counts of a rare state (待验收 on a supervisor's home page); plain equality, no LIKE twin.
            models.Index(fields=["state"], name="workitem_state"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class WorkItemUnit(models.Model):
    """A unit taking part in a work item (协办单位): the table of `WorkItem.units` (Django's own until migration
    core.0011, same table and columns). `deadline` is a copy of the item's, written by the database — triggers
    of migration core.0011 on both databases, on every path that changes an item's deadline or adds a co-unit —
    so a unit's co-unit items are read in deadline order from the index (unit, deadline, workitem), as its own
    items are from core_workitem (owner_unit, deadline, id), instead of being fetched and sorted on every page
    of its ledger (core/paging.py, a keyed stream)."""

    workitem = models.ForeignKey(WorkItem, models.CASCADE)
    unit = models.ForeignKey("org.Unit", models.CASCADE, db_index=False)
    deadline = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "core_workitem_units"
        unique_together = [("workitem", "unit")]
        indexes = [
            # "Items this unit takes part in" (the scope's EXISTS probe, the co-unit stream's candidates);
            # also the unit foreign key's index.
            models.Index(fields=["unit", "workitem"], name="workitem_units_unit_item"),
            models.Index(fields=["unit", "deadline", "workitem"], name="workitem_units_unit_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.workitem_id}:{self.unit_id}"


class Pause(models.Model):
    """An interval that does not count toward the limit (补正, 听证, 检验检测, 专家评审 … 行政许可法 art. 45)."""

    item = models.ForeignKey(WorkItem, models.CASCADE, related_name="pauses")
    reason = models.CharField(_("原因"), max_length=200)
    started_at = models.DateTimeField(_("中止时间"))
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.reason} {self.started_at:%Y-%m-%d %H:%M}"


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class Extension(models.Model):
    """延期: adds a limit on top of the item's limit once approved."""

    item = models.ForeignKey(WorkItem, models.CASCADE, related_name="extensions")
    limit = models.CharField(_("延长时限"), max_length=16)
    reason = models.TextField(_("理由"))
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"+{self.limit} ({self.status})"


class TimelineEvent(models.Model):
    """One event on a work item's timeline: who, when, what, before and after."""

    item = models.ForeignKey(WorkItem, models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=40)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app message (站内信); channel deliveries hang off it. `dedupe_key` makes re-sending a no-op."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    item = models.ForeignKey(WorkItem, models.CASCADE, null=True, blank=True, related_name="+")
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One notification sent through one channel (e-mail, SMS, 政务钉钉 …), retried by the worker."""

    notification = models.ForeignKey(Notification, models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class Heartbeat(models.Model):
    """Last sign of life of a background process ("scheduler", "worker"), read by /healthz."""

    name = models.CharField(max_length=30, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%H:%M:%S}"


class CalendarSource(models.TextChoices):
    GRID = "grid", _("页面录入")
    IMPORT = "import", _("文件导入")


class CalendarVersion(models.Model):
    """A version of one year's working calendar (工作日历): the State Council's notice for the nation
    (region empty), or a region's local overlay (民族自治地方). The newest version per (year, region) is in
    force; older ones stay for the record."""

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        "org.Region",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("地区（空为全国）"),
    )
    holidays = models.JSONField(_("放假日期"), default=list)
    workdays = models.JSONField(_("调休上班日期"), default=list)
    source = models.CharField(max_length=10, choices=CalendarSource.choices, default=CalendarSource.GRID)
    note = models.CharField(_("依据"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("工作日历版本")

    def __str__(self) -> str:
        return f"{self.year} v{self.pk}"


class DocumentSerial(models.Model):
    """The running number of one issuing unit's documents in one series and year (发文顺序号). Locked FOR UPDATE
    by `documents.allocate_number` inside the issuing transaction: a rolled-back issue gives its number back
    and concurrent issues queue, so numbers have no gaps and never repeat."""

    issuer = models.ForeignKey("org.Unit", models.PROTECT, related_name="+", verbose_name=_("单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    series = models.CharField(max_length=20)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "series"], name="documentserial_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.series}〔{self.year}〕{self.last} (unit {self.issuer_id})"


class IssuedDocument(models.Model):
    """An official document issued with a number (发文字号): who issued it, what it concerns and the SHA-256 of
    the file handed out, so a copy can be checked against the record."""

    issuer = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="issued_documents", verbose_name=_("单位")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    series = models.CharField(max_length=20)
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=60, db_index=True)
    title = models.CharField(_("标题"), max_length=300)
    kind = models.CharField(_("类别"), max_length=30)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "series", "seq"], name="issueddocument_number_once"
            )
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="issueddocument_object")]

    def __str__(self) -> str:
        return self.number


class Recusal(models.Model):
    """回避: a unit or a person that must not see one work item (the unit and the official a complaint is about,
    the people an accountability case concerns). The work-item scope rule keeps such items from regional staff
    who belong to the unit or are the person, whatever their role and region; unit staff see an item only when
    their unit owns it or takes part in it."""

    work_item = models.ForeignKey(WorkItem, models.CASCADE, related_name="recusals")
    unit = models.ForeignKey("org.Unit", models.CASCADE, null=True, blank=True, related_name="+")
    person = models.ForeignKey("org.Person", models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | models.Q(person__isnull=False), name="recusal_who"
            )
        ]
        indexes = [
            models.Index(fields=["unit"], name="recusal_unit"),
            models.Index(fields=["person"], name="recusal_person"),
        ]

    def __str__(self) -> str:
        return f"recusal {self.work_item_id}: unit {self.unit_id} person {self.person_id}"


class CardRecord(models.Model):
    """A yellow or red card (黄牌 / 红牌) on a unit's record: written by the deadline sweep when one of the unit's
    items becomes overdue (yellow) or seriously overdue (red), once per item and colour — an item that goes
    straight to red gets both. The unit is the owner at that moment and keeps the card; `at` is the instant the
    clock put the item in that stage (the deadline, the red boundary), `year` its calendar year in local time."""

    # No index of their own: the unique constraint leads with the work item, card_unit_year with the unit (the
    # sweep writes thousands of cards in its busiest minute; each index costs every one of them).
    work_item = models.ForeignKey(
        WorkItem, models.CASCADE, related_name="cards", verbose_name=_("事项"), db_index=False
    )
    unit = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="cards", verbose_name=_("责任单位"), db_index=False
    )
    # The unit's region at that moment, so scope is one prefix filter as for work items (the pages read by unit
    # and year, so it needs no index yet).
    region_path = models.CharField(max_length=200, editable=False)
    kind = models.CharField(_("类别"), max_length=40)
    stage = models.CharField(
        _("红黄牌"), max_length=10, choices=[(Stage.YELLOW, Stage.YELLOW.label), (Stage.RED, Stage.RED.label)]
    )
    at = models.DateTimeField(_("时间"))
    year = models.PositiveSmallIntegerField(_("年度"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("红黄牌")
        verbose_name_plural = _("红黄牌")
        constraints = [
            models.UniqueConstraint(fields=["work_item", "stage"], name="card_once_per_item_and_stage"),
            models.CheckConstraint(
                condition=models.Q(stage__in=["yellow", "red"]), name="card_stage_yellow_or_red"
            ),
        ]
        indexes = [models.Index(fields=["unit", "year"], name="card_unit_year")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.work_item_id} @ {self.at:%Y-%m-%d}"
