"""Excel exports in the standard ledger layout (台帐): a title row, a subtitle (who, when, which filter), a header
row, then one row per record with 序号. Every list exports through here.

Cells that a spreadsheet could read as a formula (= + - @, tab, CR at the start) are written as text with Excel's
quote prefix, so an exported complaint text can never run as a formula (CSV/formula injection).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def ledger_xlsx(*, title: str, subtitle: str, columns: list[Column], rows: Iterable[Any]) -> bytes:
    """The workbook's bytes: A4 landscape, header repeated on every printed page, fitted to the page width."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(title[:31].replace("/", "-"))
    font = "宋体"
    f_title = wb.add_format(
        {"bold": True, "font_size": 16, "font_name": "黑体", "align": "center", "valign": "vcenter"}
    )
    f_sub = wb.add_format({"font_size": 10, "font_name": font, "align": "right"})
    f_head = wb.add_format(
        {
            "bold": True,
            "font_name": font,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bg_color": "#D9E1F2",
        }
    )
    f_cell = wb.add_format({"font_name": font, "border": 1, "valign": "top", "text_wrap": True})
    f_text_guarded = wb.add_format(
        {"font_name": font, "border": 1, "valign": "top", "text_wrap": True, "quote_prefix": True}
    )
    f_num = wb.add_format({"font_name": font, "border": 1, "valign": "top", "align": "center"})
    f_date = wb.add_format({"font_name": font, "border": 1, "valign": "top", "num_format": "yyyy-mm-dd"})
    f_dt = wb.add_format({"font_name": font, "border": 1, "valign": "top", "num_format": "yyyy-mm-dd hh:mm"})
    all_cols = [Column("序号", lambda _r: None, 6), *columns]
    last = len(all_cols) - 1
    ws.merge_range(0, 0, 0, last, title, f_title)
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, last, subtitle, f_sub)
    for c, col in enumerate(all_cols):
        ws.write_string(2, c, col.header, f_head)
        ws.set_column(c, c, col.width)
    ws.freeze_panes(3, 0)
    r = 3
    for n, row in enumerate(rows, start=1):
        ws.write_number(r, 0, n, f_num)
        for c, col in enumerate(columns, start=1):
            _write(ws, r, c, col.value(row), f_cell, f_text_guarded, f_num, f_date, f_dt)
        r += 1
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(0, 2)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C— &P —")
    wb.close()
    return out.getvalue()


def _write(ws, r, c, value, f_cell, f_guarded, f_num, f_date, f_dt) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, f_cell)
    elif isinstance(value, bool):
        ws.write_string(r, c, "是" if value else "否", f_cell)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, f_num)
    elif isinstance(value, datetime):
        ws.write_datetime(
            r, c, timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value, f_dt
        )
    elif isinstance(value, date):
        ws.write_datetime(r, c, value, f_date)  # Excel dates carry no time zone
    else:
        text = str(value)
        ws.write_string(r, c, text, f_guarded if text.startswith(DANGEROUS_START) else f_cell)


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """A download with a Chinese file name (RFC 6266 filename* for browsers, ASCII fallback for the rest)."""
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return resp
