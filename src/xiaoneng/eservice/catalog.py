"""The matter catalog (事项目录): limits as people write them, the rule promised ≤ statutory, and the one write
function every way of changing a matter goes through (the form, the .xlsx import, the API, the demo)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from xiaoneng import clock
from xiaoneng.core import audit, clock_service
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import RegionLevel, Unit
from xiaoneng.org.roles import Role

from .models import Matter, MatterType, Step

# "20个工作日", "20工作日", "30日", "30天", "30自然日", "8工作小时", "48小时", "即办" — and the clock's own "20wd".
_ZH_UNITS = [
    (re.compile(r"^(\d+)\s*(?:个)?工作日$"), "wd"),
    (re.compile(r"^(\d+)\s*(?:个)?(?:自然日|日|天)$"), "d"),
    (re.compile(r"^(\d+)\s*(?:个)?工作小时$"), "wh"),
    (re.compile(r"^(\d+)\s*(?:个)?小时$"), "h"),
]
INSTANT_WORDS = {"即办", "即办件", "当场办结", "0"}


def parse_limit_text(text: Any, what: str) -> str:
    """A limit as the catalog writes it, in the clock's notation ("20个工作日" → "20wd", "即办" → "0wd").
    A clear 400 otherwise."""
    raw = str(text if text is not None else "").strip().replace(" ", "")
    if raw in INSTANT_WORDS:
        return "0wd"
    for pattern, unit in _ZH_UNITS:
        m = pattern.match(raw)
        if m:
            return f"{int(m[1])}{unit}"
    try:
        return str(clock.Limit.parse(raw))
    except clock.ClockError:
        raise TransitionRefused(
            _("无法识别的%(what)s“%(v)s”，应为如 20wd、20个工作日、30日、即办 (cannot read the limit)")
            % {"what": what, "v": raw},
            status=400,
            code="bad_limit",
        ) from None


# Reference starts for comparing limits of different units: every day of two years at 09:00 and 16:30.
_REFERENCE_YEAR = 2025


def _reference_starts() -> np.ndarray:
    tz = ZoneInfo("Asia/Shanghai")
    first = datetime(_REFERENCE_YEAR, 1, 1, tzinfo=tz)
    out = []
    for day in range(730):
        d = first + timedelta(days=day)
        out.append(int(d.replace(hour=9).timestamp()))
        out.append(int(d.replace(hour=16, minute=30).timestamp()))
    return np.array(out, dtype=np.int64)


def promised_exceeds(promised: str, statutory: str, region_path: str = "") -> bool:
    """Whether the promised limit can end later than the statutory one. Same unit: the amounts. Different units
    ("10wd" against "15d"): both deadlines from every start of two calendar years, through the clock's bulk path."""
    p, s = clock.Limit.parse(promised), clock.Limit.parse(statutory)
    if p.unit == s.unit:
        return p.amount > s.amount
    cal = clock_service.calendar(region_path)
    starts = _reference_starts()
    dp, _pp = clock.bulk_deadlines(cal, starts, p.amount, p.unit.value)
    ds, _ps = clock.bulk_deadlines(cal, starts, s.amount, s.unit.value)
    return bool((dp > ds).any())


def check_limits(promised: str, statutory: str, region_path: str = "") -> None:
    """承诺时限 ≤ 法定时限, or a 400 in Chinese and English naming both."""
    if promised_exceeds(promised, statutory, region_path):
        raise TransitionRefused(
            _(
                "承诺时限（%(p)s）不得长于法定时限（%(s)s） "
                "(the promised limit must not be longer than the statutory limit)"
            )
            % {"p": promised, "s": statutory},
            status=400,
            code="promised_exceeds_statutory",
        )


def parse_fee(value: Any) -> Decimal:
    text = str(value if value is not None else "").strip().replace("元", "").replace(",", "")
    if text in ("", "不收费", "免费"):
        return Decimal("0")
    try:
        fee = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise TransitionRefused(
            _("收费标准应为金额（元），如 50 或 0 (the fee standard must be an amount in yuan)"),
            status=400,
            code="bad_fee",
        ) from None
    if fee < 0 or fee >= Decimal("1e10"):
        raise TransitionRefused(
            _("收费标准超出范围 (the fee standard is out of range)"), status=400, code="bad_fee"
        )
    return fee


def parse_steps(value: Any) -> str:
    """必经环节 as Step codes, from codes or Chinese labels separated by 、 , ； or spaces."""
    labels = {str(label): code for code, label in Step.choices} | {code: code for code in Step.values}
    out = []
    for part in re.split(r"[、,，;；\s]+", str(value or "").strip()):
        if not part:
            continue
        code = labels.get(part)
        if code is None:
            raise TransitionRefused(
                _("无法识别的办理环节“%(v)s”，可用：承办、审核、决定 (unknown step)") % {"v": part},
                status=400,
                code="bad_step",
            )
        if code not in out:
            out.append(code)
    return ",".join(sorted(out, key=Step.values.index))


@dataclass
class MatterInput:
    code: str
    name: str
    type: str
    department: Unit
    level: str
    statutory_limit: str
    promised_limit: str
    fee_standard: Decimal = Decimal("0")
    required_steps: str | None = None  # None: the default (决定 for all but instant matters)
    is_active: bool = True


def validate(data: MatterInput) -> MatterInput:
    """Every rule of a matter, before anything is written; raises TransitionRefused (400) with the first one
    broken. Returns the input with its limits in the clock's notation."""
    data.code = str(data.code or "").strip()
    data.name = str(data.name or "").strip()
    if not data.code or len(data.code) > 64:
        raise TransitionRefused(
            _("请填写事项编码（最长64位） (a code is required)"), status=400, code="bad_code"
        )
    if not data.name:
        raise TransitionRefused(_("请填写事项名称 (a name is required)"), status=400, code="bad_name")
    if data.type not in MatterType.values:
        raise TransitionRefused(_("无法识别的事项类型 (unknown matter type)"), status=400, code="bad_type")
    if data.level not in RegionLevel.values:
        raise TransitionRefused(_("无法识别的服务层级 (unknown service level)"), status=400, code="bad_level")
    data.statutory_limit = parse_limit_text(data.statutory_limit, _("法定时限"))
    data.promised_limit = parse_limit_text(data.promised_limit, _("承诺时限"))
    check_limits(data.promised_limit, data.statutory_limit, data.department.region.path)
    if data.required_steps is None:
        data.required_steps = "" if is_instant(data.promised_limit) else Step.DECISION
    return data


def is_instant(limit: str) -> bool:
    return clock.Limit.parse(limit).amount == 0


def save(actor: Any, data: MatterInput, *, audit_row: bool = True) -> tuple[Matter, bool]:
    """Create or update the matter with this code (事项编码 is the key source systems report by). Returns
    (matter, created)."""
    data = validate(data)
    with transaction.atomic():
        matter = Matter.objects.select_for_update().filter(code=data.code).first()
        created = matter is None
        matter = matter or Matter(code=data.code)
        matter.name = data.name
        matter.type = data.type
        matter.department = data.department
        matter.region_path = data.department.region.path
        matter.level = data.level
        matter.statutory_limit = data.statutory_limit
        matter.promised_limit = data.promised_limit
        matter.instant = is_instant(data.promised_limit)
        matter.fee_standard = data.fee_standard
        matter.required_steps = data.required_steps or ""
        matter.is_active = data.is_active
        matter.save()
        if audit_row:
            audit.record(
                AuditEventType.ESERVICE_CATALOG_CHANGED,
                actor=actor,
                obj=matter,
                data={"code": matter.code, "created": created, "promised": matter.promised_limit},
            )
    return matter, created


def may_edit(user: Any) -> bool:
    """Supervisors keep the catalog (效能办 runs e-supervision); departments read their own matters."""
    return getattr(user, "role", None) == Role.SUPERVISOR
