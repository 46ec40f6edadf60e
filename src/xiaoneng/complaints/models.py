"""效能投诉: complaints from the public about how officials work (SPEC §2, §9).

A complaint is a work item of kind "complaint" (its clock, stage, timeline and scope come from there) plus this
table. The complainant's identity lives only in the encrypted `identity_*` columns: it is shown masked, revealed
through an audited action to accepting staff and `discipline`, and never reaches the unit complained about,
which works from `redacted_content` once staff have released it (see services.release_copy).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import crypto
from xiaoneng.core.fields import EncryptedTextField
from xiaoneng.core.scope import ScopedQuerySet


class Channel(models.TextChoices):
    WEB = "web", _("网上投诉")
    HOTLINE = "hotline", _("投诉电话")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    EMAIL = "email", _("电子邮件")
    OPEN311 = "open311", _("Open311 接口")
    HOTLINE_12345 = "12345", _("12345 热线转办")


class Handling(models.TextChoices):
    DIRECT = "direct", _("直查")
    ASSIGNED = "assigned", _("交办")


class Finding(models.TextChoices):
    TRUE = "true", _("属实")
    PARTLY = "partly", _("部分属实")
    FALSE = "false", _("不属实")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Category(models.Model):
    """效能问题分类: the taxonomy the public chooses from (editable; a starter set ships as data)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    # The unit's reply limit for complaints of this category (a clock limit such as "5wd").
    reply_limit = models.CharField(_("答复时限"), max_length=16, default="5wd")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    """One complaint (kind "complaint" of the work-item mechanism)."""

    work_item = models.OneToOneField(
        "core.WorkItem", models.CASCADE, primary_key=True, related_name="complaint"
    )
    # Public handles: the tracking number is printed and spoken; the query code proves the asker submitted it
    # (only its hash is kept).
    tracking_no = models.CharField(_("投诉编号"), max_length=20, unique=True)
    query_code_hash = models.CharField(max_length=64, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, models.PROTECT, related_name="complaints", verbose_name=_("类别"))
    subject_unit = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="complaints_about", verbose_name=_("被投诉单位")
    )
    subject_person = models.ForeignKey(
        "org.Person", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("被投诉人")
    )
    subject_person_text = models.CharField(_("被投诉人（描述）"), max_length=60, blank=True)
    # What the complainant wrote (staff with identity access only) and the copy the unit works from.
    content = models.TextField(_("投诉内容"))
    redacted_content = models.TextField(_("转办内容"), blank=True)
    released_at = models.DateTimeField(_("转办时间"), null=True, blank=True)
    occurred_on = models.DateField(_("发生日期"), null=True, blank=True)
    location = models.CharField(_("地点"), max_length=200, blank=True)

    # The complainant (personal data: encrypted at rest, masked on screen, revealed only by audited action).
    anonymous = models.BooleanField(_("匿名"), default=False)
    identity_name = EncryptedTextField(_("投诉人姓名"), blank=True, default="")
    identity_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    identity_id_number = EncryptedTextField(_("身份证号码"), blank=True, default="")
    identity_email = EncryptedTextField(_("电子邮箱"), blank=True, default="")
    identity_ip = EncryptedTextField(_("来源 IP"), blank=True, default="")
    identity_device = EncryptedTextField(_("设备"), blank=True, default="")
    # Blind indexes for "same complainant" without decrypting.
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    consent_publish = models.BooleanField(_("同意公开答复"), default=False)

    # Handling.
    not_accepted_reason = models.TextField(_("不予受理理由"), blank=True)
    handling = models.CharField(_("办理方式"), max_length=10, choices=Handling.choices, blank=True)
    handling_unit = models.ForeignKey(
        "org.Unit", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("承办单位")
    )
    unit_reply = models.TextField(_("单位答复"), blank=True)
    public_reply = models.TextField(_("答复意见"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    finding = models.CharField(_("核查结论"), max_length=10, choices=Finding.choices, blank=True)
    rating = models.CharField(_("满意度"), max_length=15, choices=Rating.choices, blank=True)
    rating_note = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    related_to = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="related", verbose_name=_("关联投诉")
    )
    # "Open an accountability case" on a true finding: recorded now; the case comes with accountability.
    accountability_requested_at = models.DateTimeField(_("提请问责"), null=True, blank=True)
    accountability_case_id = models.CharField(max_length=40, blank=True)
    published = models.BooleanField(_("回音壁公开"), default=False)

    # Intake bookkeeping: a retried submission carries the same key and gets the same complaint back.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    open311_client = models.ForeignKey(
        "complaints.Open311Client", models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    submitted_at = models.DateTimeField(_("投诉时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("效能投诉")
        verbose_name_plural = _("效能投诉")
        indexes = [models.Index(fields=["subject_unit", "submitted_at"], name="complaint_unit_time")]

    def __str__(self) -> str:
        return self.tracking_no

    def save(self, *args, **kwargs):
        self.set_indexes()
        super().save(*args, **kwargs)

    def set_indexes(self) -> None:
        """The blind indexes of the identity (`save` sets them; a bulk insert calls this itself)."""
        self.phone_index = crypto.blind_index(self.identity_phone, purpose="complaint-phone")
        self.id_number_index = crypto.blind_index(self.identity_id_number, purpose="complaint-id")
        self.email_index = crypto.blind_index(self.identity_email.lower(), purpose="complaint-email")

    @property
    def identity_masked(self) -> dict[str, str]:
        return {
            "name": crypto.mask_name(self.identity_name),
            "phone": crypto.mask_phone(self.identity_phone),
            "id_number": crypto.mask_id_number(self.identity_id_number),
            "email": mask_email(self.identity_email),
        }


def mask_email(value: str | None) -> str:
    """``zhangsan@example.cn`` → ``z*******@example.cn``."""
    if not value or "@" not in value:
        return "*" * len(value or "")
    local, _at, domain = value.partition("@")
    return local[:1] + "*" * max(len(local) - 1, 1) + "@" + domain


class Attachment(models.Model):
    """A photo or file attached by the complainant or by staff. Stored cleaned (EXIF and document metadata
    removed) — the only copy kept."""

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="complaints/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # Whether the unit complained about may see it (staff decide when releasing the copy).
    for_unit = models.BooleanField(_("随转办件发送"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Open311Client(models.Model):
    """A client system allowed to POST to the Open311 API (`manage.py open311_apikey NAME`). Only the key's
    SHA-256 is stored; a revoked key answers 403."""

    name = models.CharField(_("名称"), max_length=80, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class IntakeStatus(models.TextChoices):
    PENDING = "pending", _("待登记")
    REGISTERED = "registered", _("已登记")
    FAILED = "failed", _("登记失败")


class IntakeRequest(models.Model):
    """A public submission (portal, Open311) acknowledged and waiting to become a complaint: the receipt of the
    intake queue (intake.py). The request writes this one row and answers; the registration worker turns
    pending rows into complaints in batches. It holds what the complaint needs — the tracking number and the
    query code's hash handed out at once, the receiving office, the identity encrypted in one field — and,
    once registered, only the link to the complaint: the identity and the text are cleared then. Never
    listed anywhere, never logged (SPEC §2, whistleblower protection)."""

    # Unique by constraints (Meta), not unique=True: PostgreSQL then keeps one index each, without the
    # pattern-matching twin Django adds for unique text columns — the idempotency key keeps that one, for Open311
    # tokens (a prefix search). Every index is written on each submission and again on registration.
    tracking_no = models.CharField(_("投诉编号"), max_length=20)
    query_code_hash = models.CharField(max_length=64, editable=False)
    idempotency_key = models.CharField(max_length=80, unique=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    # References without an index (rows are found by id, tracking number or key, never by what they point to)
    # and without a database constraint: the request has just read each of them, and the complaint made from the
    # row references them under real constraints. A constraint would lock the category, unit, office and client
    # rows (FOR KEY SHARE) on every submission — the same few rows for every submission at once.
    category = models.ForeignKey(
        Category, models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    subject_unit = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    office = models.ForeignKey(
        "org.Unit", models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    subject_person_text = models.CharField(max_length=60, blank=True)
    content = models.TextField(blank=True)
    occurred_on = models.DateField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    anonymous = models.BooleanField(default=False)
    # JSON of name, phone, id_number, email, ip, device (SM4-GCM at rest; emptied once registered).
    identity = EncryptedTextField(blank=True, default="")
    consent_publish = models.BooleanField(default=False)
    open311_client = models.ForeignKey(
        Open311Client,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The client address as the audit trail records it for the public (a keyed pseudonym, core.audit).
    audit_ip = models.CharField(max_length=45, blank=True)
    # Cleaned attachments already stored: [{"file", "name", "content_type", "size", "sha256"}].
    attachments = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=IntakeStatus.choices, default=IntakeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure = models.CharField(max_length=200, blank=True)  # the error's kind, never the submission's data
    # One complaint per row: the complaint's idempotency key (the row's) is unique.
    complaint = models.ForeignKey(
        Complaint, models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The worker's claim: the pending rows, oldest first; registered ones are left out of the index.
            models.Index(fields=["id"], name="intake_waiting", condition=~models.Q(status="registered")),
        ]
        constraints = [models.UniqueConstraint(fields=["tracking_no"], name="intake_tracking_no")]

    def __str__(self) -> str:
        return self.tracking_no
