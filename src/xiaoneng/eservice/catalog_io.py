"""The matter catalog in and out of Excel through the shared facilities (core.exports, core.imports): the import
is all-or-nothing with row-level errors and updates matters by their code; the export is the catalog as the user
filtered it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, scope
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.exports import Column, ledger_xlsx
from xiaoneng.core.imports import RowError, read_rows
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import RegionLevel, Unit

from . import catalog
from .models import Matter, MatterType, Step

IMPORT_COLUMNS = {
    "事项编码": "code",
    "事项名称": "name",
    "事项类型": "type",
    "实施部门": "department",
    "服务层级": "level",
    "法定时限": "statutory_limit",
    "承诺时限": "promised_limit",
    "收费标准（元）": "fee_standard",
    "必经环节": "required_steps",
}
REQUIRED = {"code", "name", "department", "statutory_limit", "promised_limit"}
# The column a rule's refusal belongs to.
_COLUMN_OF_CODE = {
    "bad_code": "事项编码",
    "bad_name": "事项名称",
    "bad_type": "事项类型",
    "bad_level": "服务层级",
    "bad_limit": "承诺时限",
    "promised_exceeds_statutory": "承诺时限",
    "bad_fee": "收费标准（元）",
    "bad_step": "必经环节",
}
_LEVEL_WORDS = {"市级": "city", "县级": "county", "区级": "county", "乡级": "township", "镇级": "township"}


def _choice(value: Any, choices, default: str | None) -> str | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return default
    for code, label in choices:
        if text in (code, str(label)):
            return code
    return None


def template() -> bytes:
    """The import template: the header row and two example rows (a licence and an instant matter)."""
    examples = [
        {
            "事项编码": "330100-XK-0001",
            "事项名称": "建筑工程施工许可证核发",
            "事项类型": "行政许可",
            "实施部门": "青江市住房和城乡建设局",
            "服务层级": "市",
            "法定时限": "15个工作日",
            "承诺时限": "5个工作日",
            "收费标准（元）": "0",
            "必经环节": "承办、审核、决定",
        },
        {
            "事项编码": "330100-QR-0002",
            "事项名称": "个体工商户注册登记",
            "事项类型": "行政确认",
            "实施部门": "市市场监管局",
            "服务层级": "市",
            "法定时限": "15个工作日",
            "承诺时限": "即办",
            "收费标准（元）": "0",
            "必经环节": "",
        },
    ]
    return ledger_xlsx(
        title="政务服务事项目录导入模板",
        subtitle="时限填 20个工作日、30日、即办 或 20wd；承诺时限不得长于法定时限；按事项编码新增或更新",
        columns=[Column(h, lambda r, h=h: r[h], 18) for h in IMPORT_COLUMNS],
        rows=examples,
    )


def import_matters(actor, upload) -> tuple[list[Matter], list[RowError]]:
    """All-or-nothing: validate every row (departments must be in the actor's scope); write every matter in
    one transaction only when no row has an error."""
    rows, errors = read_rows(upload, columns=IMPORT_COLUMNS, required=REQUIRED)
    units = list(scope.restrict(Unit, actor).filter(is_active=True).select_related("region"))
    by_name: dict[str, Unit] = {}
    for u in units:
        for key in (u.name, u.short_name, u.code):
            if key:
                by_name.setdefault(key, u)
    plans: list[tuple[int, catalog.MatterInput]] = []
    seen: dict[str, int] = {}
    for r, row in rows:

        def err(col: str, msg: str, r=r) -> None:
            errors.append(RowError(r, col, msg))

        code = str(row.get("code") or "").strip()
        if code in seen:
            err("事项编码", _("与第 %(r)d 行的事项编码重复 (duplicate code)") % {"r": seen[code]})
            continue
        seen[code] = r
        department = by_name.get(str(row.get("department") or "").strip())
        if department is None:
            err("实施部门", _("找不到该单位，或不在您的管辖范围内 (unknown unit or outside your scope)"))
            continue
        mtype = _choice(row.get("type"), MatterType.choices, MatterType.LICENCE)
        if mtype is None:
            err("事项类型", _("无法识别的事项类型 (unknown matter type)"))
            continue
        level_text = _LEVEL_WORDS.get(str(row.get("level") or "").strip(), row.get("level"))
        level = _choice(level_text, RegionLevel.choices, _default_level(department))
        if level is None:
            err("服务层级", _("服务层级须为 市/区县/乡镇/村 (unknown service level)"))
            continue
        try:
            data = catalog.validate(
                catalog.MatterInput(
                    code=code,
                    name=str(row.get("name") or ""),
                    type=mtype,
                    department=department,
                    level=level,
                    statutory_limit=row.get("statutory_limit"),
                    promised_limit=row.get("promised_limit"),
                    fee_standard=catalog.parse_fee(row.get("fee_standard")),
                    required_steps=(
                        catalog.parse_steps(row.get("required_steps"))
                        if str(row.get("required_steps") or "").strip()
                        else None
                    ),
                )
            )
        except TransitionRefused as exc:
            err(_COLUMN_OF_CODE.get(exc.code, ""), exc.message)
            continue
        plans.append((r, data))
    if errors:
        return [], sorted(errors, key=lambda e: (e.row, e.column))
    saved = []
    with transaction.atomic():
        for _r, data in plans:
            matter, _created = catalog.save(actor, data, audit_row=False)
            saved.append(matter)
        audit.record(
            AuditEventType.IMPORTED, actor=actor, object_type="eservice.matter", data={"rows": len(saved)}
        )
    return saved, []


def _default_level(unit: Unit) -> str:
    return unit.region.level if unit.region.level in RegionLevel.values else RegionLevel.CITY


def export(user, qs) -> bytes:
    """政务服务事项目录.xlsx of what the user's filtered list shows; audited."""
    rows = list(qs.select_related("department"))
    steps = dict(Step.choices)
    columns = [
        Column("事项编码", lambda m: m.code, 18),
        Column("事项名称", lambda m: m.name, 32),
        Column("事项类型", lambda m: m.get_type_display(), 12),
        Column("实施部门", lambda m: m.department.name, 22),
        Column("服务层级", lambda m: m.get_level_display(), 10),
        Column("法定时限", lambda m: m.statutory_limit, 10),
        Column("承诺时限", lambda m: m.promised_limit, 10),
        Column("即办件", lambda m: m.instant, 8),
        Column("收费标准（元）", lambda m: float(m.fee_standard), 12),
        Column("必经环节", lambda m: "、".join(str(steps[s]) for s in m.steps), 16),
    ]
    now = timezone.localtime()
    data = ledger_xlsx(
        title="政务服务事项目录",
        subtitle=f"导出：{user.get_full_name() or user.username}　{now:%Y年%m月%d日 %H:%M}　共 {len(rows)} 项",
        columns=columns,
        rows=rows,
    )
    audit.record(AuditEventType.EXPORTED, actor=user, object_type="eservice.matter", data={"rows": len(rows)})
    return data
