"""Complaints in and out of spreadsheets, through the shared facilities (core.exports, core.imports).

- The ledger export in the standard layout. It never carries the complainant's identity or words: staff get the
  handling columns, everyone else (the handling unit, leaders) the columns of the redacted view.
- 12345 热线转办: a batch of hotline tickets as .xlsx (core.imports.read_rows: zip-bomb and formula checks) or
  .csv (UTF-8 or GB18030, the encodings hotline systems export), all or nothing with row-level errors. Each
  ticket becomes a complaint of channel "12345" through the intake every channel shares; its ticket number is
  the idempotency key, so a file imported twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, crypto, scope
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.exports import Column, ledger_xlsx
from xiaoneng.core.imports import MAX_BYTES, MAX_ROWS, ImportRefused, RowError, read_rows
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Unit

from . import services
from .models import Category, Channel, Complaint
from .selectors import sees_as_staff
from .workflow import WORKFLOW

IMPORT_COLUMNS = {
    "工单编号": "ticket_no",
    "来电时间": "called_at",
    "诉求人": "name",
    "联系电话": "phone",
    "身份证号码": "id_number",
    "电子邮箱": "email",
    "是否匿名": "anonymous",
    "被反映单位": "unit",
    "问题类别": "category",
    "诉求内容": "content",
    "发生地点": "location",
    "同意公开": "consent_publish",
}
REQUIRED = {"ticket_no", "unit", "content"}
YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0", ""}


def _deadline(wi) -> str:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    return deadline_label(wi.deadline)


def _overdue(c: Complaint) -> str:
    wi = c.work_item
    if wi.closed_at:
        return "否" if not wi.deadline or wi.closed_at <= wi.deadline else "逾期办结"
    return {"yellow": "逾期（黄牌）", "red": "逾期（红牌）", "warning": "临期预警"}.get(wi.stage, "否")


def _state(c: Complaint) -> str:
    return str(WORKFLOW.state_label(c.work_item.state))


def _local(value):
    return timezone.localtime(value) if value else None


STAFF_COLUMNS = [
    Column("投诉编号", lambda c: c.tracking_no, 18),
    Column("投诉时间", lambda c: _local(c.submitted_at), 17),
    Column("渠道", lambda c: c.get_channel_display(), 12),
    Column("类别", lambda c: c.category.name, 14),
    Column("被投诉单位", lambda c: c.subject_unit.name, 22),
    Column("办理方式", lambda c: c.get_handling_display(), 8),
    Column("承办单位", lambda c: c.handling_unit.name if c.handling_unit_id else "", 22),
    Column("状态", _state, 12),
    Column("办理时限", lambda c: _deadline(c.work_item), 18),
    Column("是否逾期", _overdue, 12),
    Column("核查结论", lambda c: c.get_finding_display(), 10),
    Column("满意度", lambda c: c.get_rating_display(), 10),
    Column("关联投诉", lambda c: c.related_to.tracking_no if c.related_to_id else "", 18),
]
# The redacted view's columns: what the handling unit may read of its complaints (no tracking number, channel,
# identity or complainant's text).
UNIT_COLUMNS = [
    Column("事项", lambda c: c.work_item.title, 30),
    Column("类别", lambda c: c.category.name, 14),
    Column("交办时间", lambda c: _local(c.released_at), 17),
    Column("答复时限", lambda c: _deadline(c.work_item), 18),
    Column("状态", _state, 12),
    Column("是否逾期", _overdue, 12),
    Column("核查结论", lambda c: c.get_finding_display(), 10),
]


def export(user, qs) -> bytes:
    """效能投诉台帐.xlsx of exactly what the user's filtered ledger shows, in the columns their role may read;
    audited."""
    staff = sees_as_staff(user)
    rows = list(qs)
    now = timezone.localtime()
    data = ledger_xlsx(
        title="效能投诉台帐",
        subtitle=f"导出：{user.get_full_name() or user.username}　{now:%Y年%m月%d日 %H:%M}　共 {len(rows)} 件",
        columns=STAFF_COLUMNS if staff else UNIT_COLUMNS,
        rows=rows,
    )
    audit.record(
        AuditEventType.EXPORTED,
        actor=user,
        object_type="complaints.ledger",
        data={"rows": len(rows), "layout": "staff" if staff else "redacted"},
    )
    return data


def template() -> bytes:
    """The 12345 import template: the header row and one example row."""
    example = {
        "工单编号": "12345-20260301-0001",
        "来电时间": "2026-03-01 09:30",
        "诉求人": "（实名时填写）",
        "联系电话": "13800000000",
        "身份证号码": "",
        "电子邮箱": "",
        "是否匿名": "否",
        "被反映单位": "青江市科学技术局",
        "问题类别": "办事拖拉",
        "诉求内容": "申报材料提交两周无人处理，电话一直无人接听。",
        "发生地点": "市民中心二楼",
        "同意公开": "否",
    }
    cols = [Column(h, lambda r, h=h: r[h], 18) for h in IMPORT_COLUMNS]
    return ledger_xlsx(
        title="12345热线转办投诉导入模板",
        subtitle="单位填全称、简称或编码；问题类别填类别名称（空为“其他效能问题”）；也可上传同样表头的 CSV 文件",
        columns=cols,
        rows=[example],
    )


def read_csv_rows(
    upload: Any, *, columns: dict[str, str], required: set[str]
) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """core.imports.read_rows for a CSV file: the same header search, row numbers, formula refusal and limits."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportRefused("文件超过 5 MB (the file is larger than 5 MB)")
    upload.seek(0)
    raw = upload.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ImportRefused("文件超过 5 MB (the file is larger than 5 MB)")
    if b"\0" in raw:
        raise ImportRefused("不是 CSV 文本文件 (not a CSV text file)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise ImportRefused("无法识别文件编码，请使用 UTF-8 或 GBK (unknown encoding)")
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportRefused("CSV 格式错误 (malformed CSV)") from None
    errors: list[RowError] = []
    rows: list[tuple[int, dict]] = []
    header_at: dict[str, int] | None = None
    for r, values in enumerate(lines, start=1):
        if header_at is None:
            cells = [v.strip() for v in values]
            if required <= {columns.get(c) for c in cells if c in columns}:
                header_at = {columns[c]: i for i, c in enumerate(cells) if c in columns}
            elif r >= 5:
                break
            continue
        if all(not v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(f"一次最多导入 {MAX_ROWS} 行 (at most {MAX_ROWS} rows per import)")
        row: dict[str, Any] = {}
        for key, i in header_at.items():
            v = values[i].strip() if i < len(values) else ""
            if v.startswith("="):
                header = next(h for h, k in columns.items() if k == key)
                errors.append(RowError(r, header, "不接受公式，请填写数值 (formulas are not accepted)"))
                v = ""
            row[key] = v or None
        rows.append((r, row))
    if header_at is None:
        missing = [h for h, k in columns.items() if k in required]
        raise ImportRefused("找不到表头行，须包含：" + "、".join(missing) + " (header row not found)")
    if not rows and not errors:
        raise ImportRefused("没有数据行 (no data rows)")
    return rows, errors


def _read(upload) -> tuple[list[tuple[int, dict]], list[RowError]]:
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK"):
        return read_rows(upload, columns=IMPORT_COLUMNS, required=REQUIRED)
    name = getattr(upload, "name", "") or ""
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportRefused("不是 Excel 工作簿 (.xlsx) (not an .xlsx workbook)")
    return read_csv_rows(upload, columns=IMPORT_COLUMNS, required=REQUIRED)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    return str(value).strip()


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    text = _text(value).replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - a wall-clock time, only printed back
        except ValueError:
            continue
    raise ValueError(text)


def import_tickets(actor, upload) -> tuple[list[Complaint], list[str], list[RowError]]:
    """All or nothing: every row validated first; the complaints are created in one transaction only when no row
    has an error. Returns (created, ticket numbers imported before and skipped, errors)."""
    rows, errors = _read(upload)
    by_name: dict[str, Unit] = {}
    for u in scope.restrict(Unit, actor).filter(is_active=True):
        for key in (u.name, u.short_name, u.code):
            if key:
                by_name.setdefault(key, u)
    categories: dict[str, Category] = {}
    for cat in Category.objects.filter(active=True):
        categories.setdefault(cat.name, cat)
        categories.setdefault(cat.code, cat)
    fallback = Category.objects.filter(code="other", active=True).first()
    offices: dict[int, bool] = {}
    seen: dict[str, int] = {}
    plans, skipped = [], []
    for r, row in rows:

        def err(col: str, msg: str, r=r) -> None:
            errors.append(RowError(r, col, msg))

        ticket = _text(row.get("ticket_no"))
        if not ticket:
            err("工单编号", _("工单编号不能为空 (the ticket number is required)"))
        elif ticket in seen:
            err(
                "工单编号",
                _("与第 %(row)d 行的工单编号重复 (duplicate ticket number)") % {"row": seen[ticket]},
            )
        else:
            seen[ticket] = r
        key = f"12345:{ticket}"
        unit = by_name.get(_text(row.get("unit")))
        if unit is None:
            err("被反映单位", _("找不到该单位，或不在您的管辖范围内 (unknown unit or outside your scope)"))
        elif unit.pk not in offices:
            try:
                services.receiving_office(unit)
                offices[unit.pk] = True
            except TransitionRefused:
                offices[unit.pk] = False
        if unit is not None and not offices.get(unit.pk):
            err("被反映单位", _("没有受理该单位投诉的效能办 (no office receives complaints about this unit)"))
        category_text = _text(row.get("category"))
        category = categories.get(category_text) if category_text else fallback
        if category is None:
            err("问题类别", _("无法识别的问题类别 (unknown category)"))
        content = _text(row.get("content"))
        if not content:
            err("诉求内容", _("诉求内容不能为空 (the content is required)"))
        name, phone = _text(row.get("name")), _text(row.get("phone"))
        id_number, email = _text(row.get("id_number")), _text(row.get("email"))
        flag = _text(row.get("anonymous")).lower()
        if flag in YES:
            anonymous = True
        elif flag in NO:
            anonymous = not name
        else:
            anonymous = False
            err("是否匿名", _("请填写“是”或“否” (yes or no)"))
        if phone and crypto.mask_phone(phone).startswith("*"):
            err("联系电话", _("联系电话格式不正确 (the phone number is not valid)"))
        if not anonymous and not (phone or email):
            err(
                "联系电话",
                _("实名投诉请留一种联系方式（电话或邮箱） (a named complaint needs a phone or e-mail)"),
            )
        try:
            called_at = _when(row.get("called_at"))
        except ValueError:
            called_at = None
            err("来电时间", _("时间格式应为 YYYY-MM-DD HH:MM (a date and time is expected)"))
        consent = _text(row.get("consent_publish")).lower() in YES
        if ticket and Complaint.objects.filter(idempotency_key=key).exists():
            skipped.append(ticket)
            continue
        prefix = _("【12345工单 %(no)s】") % {"no": ticket}
        if called_at is not None:
            prefix = _("【12345工单 %(no)s，来电时间 %(at)s】") % {
                "no": ticket,
                "at": called_at.strftime("%Y-%m-%d %H:%M"),
            }
        plans.append(
            dict(
                row=r,
                channel=Channel.HOTLINE_12345,
                category=category,
                subject_unit=unit,
                content=f"{prefix}\n{content}",
                anonymous=anonymous,
                name="" if anonymous else name,
                phone=phone,
                id_number="" if anonymous else id_number,
                email=email,
                location=_text(row.get("location")),
                consent_publish=consent,
                idempotency_key=key,
            )
        )
    if errors:
        return [], [], sorted(errors, key=lambda e: (e.row, e.column))
    created = []
    try:
        with transaction.atomic():
            for p in plans:
                r = p.pop("row")
                try:
                    complaint, _code, _new = services.submit(actor=actor, **p)
                    created.append(complaint)
                except TransitionRefused as exc:
                    errors.append(RowError(r, "", exc.message))
            if errors:
                raise _Rollback
            audit.record(
                AuditEventType.IMPORTED,
                actor=actor,
                object_type="complaints.12345",
                data={"rows": len(created), "skipped": len(skipped)},
            )
    except _Rollback:
        return [], [], errors
    return created, skipped, []


class _Rollback(Exception):
    pass
