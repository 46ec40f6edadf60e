"""Official documents (公文): gap-free document numbers (发文字号), Word files in the GB/T 9704-2012 layout,
and the one function that issues a document.

    issued, data = documents.issue_document(
        actor=user, issuer=unit, series="督办", prefix="青效督", kind="督办通知单",
        doc_builder=lambda number: OfficialDocument(number=number, ...), obj=item,
    )
    return documents.docx_response(data, f"{issued.number}.docx")

Numbers: one `DocumentSerial` row per (issuing unit, year, series), locked FOR UPDATE in the issuing transaction.
A rolled-back issue gives its number back and concurrent issues queue on the row, so each series counts 1, 2, 3 …
with no gaps and no repeats (a number is consumed only when the document row is committed with it).

Layout (GB/T 9704-2012 《党政机关公文格式》), as far as a flowing Word document can hold it: A4, margins 37/35/28/26
mm (version 156 × 225 mm), 22 lines of 28 characters, red organ mark and red separator line, 2号小标宋 title,
3号仿宋 body, 版记 in 4号仿宋 between rules, page numbers “— 1 —” in 4号宋体 outside (odd right, even left).
What a flowing document cannot do: pin the 版记 to the bottom edge of the last page (it follows the signature),
and place a seal. See docs/documents.md.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.http import HttpResponse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor, Twips

from . import audit
from .models import DocumentSerial, IssuedDocument

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Object types (app_label.model_name) whose primary key is a work item's: a document about such an object is
# visible to whoever may see that work item (the unit a 督办通知单 is addressed to, say). Apps add theirs.
WORK_ITEM_OBJECTS: set[str] = {"core.workitem"}

# --- GB/T 9704-2012 measures -----------------------------------------------------------------------------------

# A4 as Word writes it (210 × 297 mm in twips).
PAGE_W, PAGE_H = Twips(11906), Twips(16838)
# Margins: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (版心 156 × 225 mm), in whole twips.
MARGIN_TOP, MARGIN_BOTTOM = Twips(2098), Twips(1984)
MARGIN_LEFT, MARGIN_RIGHT = Twips(1587), Twips(1474)
TEXT_W = Twips(11906 - 1587 - 1474)  # 8845 twips ≈ 442.25 pt
# The organ mark's top edge sits 35 mm below the top of the text area (GB/T 9704-2012 7.2.1).
MARK_TOP = Mm(35)
# Footer: the page number's dash line sits about 7 mm below the text area (bottom margin 35 mm).
FOOTER_DISTANCE = Twips(1247)  # 22 mm from the page edge to the footer's bottom

# 22 lines per page: 225 mm = 637.8 pt; Word stores exact line spacing in twips, and 22 × 29 pt (580 twips)
# = 638 pt would push the 22nd line onto the next page, so the usual template value is 28.95 pt (579 twips):
# 22 × 28.95 = 636.9 pt fits.
LINE = Pt(28.95)
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

# Chinese type sizes (字号).
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号

# Fonts: the names Chinese government machines carry; Word falls back to the altName in the font table
# (宋体 / 仿宋) where the GB2312 faces are missing.
FONT_XBS = "方正小标宋简体"  # 小标宋
FONT_FS = "仿宋_GB2312"  # 仿宋
FONT_SONG = "宋体"
FONT_FALLBACK = {FONT_XBS: "宋体", FONT_FS: "仿宋"}

RED = RGBColor(0xC0, 0x00, 0x00)
RED_HEX = "C00000"

# Borders are in eighths of a point: separator 1.5 pt, 版记 outer rules 0.35 mm ≈ 1 pt, inner rule 0.25 mm.
RULE_RED = 12
RULE_THICK = 8
RULE_THIN = 6


@dataclass(frozen=True, kw_only=True)
class OfficialDocument:
    """What goes onto the page. `number` is the 发文字号 from `allocate_number`; dates print in Arabic numerals
    without leading zeros ("2026年11月23日")."""

    issuer_mark: str  # 发文机关标志, e.g. "青江市机关效能建设领导小组办公室"
    number: str  # 发文字号, e.g. "青效督〔2026〕12号"
    title: str
    recipients: str  # 主送机关; the full-width colon is added
    paragraphs: Sequence[str]
    table: Sequence[tuple[str, str]] = ()  # (label, value) rows of a form such as 督办通知单
    signatory: str  # 发文机关署名
    date: date  # 成文日期
    cc: str = ""  # 抄送机关
    printed_by: str = ""  # 印发机关
    print_date: date | None = None  # 印发日期 (default: the 成文日期)


# --- numbers ---------------------------------------------------------------------------------------------------


def format_number(prefix: str, year: int, seq: int) -> str:
    """发文字号: 机关代字 + 〔年份〕(六角括号) + 发文顺序号 without leading zeros + 号."""
    return f"{prefix}〔{year}〕{seq}号"


def allocate_number(*, issuer: Any, year: int, series: str, prefix: str) -> tuple[int, str]:
    """The next number of `issuer`'s `series` in `year`: (seq, "青效督〔2026〕12号").

    Runs in the caller's transaction and holds the series row locked until it ends: if that transaction rolls
    back, the number was never used. Outside a transaction the number would be consumed before the document
    exists, so that is refused."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("allocate_number() must run inside transaction.atomic()")
    if not prefix or not series:
        raise ValueError("prefix and series are required")
    serial, _created = DocumentSerial.objects.select_for_update().get_or_create(
        issuer=issuer, year=year, series=series
    )
    serial.last += 1
    serial.save(update_fields=["last"])
    return serial.last, format_number(prefix, year, serial.last)


# --- the Word file ---------------------------------------------------------------------------------------------


def chinese_date(d: date) -> str:
    """成文日期 as GB/T 9704-2012 writes it: Arabic numerals, the year in full, no leading zeros."""
    return f"{d.year}年{d.month}月{d.day}日"


def _fonts(element: Any, name: str) -> None:
    """Set the ascii, hAnsi and east-asian font of a run or style: Word picks the font of Chinese text from
    w:eastAsia alone, so `font.name` (ascii/hAnsi) is not enough."""
    rfonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _run(paragraph: Any, text: str, *, font: str, size: Any, color: RGBColor | None = None) -> Any:
    run = paragraph.add_run(text)
    run.font.size = size
    _fonts(run._element, font)
    if color is not None:
        run.font.color.rgb = color
    return run


def _para(
    container: Any,
    *,
    align: Any = WD_PARAGRAPH_ALIGNMENT.JUSTIFY,
    exact: bool = True,
    before: Any = 0,
    first_line: Any = None,
    left: Any = None,
    right: Any = None,
) -> Any:
    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = align
    pf.space_before = Emu(before)
    pf.space_after = Emu(0)
    if exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = LINE
    else:
        pf.line_spacing = 1.0
    if first_line is not None:
        pf.first_line_indent = first_line
    if left is not None:
        pf.left_indent = left
    if right is not None:
        pf.right_indent = right
    return p


_AFTER_PBDR = (
    "w:shd w:tabs w:suppressAutoHyphens w:kinsoku w:wordWrap w:overflowPunct w:topLinePunct w:autoSpaceDE "
    "w:autoSpaceDN w:bidi w:adjustRightInd w:snapToGrid w:spacing w:ind w:contextualSpacing w:mirrorIndents "
    "w:suppressOverlap w:jc w:textDirection w:textAlignment w:textboxTightWrap w:outlineLvl w:divId "
    "w:cnfStyle w:rPr w:sectPr w:pPrChange"
).split()


def _border(paragraph: Any, side: str, *, size: int, color: str = "000000", space: int = 1) -> None:
    """A rule along one side of a paragraph (w:pBdr), as wide as the text area."""
    ppr = paragraph._p.get_or_add_pPr()
    pbdr = ppr.find(qn("w:pBdr"))
    if pbdr is None:
        pbdr = OxmlElement("w:pBdr")
        ppr.insert_element_before(pbdr, *_AFTER_PBDR)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), color)
    pbdr.append(edge)  # the children come in the schema's order: top, left, bottom, right


def _page_number(footer: Any, align: Any) -> None:
    """“— N —” in 4号半角宋体 with a PAGE field, one character in from the outer edge."""
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = align
    pf.space_before = pf.space_after = Emu(0)
    if align == WD_PARAGRAPH_ALIGNMENT.RIGHT:
        pf.right_indent = SIZE_4
    else:
        pf.left_indent = SIZE_4
    _run(p, "— ", font=FONT_SONG, size=SIZE_4)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = _run(p, "", font=FONT_SONG, size=SIZE_4)
        if kind is not None:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    _run(p, " —", font=FONT_SONG, size=SIZE_4)


def _font_table_fallbacks(document: Any) -> None:
    """Declare the GB2312 faces in the font table with an altName Word uses when they are not installed."""
    part = next(
        (p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None
    )
    if part is None:
        return
    root = parse_xml(part.blob)
    for name, alt in FONT_FALLBACK.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, val in (
            ("w:altName", alt),
            ("w:charset", "86"),
            ("w:family", "modern"),
            ("w:pitch", "fixed"),
        ):
            child = OxmlElement(tag)  # charset 86: GB2312
            child.set(qn("w:val"), val)
            font.append(child)
        root.append(font)
    part._blob = serialize_part_xml(root)


def _page_setup(document: Any) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = FOOTER_DISTANCE
    section.gutter = Emu(0)
    # The document grid: 22 lines, 28 characters. Word spaces each full-width character at the Normal font
    # size plus charSpace/4096 pt; 28 × 16 pt = 448 pt is a little wider than the 442 pt text area.
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    pitch = TEXT_W.pt / CHARS_PER_LINE
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(int(LINE.twips)))
    grid.set(qn("w:charSpace"), str(round((pitch - SIZE_3.pt) * 4096)))
    # Odd pages carry the page number on the right, even pages on the left.
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT)
    _page_number(section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT)


def _normal_style(document: Any) -> None:
    style = document.styles["Normal"]
    style.font.size = SIZE_3
    _fonts(style.element, FONT_FS)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    style.element.get_or_add_rPr().append(lang)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Emu(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE


def _table(document: Any, rows: Sequence[tuple[str, str]]) -> None:
    """A form (督办通知单 …): two columns, label and value, 4号仿宋, single rules all round."""
    table = document.add_table(rows=0, cols=2)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "4")
        edge.set(qn("w:space"), "0")
        edge.set(qn("w:color"), "000000")
        borders.append(edge)
    tblpr = table._tbl.tblPr
    tblpr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"
    )
    label_w = Twips(2268)  # 40 mm
    widths = (label_w, TEXT_W - label_w)
    for label, value in rows:
        cells = table.add_row().cells
        for cell, text, width, align in zip(
            cells,
            (label, value),
            widths,
            (WD_PARAGRAPH_ALIGNMENT.CENTER, WD_PARAGRAPH_ALIGNMENT.LEFT),
            strict=True,
        ):
            cell.width = width
            lines = str(text).split("\n")
            p = cell.paragraphs[0]
            for i, line in enumerate(lines):
                if i:
                    p = cell.add_paragraph()
                pf = p.paragraph_format
                pf.alignment = align
                pf.space_before = pf.space_after = Emu(0)
                pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
                pf.line_spacing = Pt(24)
                _run(p, line, font=FONT_FS, size=SIZE_4)


def render_docx(doc: OfficialDocument) -> bytes:
    """The document as .docx bytes in the GB/T 9704-2012 layout."""
    document = Document()
    _page_setup(document)
    _normal_style(document)
    _font_table_fallbacks(document)
    body = document._body
    # The template's empty first paragraph would push everything down by a line.
    for p in list(document.paragraphs):
        p._p.getparent().remove(p._p)

    # 版头: organ mark (red, 小标宋, centred) 35 mm down; the number two lines below it; a red rule 4 mm under it.
    p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.CENTER, exact=False, before=MARK_TOP)
    _run(p, doc.issuer_mark, font=FONT_XBS, size=SIZE_2, color=RED)
    p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.CENTER, before=LINE * 2)
    _run(p, doc.number, font=FONT_FS, size=SIZE_3)
    _border(p, "bottom", size=RULE_RED, color=RED_HEX, space=11)

    # 主体: the title two lines under the rule; 主送机关 one line under the title, flush left, full-width colon.
    p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.CENTER, exact=False, before=LINE * 2)
    for i, line in enumerate(doc.title.split("\n")):
        if i:
            p.add_run().add_break()
        _run(p, line, font=FONT_XBS, size=SIZE_2)
    if doc.recipients:
        p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.LEFT, before=LINE)
        _run(p, doc.recipients.rstrip("：:") + "：", font=FONT_FS, size=SIZE_3)
    for text in doc.paragraphs:
        p = _para(body, first_line=SIZE_3 * 2)
        _run(p, text, font=FONT_FS, size=SIZE_3)
    if doc.table:
        _table(document, doc.table)

    # 署名 and 成文日期: right-aligned, four characters in from the right edge; a line of room for the seal.
    p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.RIGHT, before=LINE * 2, right=SIZE_3 * 4)
    _run(p, doc.signatory, font=FONT_FS, size=SIZE_3)
    p = _para(body, align=WD_PARAGRAPH_ALIGNMENT.RIGHT, right=SIZE_3 * 4)
    _run(p, chinese_date(doc.date), font=FONT_FS, size=SIZE_3)

    # 版记: 抄送 and 印发 in 4号仿宋 between rules (thick outside, thin between), one character in on each side.
    if doc.cc or doc.printed_by:
        first = True
        if doc.cc:
            label = "抄送："
            cc = doc.cc if doc.cc.endswith("。") else doc.cc + "。"
            p = _para(
                body,
                before=LINE * 2,
                left=SIZE_4 * (1 + len(label)),
                first_line=-SIZE_4 * len(label),  # wrapped lines align with the first name after the colon
                right=SIZE_4,
            )
            _run(p, label + cc, font=FONT_FS, size=SIZE_4)
            _border(p, "top", size=RULE_THICK)
            first = False
        p = _para(body, before=LINE * 2 if first else 0, left=SIZE_4, right=SIZE_4)
        # Word measures tab stops from the left margin: this one ends at the right indent.
        p.paragraph_format.tab_stops.add_tab_stop(TEXT_W - SIZE_4, WD_TAB_ALIGNMENT.RIGHT)
        printed_on = doc.print_date or doc.date
        _run(p, f"{doc.printed_by}\t{chinese_date(printed_on)}印发", font=FONT_FS, size=SIZE_4)
        _border(p, "top", size=RULE_THICK if first else RULE_THIN)
        _border(p, "bottom", size=RULE_THICK)

    props = document.core_properties
    props.title = doc.title
    props.subject = doc.number
    props.author = props.last_modified_by = doc.signatory
    props.comments = ""
    props.keywords = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- issuing ---------------------------------------------------------------------------------------------------


def issue_document(
    *,
    actor: Any,
    issuer: Any,
    series: str,
    prefix: str,
    kind: str,
    doc_builder: Callable[[str], OfficialDocument],
    obj: Any = None,
    year: int | None = None,
) -> tuple[IssuedDocument, bytes]:
    """Issue one document, all or nothing: allocate the number, build the document with it, render it, keep a
    row with the file's SHA-256 and audit the issue. `year` defaults to this (local) year."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        seq, number = allocate_number(issuer=issuer, year=year, series=series, prefix=prefix)
        doc = doc_builder(number)
        if doc.number != number:
            raise ValueError(f"the document carries {doc.number!r}, not the allocated number {number!r}")
        data = render_docx(doc)
        digest = hashlib.sha256(data).hexdigest()
        issued = IssuedDocument.objects.create(
            issuer=issuer,
            year=year,
            series=series,
            seq=seq,
            number=number,
            title=doc.title[:300],
            kind=kind,
            object_type=f"{obj._meta.app_label}.{obj._meta.model_name}" if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            sha256=digest,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            audit.AuditEventType.EXPORTED,
            actor=actor,
            obj=obj if obj is not None else issued,
            data={"document": kind, "number": number, "sha256": digest, "issued_document": issued.pk},
        )
        _store(digest, data)
    return issued, data


def _path(digest: str) -> str:
    return f"documents/{digest[:2]}/{digest}.docx"


def _store(digest: str, data: bytes) -> None:
    """Keep the bytes handed out, addressed by their SHA-256 (a rolled-back issue leaves an unreferenced file
    that harms nothing; the same bytes are stored once)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    path = _path(digest)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))


def stored_docx(issued: IssuedDocument) -> bytes:
    """The exact file issued (the copy handed out), checked against the SHA-256 on record."""
    from django.core.files.storage import default_storage

    with default_storage.open(_path(issued.sha256), "rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != issued.sha256:
        raise RuntimeError(f"stored file of {issued.number} does not match its SHA-256")
    return data


def docx_response(data: bytes, filename: str) -> HttpResponse:
    """A download with a Chinese file name (RFC 6266 filename* for browsers, ASCII fallback for the rest)."""
    resp = HttpResponse(data, content_type=DOCX)
    resp["Content-Disposition"] = (
        f"attachment; filename=\"document.docx\"; filename*=UTF-8''{quote(filename)}"
    )
    return resp


# --- PDF -------------------------------------------------------------------------------------------------------


def to_pdf(docx_bytes: bytes, timeout: float = 120) -> bytes | None:
    """The document as PDF through LibreOffice headless, or None where LibreOffice is not installed (Debian
    `libreoffice-writer`; CJK faces from `fonts-noto-cjk`, FangSong-like ones from `fonts-arphic-*`).

    Each conversion runs with its own throw-away profile, so parallel conversions do not fight over one."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="xiaoneng-pdf-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(docx_bytes)
        result = subprocess.run(  # a fixed argument list, no shell
            [
                soffice,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(source),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        target = work / "document.pdf"
        if result.returncode != 0 or not target.is_file():
            raise RuntimeError(
                f"soffice could not convert the document (exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace')[-500:]}"
            )
        return target.read_bytes()
