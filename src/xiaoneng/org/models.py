"""The administrative world: regions, units, people and user accounts."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import crypto
from xiaoneng.core.fields import EncryptedTextField
from xiaoneng.core.scope import ScopedQuerySet

from .roles import Role


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("区/县")
    TOWNSHIP = "township", _("乡镇/街道")
    VILLAGE = "village", _("村/社区")


LEVEL_DEPTH = {RegionLevel.CITY: 0, RegionLevel.COUNTY: 1, RegionLevel.TOWNSHIP: 2, RegionLevel.VILLAGE: 3}


class Region(models.Model):
    """An administrative division keyed by its official code (GB/T 2260 for 市/县, 12-digit statistical codes
    below). `path` is the chain of codes from the root ("/330100/330102/"), so a subtree is one prefix query."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=200, db_index=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)


class UnitType(models.TextChoices):
    PARTY = "party", _("党委部门")
    GOVERNMENT = "government", _("政府部门")
    NPC = "npc", _("人大机关")
    CPPCC = "cppcc", _("政协机关")
    COURT = "court", _("法院")
    PROCURATORATE = "procuratorate", _("检察院")
    INSTITUTION = "institution", _("事业单位")
    COUNTY = "county", _("县区党委政府")
    TOWNSHIP = "township", _("乡镇/街道")
    VILLAGE = "village", _("村/社区")
    OTHER = "other", _("其他")


class Unit(models.Model):
    """A unit (单位): department, county, township, village … in a region, optionally under a parent unit."""

    code = models.CharField(_("单位编码"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    type = models.CharField(_("单位类型"), max_length=20, choices=UnitType.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="units", verbose_name=_("所在区划"))
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    head = models.ForeignKey(
        "Person", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("主要负责人")
    )
    is_active = models.BooleanField(_("有效"), default=True)
    # The efficiency office (效能办 / 投诉中心) that receives the public's complaints about units of its region
    # and the regions below it (the nearest such unit up the region chain takes a complaint).
    handles_complaints = models.BooleanField(_("受理效能投诉"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person working in a unit. Phone and ID number are personal data: SM4-encrypted, shown masked,
    revealed only through an audited action."""

    name = models.CharField(_("姓名"), max_length=40)
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="people", verbose_name=_("单位"))
    position = models.CharField(_("职务"), max_length=60, blank=True)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("身份证号码"), blank=True, default="")
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_active = models.BooleanField(_("在职"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["unit_id", "id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.phone_index = crypto.blind_index(self.phone) if self.phone else ""
        self.id_number_index = crypto.blind_index(self.id_number) if self.id_number else ""
        super().save(*args, **kwargs)

    @property
    def phone_masked(self) -> str:
        return crypto.mask_phone(self.phone)

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A login account. Every account belongs to a unit and holds one role; a person may have several
    accounts but never two of the 三员 roles (org.services.set_role enforces it)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="accounts", verbose_name=_("单位"))
    person = models.ForeignKey(
        Person, models.PROTECT, null=True, blank=True, related_name="accounts", verbose_name=_("人员")
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(_("界面语言"), max_length=10, default="zh-hans")

    objects = ScopedUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return self.first_name or (self.person.name if self.person_id else "")

    @cached_property
    def jurisdiction_path(self) -> str:
        """The region subtree this account's regional roles see: its unit's region."""
        return self.unit.region.path
