"""Batch files of case events (批量文件): .csv (UTF-8 or GB18030, what approval systems export) or .xlsx (through
core.imports: zip-bomb and formula checks), one event per row, headers in Chinese or as the API's field names.
Each row becomes the same raw event the batch API takes, so a file goes through exactly the same intake and the
same anomaly rules; the file is taken in batches of `max_batch` rows, each its own transaction and batch record.
A file that cannot be read at all is refused as a whole."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from xiaoneng.core.imports import ImportRefused, read_rows

from . import ingest, presets
from .models import EventType, Procedure, Rating, SourceSystem

COLUMNS = {
    "事件编号": "event_id",
    "办件编号": "case_no",
    "事件类型": "type",
    "发生时间": "at",
    "事项编码": "matter",
    "窗口编码": "window",
    "收费金额": "amount",
    "评价": "rating",
    "特别程序": "procedure",
    "申请人手机号": "applicant_phone",
    "查询码": "query_code",
}
COLUMNS |= {v: v for v in list(COLUMNS.values())}
REQUIRED = {"event_id", "case_no", "type", "at"}
MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_CSV_ROWS = 200_000
TYPE_WORDS = {str(label): code for code, label in EventType.choices}
RATING_WORDS = {str(label): int(code) for code, label in Rating.choices}
PROCEDURE_WORDS = {str(label): code for code, label in Procedure.choices}


def _csv_rows(upload: Any) -> list[tuple[int, dict]]:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_CSV_BYTES:
        raise ImportRefused(_("文件超过 50 MB (the file is larger than 50 MB)"))
    upload.seek(0)
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise ImportRefused(_("文件超过 50 MB (the file is larger than 50 MB)"))
    if b"\0" in raw:
        raise ImportRefused(_("不是 CSV 文本文件 (not a CSV text file)"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise ImportRefused(_("无法识别文件编码，请使用 UTF-8 或 GBK (unknown encoding)"))
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportRefused(_("CSV 格式错误 (malformed CSV)")) from None
    header: dict[str, int] | None = None
    rows: list[tuple[int, dict]] = []
    for r, values in enumerate(lines, start=1):
        if header is None:
            cells = [v.strip() for v in values]
            if REQUIRED <= {COLUMNS.get(c) for c in cells if c in COLUMNS}:
                header = {COLUMNS[c]: i for i, c in enumerate(cells) if c in COLUMNS}
            elif r >= 5:
                break
            continue
        if all(not v.strip() for v in values):
            continue
        if len(rows) >= MAX_CSV_ROWS:
            raise ImportRefused(_("一个文件最多 %(n)d 行 (too many rows in one file)") % {"n": MAX_CSV_ROWS})
        rows.append((r, {k: (values[i].strip() if i < len(values) else "") for k, i in header.items()}))
    if header is None:
        raise ImportRefused(
            _("找不到表头行，须包含：事件编号、办件编号、事件类型、发生时间 (header row not found)")
        )
    return rows


def read(upload: Any) -> list[dict]:
    """The file's rows as raw events (with `row`, the spreadsheet row number, for the sender's reference)."""
    name = (getattr(upload, "name", "") or "").lower()
    if name.endswith(".xlsx"):
        rows, errors = read_rows(upload, columns=COLUMNS, required=REQUIRED)
        if errors:  # formula cells
            e = errors[0]
            raise ImportRefused(f"第 {e.row} 行 {e.column}：{e.message}")
    elif name.endswith(".csv"):
        rows = _csv_rows(upload)
    else:
        raise ImportRefused(_("请上传 .csv 或 .xlsx 文件 (upload a .csv or .xlsx file)"))
    return [_event(r, row) for r, row in rows]


def _event(r: int, row: dict) -> dict:
    out: dict[str, Any] = {"row": r}
    for key, value in row.items():
        if value in (None, ""):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if key == "type":
            value = TYPE_WORDS.get(str(value).strip(), str(value).strip())
        elif key == "rating":
            text = str(value).strip()
            value = RATING_WORDS.get(text, int(text) if text.isdigit() else text)
        elif key == "procedure":
            value = PROCEDURE_WORDS.get(str(value).strip(), str(value).strip())
        elif key == "at" and isinstance(value, datetime):
            value = value.isoformat()
        elif key in ("event_id", "case_no", "matter", "window", "applicant_phone", "query_code"):
            value = str(value)
        out[key] = value
    return out


def ingest_file(source: SourceSystem, upload: Any) -> list[ingest.Outcome]:
    """Read the file and take it in batches through the intake; returns each batch's outcome."""
    events = read(upload)
    size = int(presets.get("max_batch"))
    name = getattr(upload, "name", "")
    return [
        ingest.ingest(source, events[i : i + size], channel="file", filename=name)
        for i in range(0, len(events), size)
    ] or [ingest.ingest(source, [], channel="file", filename=name)]
