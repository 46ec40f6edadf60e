"""The supervision ledger in and out of Excel, through the shared facilities (core.exports, core.imports)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, scope
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.exports import Column, ledger_xlsx
from xiaoneng.core.imports import RowError, as_date, read_rows
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit

from . import services
from .models import Cadence, Source, Urgency
from .workflow import WORKFLOW

IMPORT_COLUMNS = {
    "事项": "title",
    "来源": "source",
    "文号": "reference_no",
    "牵头单位": "lead_unit",
    "协办单位": "co_units",
    "完成时限": "due",
    "办理时限": "limit",
    "紧急程度": "urgency",
    "报送频次": "cadence",
    "事项内容": "description",
    "责任领导": "responsible_leader",
    "责任人": "responsible_person",
}
REQUIRED = {"title", "lead_unit"}


def _overdue(s) -> str:
    wi = s.work_item
    if wi.closed_at:
        return "否" if not wi.deadline or wi.closed_at <= wi.deadline else "逾期办结"
    return {"yellow": "逾期（黄牌）", "red": "逾期（红牌）", "warning": "临期预警"}.get(wi.stage, "否")


def _deadline(s) -> str:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    return deadline_label(s.work_item.deadline)


def export(user, qs) -> bytes:
    """督办事项台帐.xlsx of exactly what the user's filtered ledger shows; audited."""
    rows = list(
        qs.prefetch_related("reports", "work_item__units").select_related(
            "work_item__owner_person", "responsible_leader"
        )
    )
    columns = [
        Column("事项", lambda s: s.work_item.title, 36),
        Column("文号", lambda s: s.reference_no, 18),
        Column("来源", lambda s: s.get_source_display(), 12),
        Column("牵头单位", lambda s: s.work_item.owner_unit.name, 20),
        Column("协办单位", lambda s: "、".join(u.name for u in s.work_item.units.all()), 20),
        Column("责任领导", lambda s: s.responsible_leader.name if s.responsible_leader else "", 10),
        Column("责任人", lambda s: s.work_item.owner_person.name if s.work_item.owner_person else "", 10),
        Column("完成时限", _deadline, 16),
        Column("状态", lambda s: str(WORKFLOW.state_label(s.work_item.state)), 10),
        Column("进展情况", lambda s: list(s.reports.all())[-1].text if s.reports.all() else "", 40),
        Column("是否逾期", _overdue, 12),
    ]
    now = timezone.localtime()
    data = ledger_xlsx(
        title="督办事项台帐",
        subtitle=f"导出：{user.get_full_name() or user.username}　{now:%Y年%m月%d日 %H:%M}　共 {len(rows)} 项",
        columns=columns,
        rows=rows,
    )
    audit.record(
        AuditEventType.EXPORTED, actor=user, object_type="supervision.ledger", data={"rows": len(rows)}
    )
    return data


def template() -> bytes:
    """The import template: the ledger's header row and one example row (its date a quarter ahead, so the
    example itself imports whenever the template is downloaded)."""
    from datetime import timedelta

    example = {
        "事项": "推进企业开办“一网通办”",
        "来源": "会议议定事项",
        "文号": "青政办〔2026〕12号",
        "牵头单位": "青江市市场监督管理局",
        "协办单位": "青江市行政审批服务局、青江市政务服务中心",
        "完成时限": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "办理时限": "",
        "紧急程度": "一般",
        "报送频次": "每周",
        "事项内容": "全流程压缩至1个工作日",
        "责任领导": "",
        "责任人": "",
    }
    cols = [Column(h, lambda r, h=h: r[h], 18) for h in IMPORT_COLUMNS]
    return ledger_xlsx(
        title="督办事项导入模板",
        subtitle=(
            "“完成时限”与“办理时限”（如 20wd）填一个；单位填全称或简称；"
            "责任人填牵头单位人员姓名，责任领导填姓名（重名时写作“单位/姓名”）"
        ),
        columns=cols,
        rows=[example],
    )


def _choice(value: Any, choices, default: str) -> str | None:
    if value in (None, ""):
        return default
    text = str(value).strip()
    for code, label in choices:
        if text in (code, str(label)):
            return code
    return None


def import_items(actor, upload) -> tuple[list, list[RowError]]:
    """All-or-nothing: validate every row; create every item in one transaction only when no row has an error."""
    rows, errors = read_rows(upload, columns=IMPORT_COLUMNS, required=REQUIRED)
    units = list(scope.restrict(Unit, actor).filter(is_active=True))
    by_name = {}
    for u in units:
        for key in (u.name, u.short_name, u.code):
            if key:
                by_name.setdefault(key, u)
    people: dict[str, list[Person]] = {}
    for p in scope.restrict(Person, actor).filter(is_active=True).select_related("unit"):
        people.setdefault(p.name, []).append(p)

    def person(text: str, unit: Unit | None = None) -> tuple[Person | None, str]:
        """The person named `text` ("姓名", or "单位/姓名" when the name is not unique), within `unit` if given;
        (None, "") for an empty cell, (None, reason) when not found or ambiguous."""
        text = text.strip()
        if not text:
            return None, ""
        unit_part, _slash, name = text.rpartition("/")
        found = people.get(name.strip(), [])
        if unit_part:
            named_unit = by_name.get(unit_part.strip())
            found = [p for p in found if named_unit is not None and p.unit_id == named_unit.pk]
        if unit is not None:
            found = [p for p in found if p.unit_id == unit.pk]
        if len(found) == 1:
            return found[0], ""
        if not found:
            return None, _("找不到该人员，或不在您的管辖范围内 (unknown person or outside your scope)")
        return None, _("有重名，请写作“单位/姓名” (the name is not unique; write unit/name)")

    plans = []
    for r, row in rows:

        def err(col: str, msg: str, r=r) -> None:
            errors.append(RowError(r, col, msg))

        title = str(row.get("title") or "").strip()
        if not title:
            err("事项", _("事项不能为空 (title is required)"))
        lead = by_name.get(str(row.get("lead_unit") or "").strip())
        if lead is None:
            err("牵头单位", _("找不到该单位，或不在您的管辖范围内 (unknown unit or outside your scope)"))
        co = []
        for name in [x for x in re.split(r"[、,，;；\s]+", str(row.get("co_units") or "")) if x]:
            u = by_name.get(name)
            if u is None:
                err("协办单位", _("找不到协办单位：%(n)s (unknown co-unit)") % {"n": name})
            else:
                co.append(u)
        source = _choice(row.get("source"), Source.choices, Source.MEETING)
        if source is None:
            err("来源", _("无法识别的来源 (unknown source)"))
        urgency = _choice(row.get("urgency"), Urgency.choices, Urgency.NORMAL)
        if urgency is None:
            err("紧急程度", _("紧急程度须为 特急/急/一般 (unknown urgency)"))
        cadence = _choice(row.get("cadence"), Cadence.choices, Cadence.NONE)
        if cadence is None:
            err("报送频次", _("无法识别的报送频次 (unknown cadence)"))
        try:
            due = as_date(row.get("due"))
        except ValueError:
            due = None
            err("完成时限", _("日期格式应为 YYYY-MM-DD (a date is expected)"))
        limit = str(row.get("limit") or "").strip()
        if due and limit:
            err("办理时限", _("完成时限和办理时限只填一个 (give a due date or a limit, not both)"))
        leader, why = person(str(row.get("responsible_leader") or ""))
        if why:
            err("责任领导", why)
        text = str(row.get("responsible_person") or "")
        responsible, why = person(text, lead) if lead is not None else (None, "")
        if why:
            elsewhere, _why = person(text)
            err(
                "责任人",
                _("责任人须是牵头单位的人员 (the responsible person must work in the lead unit)")
                if elsewhere is not None
                else why,
            )
        plans.append(
            dict(
                row=r,
                title=title,
                lead_unit=lead,
                co_units=co,
                source=source,
                urgency=urgency,
                cadence=cadence,
                due=due,
                limit=limit,
                reference_no=str(row.get("reference_no") or ""),
                description=str(row.get("description") or ""),
                responsible_leader=leader,
                responsible_person=responsible,
            )
        )
    if errors:
        return [], sorted(errors, key=lambda e: (e.row, e.column))
    created = []
    try:
        with transaction.atomic():
            for p in plans:
                r = p.pop("row")
                try:
                    created.append(services.issue(actor=actor, **p))
                except TransitionRefused as exc:
                    errors.append(RowError(r, "", exc.message))
            if errors:
                raise _Rollback
            audit.record(
                AuditEventType.IMPORTED,
                actor=actor,
                object_type="supervision.ledger",
                data={"rows": len(created)},
            )
    except _Rollback:
        return [], errors
    return created, []


class _Rollback(Exception):
    pass
