"""Official documents: gap-free 发文字号 per (unit, year, series), the GB/T 9704-2012 Word layout, issuing with a
record and an audit row, and the optional PDF path."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
from datetime import date

import docx
import pytest
from django.db import close_old_connections, connection, transaction
from django.db.transaction import TransactionManagementError
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from xiaoneng.core import documents
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.documents import OfficialDocument, allocate_number, render_docx
from xiaoneng.core.models import AuditEvent, DocumentSerial, IssuedDocument, WorkItem
from xiaoneng.org.models import Unit

MARK = "青江市机关效能建设领导小组办公室"
TITLE = "关于督办东湖区老旧小区改造进度的通知"
BODY = [
    "根据市委、市政府工作部署，现将东湖区老旧小区改造工作列为市级督办事项，请认真组织办理。",
    "请于2026年12月1日前将办理情况书面报送市效能办。",
]
TABLE = [("督办事项", "老旧小区改造进度滞后"), ("责任单位", "东湖区住建局"), ("办理时限", "2026年12月1日")]


def official(number: str = "青效督〔2026〕12号", **over) -> OfficialDocument:
    fields = {
        "issuer_mark": MARK,
        "number": number,
        "title": TITLE,
        "recipients": "东湖区住建局",
        "paragraphs": BODY,
        "table": TABLE,
        "signatory": MARK,
        "date": date(2026, 11, 23),
        "cc": "市委办公室，市政府办公室",
        "printed_by": MARK,
        "print_date": date(2026, 11, 24),
    }
    fields.update(over)
    return OfficialDocument(**fields)


def allocate(unit: Unit, year: int = 2026, series: str = "督办", prefix: str = "青效督") -> tuple[int, str]:
    with transaction.atomic():
        return allocate_number(issuer=unit, year=year, series=series, prefix=prefix)


# --- numbering -------------------------------------------------------------------------------------------------


def test_numbers_run_on_per_unit_year_and_series(world):
    assert allocate(world.uc) == (1, "青效督〔2026〕1号")
    assert allocate(world.uc) == (2, "青效督〔2026〕2号")
    assert allocate(world.uc) == (3, "青效督〔2026〕3号")
    # Another series, another year, another unit: each counts from 1.
    assert allocate(world.uc, series="催办", prefix="青效催") == (1, "青效催〔2026〕1号")
    assert allocate(world.uc, year=2027) == (1, "青效督〔2027〕1号")
    assert allocate(world.ua, prefix="东效督") == (1, "东效督〔2026〕1号")
    assert allocate(world.uc) == (4, "青效督〔2026〕4号")
    serial = DocumentSerial.objects.get(issuer=world.uc, year=2026, series="督办")
    assert serial.last == 4
    assert str(serial) == f"督办〔2026〕4 (unit {world.uc.pk})"


def test_a_rolled_back_transaction_gives_its_number_back(world):
    assert allocate(world.uc) == (1, "青效督〔2026〕1号")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert allocate_number(issuer=world.uc, year=2026, series="督办", prefix="青效督")[0] == 2
        raise RuntimeError("the document could not be stored")
    assert allocate(world.uc) == (2, "青效督〔2026〕2号")
    # The very first number of a series comes back too (the serial row itself is rolled back).
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(issuer=world.ua, year=2026, series="督办", prefix="东效督")
        raise RuntimeError
    assert not DocumentSerial.objects.filter(issuer=world.ua).exists()
    assert allocate(world.ua, prefix="东效督") == (1, "东效督〔2026〕1号")


def test_two_numbers_in_one_transaction_are_consecutive(world):
    with transaction.atomic():
        first = allocate_number(issuer=world.uc, year=2026, series="督办", prefix="青效督")
        second = allocate_number(issuer=world.uc, year=2026, series="督办", prefix="青效督")
    assert (first[0], second[0]) == (1, 2)
    assert second[1] == "青效督〔2026〕2号"


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_no_number_is_handed_out():
    with pytest.raises(TransactionManagementError):
        allocate_number(issuer=None, year=2026, series="督办", prefix="青效督")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_queue_on_the_serial_row():
    """Four threads, each allocating in its own transactions: every number once, none skipped."""
    from xiaoneng.org.models import Region, RegionLevel, UnitType

    region = Region.objects.create(code="990100", name="青江市", level=RegionLevel.CITY)
    unit = Unit.objects.create(
        code="990100-XNB", name="青江市效能办", type=UnitType.GOVERNMENT, region=region
    )
    got: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work():
        try:
            start.wait()
            for _ in range(10):
                got.append(allocate(unit)[0])
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == list(range(1, 41))


# --- the Word file ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered() -> docx.document.Document:
    return docx.Document(io.BytesIO(render_docx(official())))


def paragraph(d, text: str):
    return next(p for p in d.paragraphs if p.text == text)


def east_asian(run) -> str | None:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def mm(length) -> float:
    return length / Mm(1)


def test_a4_with_the_gbt_9704_margins(rendered):
    s = rendered.sections[0]
    assert abs(mm(s.page_width) - 210) < 0.5 and abs(mm(s.page_height) - 297) < 0.5
    assert abs(mm(s.top_margin) - 37) < 0.5
    assert abs(mm(s.bottom_margin) - 35) < 0.5
    assert abs(mm(s.left_margin) - 28) < 0.5
    assert abs(mm(s.right_margin) - 26) < 0.5
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars" and grid.get(qn("w:linePitch")) == "579"


def test_the_head_the_organ_mark_in_red_the_number_and_a_red_rule(rendered):
    mark = rendered.paragraphs[0]
    assert mark.text == MARK
    assert mark.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER
    run = mark.runs[0]
    assert run.font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert run.font.size == Pt(22)
    assert east_asian(run) == "方正小标宋简体"
    number = rendered.paragraphs[1]
    assert number.text == "青效督〔2026〕12号"
    assert number.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER
    assert number.runs[0].font.size == Pt(16) and east_asian(number.runs[0]) == "仿宋_GB2312"
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "C00000" and rule.get(qn("w:val")) == "single"


def test_title_recipients_and_body(rendered):
    title = paragraph(rendered, TITLE)
    assert title.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER
    assert title.runs[0].font.size == Pt(22)
    assert east_asian(title.runs[0]) == "方正小标宋简体"
    recipients = paragraph(rendered, "东湖区住建局：")  # full-width colon
    assert recipients.alignment == WD_PARAGRAPH_ALIGNMENT.LEFT
    for text in BODY:
        p = paragraph(rendered, text)
        run = p.runs[0]
        assert run.font.size == Pt(16)
        assert east_asian(run) == "仿宋_GB2312"
        assert run.font.name == "仿宋_GB2312"  # ascii too
        assert p.paragraph_format.first_line_indent == Pt(32)  # two characters
        assert p.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert p.paragraph_format.line_spacing == Pt(28.95)  # 22 lines on a 225 mm text area


def test_every_run_names_its_east_asian_font(rendered):
    runs = [r for p in rendered.paragraphs for r in p.runs if r.text]
    runs += [r for c in rendered.tables[0]._cells for p in c.paragraphs for r in p.runs if r.text]
    assert runs and all(east_asian(r) and r.font.name == east_asian(r) for r in runs)


def test_signature_and_date_right_aligned_four_characters_in(rendered):
    for text in (MARK, "2026年11月23日"):
        p = [p for p in rendered.paragraphs if p.text == text][-1]
        assert p.alignment == WD_PARAGRAPH_ALIGNMENT.RIGHT
        assert p.paragraph_format.right_indent == Pt(64)


def test_the_form_table_has_its_rows_and_borders(rendered):
    table = rendered.tables[0]
    assert [(r.cells[0].text, r.cells[1].text) for r in table.rows] == TABLE
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {e.tag.split("}")[1] for e in borders} >= {"top", "left", "bottom", "right", "insideH", "insideV"}
    assert table.rows[0].cells[1].paragraphs[0].runs[0].font.size == Pt(14)


def test_no_table_when_none_is_given():
    d = docx.Document(io.BytesIO(render_docx(official(table=()))))
    assert not d.tables


def test_the_back_matter_between_rules(rendered):
    cc = paragraph(rendered, "抄送：市委办公室，市政府办公室。")
    printed = paragraph(rendered, f"{MARK}\t2026年11月24日印发")
    assert printed._p is rendered.paragraphs[-1]._p
    for p in (cc, printed):
        assert p.runs[0].font.size == Pt(14) and east_asian(p.runs[0]) == "仿宋_GB2312"
    assert cc._p.pPr.find(qn("w:pBdr")).find(qn("w:top")) is not None
    rules = printed._p.pPr.find(qn("w:pBdr"))
    assert rules.find(qn("w:top")) is not None and rules.find(qn("w:bottom")) is not None


def test_page_numbers_odd_right_even_left_with_a_page_field(rendered):
    assert rendered.settings.odd_and_even_pages_header_footer is True
    s = rendered.sections[0]
    for footer, align in (
        (s.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT),
        (s.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT),
    ):
        p = footer.paragraphs[0]
        assert p.alignment == align
        instr = [e.text for e in p._p.iter(qn("w:instrText"))]
        assert [t.strip() for t in instr] == ["PAGE"]
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert p.runs[0].font.size == Pt(14) and east_asian(p.runs[0]) == "宋体"


def test_dates_in_arabic_numerals_without_leading_zeros():
    assert documents.chinese_date(date(2026, 1, 5)) == "2026年1月5日"


# --- issuing ---------------------------------------------------------------------------------------------------


def test_issue_document_numbers_stores_and_audits(world):
    actor = world.city_supervisor
    item = WorkItem.objects.create(
        kind="task",
        title="老旧小区改造",
        state="open",
        owner_unit=world.ua,
        region_path="x",
        started_at="2026-11-23T09:00:00+08:00",
        limit="5wd",
    )
    built: list[str] = []

    def build(number: str) -> OfficialDocument:
        built.append(number)
        return official(number)

    issued, data = documents.issue_document(
        actor=actor,
        issuer=world.uc,
        series="督办",
        prefix="青效督",
        kind="督办通知单",
        doc_builder=build,
        obj=item,
        year=2026,
    )
    assert built == ["青效督〔2026〕1号"]
    assert issued.number == "青效督〔2026〕1号" and issued.seq == 1 and str(issued) == issued.number
    assert issued.sha256 == hashlib.sha256(data).hexdigest()
    assert (issued.object_type, issued.object_id) == ("core.workitem", str(item.pk))
    assert issued.created_by == actor and issued.kind == "督办通知单" and issued.title == TITLE
    assert docx.Document(io.BytesIO(data)).paragraphs[1].text == "青效督〔2026〕1号"
    event = AuditEvent.objects.get(event_type=AuditEventType.EXPORTED)
    assert event.actor_id == actor.pk
    assert (event.object_type, event.object_id) == ("core.workitem", str(item.pk))
    assert event.data["document"] == "督办通知单" and event.data["number"] == "青效督〔2026〕1号"
    assert event.data["sha256"] == issued.sha256 and event.data["issued_document"] == issued.pk

    again, _ = documents.issue_document(
        actor=actor,
        issuer=world.uc,
        series="督办",
        prefix="青效督",
        kind="催办单",
        doc_builder=official,
        year=2026,
    )
    assert again.seq == 2
    # Without an object the audit row points at the issued document itself.
    assert AuditEvent.objects.filter(object_type="core.issueddocument", object_id=str(again.pk)).exists()


def test_a_failed_issue_leaves_no_trace(world):
    def broken(number: str) -> OfficialDocument:
        raise ValueError("no recipients")

    with pytest.raises(ValueError):
        documents.issue_document(
            actor=world.city_supervisor,
            issuer=world.uc,
            series="督办",
            prefix="青效督",
            kind="督办通知单",
            doc_builder=broken,
            year=2026,
        )
    # A builder that ignores the number it was given is refused.
    with pytest.raises(ValueError, match="allocated number"):
        documents.issue_document(
            actor=world.city_supervisor,
            issuer=world.uc,
            series="督办",
            prefix="青效督",
            kind="督办通知单",
            doc_builder=lambda number: official("青效督〔2026〕99号"),
            year=2026,
        )
    assert not IssuedDocument.objects.exists()
    assert not AuditEvent.objects.filter(event_type=AuditEventType.EXPORTED).exists()
    assert allocate(world.uc) == (1, "青效督〔2026〕1号")


def test_docx_response_names_the_file_in_chinese():
    resp = documents.docx_response(b"PK", "青效督〔2026〕1号.docx")
    assert resp["Content-Type"] == documents.DOCX
    assert "filename*=UTF-8''%E9%9D%92" in resp["Content-Disposition"]
    assert 'filename="document.docx"' in resp["Content-Disposition"]


# --- PDF -------------------------------------------------------------------------------------------------------


def test_no_pdf_without_libreoffice(monkeypatch):
    monkeypatch.setattr(documents.shutil, "which", lambda name: None)
    assert documents.to_pdf(b"PK") is None


def test_pdf_through_libreoffice():
    if shutil.which("soffice") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: LibreOffice (soffice) is required to convert documents to PDF")
        pytest.skip("LibreOffice (soffice) is not installed")
    pdf = documents.to_pdf(render_docx(official()))
    assert pdf is not None and pdf.startswith(b"%PDF")
