"""Excel imports: all-or-nothing with row-level errors, safe against malicious workbooks.

`read_rows(upload, columns=…)` checks the file before any parser touches it (size, a real zip, entry count and
uncompressed size against zip bombs; XML parsed through defusedxml by openpyxl), reads values only (no formula is
evaluated; a formula cell is an error), finds the header row among the first rows (the standard ledger has a
title above it), and returns one dict per data row with its spreadsheet row number. Errors name the row and the
column, in Chinese and English. The caller validates every row, and writes nothing unless every row is right.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_ENTRIES = 500
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (1-based), 0 for the file itself
    column: str
    message: str


class ImportRefused(Exception):
    """The file as a whole cannot be read (too big, not xlsx, a zip bomb, no header row …)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_container(upload: Any) -> None:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportRefused("文件超过 5 MB (the file is larger than 5 MB)")
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES:
                raise ImportRefused("文件结构异常：条目过多 (too many entries in the workbook)")
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
                raise ImportRefused("文件解压后过大，已拒绝 (the workbook expands too much; refused)")
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise ImportRefused("不是 Excel 工作簿 (.xlsx) (not an .xlsx workbook)")
    except zipfile.BadZipFile:
        raise ImportRefused("不是 Excel 工作簿 (.xlsx) (not an .xlsx workbook)") from None
    upload.seek(0)


def read_rows(
    upload: Any, *, columns: dict[str, str], required: set[str]
) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Rows of the first sheet as {key: value} by the header names in `columns` ({"事项": "title", …})."""
    import openpyxl

    _check_container(upload)
    try:
        wb = openpyxl.load_workbook(upload, read_only=True, data_only=False)
    except Exception as exc:  # a corrupt workbook in any of the ways openpyxl notices
        raise ImportRefused(f"无法读取工作簿 (cannot read the workbook): {exc.__class__.__name__}") from None
    ws = wb.worksheets[0]
    errors: list[RowError] = []
    rows: list[tuple[int, dict]] = []
    header_at: dict[str, int] | None = None
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if header_at is None:
            cells = [str(v).strip() if v is not None else "" for v in values]
            if required <= {columns.get(c) for c in cells if c in columns}:
                header_at = {columns[c]: i for i, c in enumerate(cells) if c in columns}
            elif r >= 5:
                break
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(f"一次最多导入 {MAX_ROWS} 行 (at most {MAX_ROWS} rows per import)")
        row: dict[str, Any] = {}
        for key, i in header_at.items():
            v = values[i] if i < len(values) else None
            if isinstance(v, str):
                v = v.strip()
                if v.startswith("="):
                    header = next(h for h, k in columns.items() if k == key)
                    errors.append(RowError(r, header, "不接受公式，请填写数值 (formulas are not accepted)"))
                    v = None
            row[key] = v
        rows.append((r, row))
    wb.close()
    if header_at is None:
        missing = [h for h, k in columns.items() if k in required]
        raise ImportRefused("找不到表头行，须包含：" + "、".join(missing) + " (header row not found)")
    if not rows and not errors:
        raise ImportRefused("没有数据行 (no data rows)")
    return rows, errors


def as_date(value: Any) -> date | None:
    """A date from a date cell or a "YYYY-MM-DD" / "YYYY/MM/DD" / "YYYY年M月D日" text; None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace("年", "-").replace("月", "-").replace("日", "")
    return date.fromisoformat("-".join(p.zfill(2) if i else p for i, p in enumerate(text.split("-"))))
