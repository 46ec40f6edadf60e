"""Attachments from the public: the type is read from the bytes, photos lose every byte of EXIF (GPS, device,
time) and Word files their authors, only the cleaned copy is stored (with its SHA-256), and what cannot be
cleaned is refused with nothing created."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.complaints.test_portal import complaint_data, form_tokens, submitted
from xiaoneng.complaints import attachments
from xiaoneng.complaints.models import Complaint

CANARY = "CanaryCam-王举报"


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def jpeg_with_exif() -> bytes:
    im = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = CANARY  # Make
    exif[0x0110] = "Model-" + CANARY  # Model
    exif[0x0112] = 6  # orientation: rotate 90° to stand upright
    gps = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", CANARY)
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def docx_with_author() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("东湖区住建局窗口让我跑了三次。")
    doc.core_properties.author = CANARY
    doc.core_properties.last_modified_by = CANARY
    doc.core_properties.comments = CANARY
    out = io.BytesIO()
    doc.save(out)
    # A tracked change signed by the author, as Word writes it.
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                body = body.replace(
                    b"<w:body>",
                    f'<w:body><w:p><w:ins w:id="1" w:author="{CANARY}" w:date="2026-01-01T00:00:00Z">'
                    f"<w:r><w:t>补充</w:t></w:r></w:ins></w:p>".encode(),
                )
            if info.filename == "docProps/app.xml":
                body = body.replace(b"</Properties>", f"<Company>{CANARY}</Company></Properties>".encode())
            dst.writestr(info, body)
    return rebuilt.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_photos_lose_exif_and_stand_upright():
    clean = attachments.clean(upload("IMG_0001.jpg", jpeg_with_exif()))
    assert clean.ext == "jpg" and clean.content_type == "image/jpeg"
    assert CANARY.encode() not in clean.data and b"Exif" not in clean.data
    im = Image.open(io.BytesIO(clean.data))
    assert not im.getexif() and im.size == (30, 40)  # rotated by its orientation tag, then the tag dropped


def test_png_text_chunks_are_dropped():
    clean = attachments.clean(upload("a.png", png_with_text()))
    assert clean.ext == "png" and CANARY.encode() not in clean.data


def test_docx_loses_its_authors():
    clean = attachments.clean(upload("举报.docx", docx_with_author()))
    assert clean.ext == "docx"
    z = zipfile.ZipFile(io.BytesIO(clean.data))
    everything = b"".join(z.read(n) for n in z.namelist())
    assert CANARY.encode() not in everything
    assert "东湖区住建局窗口让我跑了三次。".encode() in everything  # the content stays
    from docx import Document

    doc = Document(io.BytesIO(clean.data))  # still a valid Word file
    assert doc.core_properties.author in ("", None)


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("scan.pdf", b"%PDF-1.7\n" + b"0" * 100, "PDF"),
        ("x.gif", b"GIF89a" + b"0" * 100, "只接受照片"),
        ("evil.html", b"<html><script>alert(1)</script>", "只接受照片"),
        ("photo.jpg", b"\xff\xd8\xff" + b"garbage" * 10, "图片已损坏"),
        ("fake.docx", b"PK\x03\x04" + b"0" * 50, "Word 文件已损坏"),
    ],
)
def test_what_cannot_be_cleaned_is_refused(name, data, words):
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean(upload(name, data))
    assert words in e.value.message


def test_a_zip_that_is_not_a_word_file_or_has_macros_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(attachments.AttachmentRefused):
        attachments.clean(upload("x.docx", out.getvalue()))
    macro = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_with_author())) as src, zipfile.ZipFile(macro, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/vbaProject.bin", b"\0" * 10)
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean(upload("m.docx", macro.getvalue()))
    assert "宏" in e.value.message


def test_size_and_count_limits(settings):
    settings.XIAONENG_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(attachments.AttachmentRefused):
        attachments.clean(upload("big.jpg", jpeg_with_exif()))
    settings.XIAONENG_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean_all([upload(f"{i}.png", png_with_text()) for i in range(6)])
    assert "5" in e.value.message


def test_a_decompression_bomb_is_refused(settings):
    settings.XIAONENG_ATTACHMENT_MAX_PIXELS = 99
    with pytest.raises(attachments.AttachmentRefused):
        attachments.clean(upload("huge.png", png_with_text()))


def test_the_portal_stores_only_the_cleaned_copy(world, office, category, client):
    data = complaint_data(world, category)
    data.update(form_tokens(client))
    data["attachments"] = [
        upload("王举报家门口.jpg", jpeg_with_exif(), "image/jpeg"),
        upload("材料.docx", docx_with_author()),
    ]
    tracking, _code = submitted(client, client.post("/portal/submit/", data))
    c = Complaint.objects.get(tracking_no=tracking)
    rows = list(c.attachments.order_by("id"))
    assert [r.name for r in rows] == ["attachment-1.jpg", "attachment-2.docx"]  # no original names kept
    for r in rows:
        stored = r.file.read()
        assert CANARY.encode() not in stored and "王举报".encode() not in r.file.name.encode()
        assert r.sha256 == hashlib.sha256(stored).hexdigest() and r.size == len(stored)
        assert not r.for_unit  # staff decide what goes to the unit


def test_a_refused_attachment_creates_nothing(world, office, category, client):
    data = complaint_data(world, category)
    data.update(form_tokens(client))
    data["attachments"] = [upload("scan.pdf", b"%PDF-1.4 " + b"0" * 100)]
    resp = client.post("/portal/submit/", data)
    assert resp.status_code == 400 and "PDF" in resp.content.decode()
    assert not Complaint.objects.exists()


# --- PDF ------------------------------------------------------------------------------------------------------


PDF_MARK = "CanaryPdf77"  # ASCII: PDF writes other text as escaped UTF-16, which a byte search would miss


def pdf_full_of_identity() -> bytes:
    """A PDF that carries the complainant everywhere a PDF can: document info, XMP on the catalog, the page and
    the picture, EXIF and a comment inside the embedded JPEG, a sticky note with its author, a file attachment,
    JavaScript, an outline entry — and an earlier revision (an incremental save) with the author's name that the
    last revision replaced. Streams are written uncompressed so a surviving marker shows in the bytes."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    jpeg = bytearray(jpeg_with_exif())
    comment = b"COM-" + PDF_MARK.encode()
    jpeg[2:2] = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment  # a JPEG comment segment
    with Image.open(io.BytesIO(bytes(jpeg))) as im:
        width, height = im.size
    image = DecodedStreamObject()
    image.set_data(bytes(jpeg))
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(width),
            NameObject("/Height"): NumberObject(height),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )

    def xmp(tag):
        s = DecodedStreamObject()
        s.set_data(
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{PDF_MARK}-{tag}</dc:creator></x:xmpmeta>'.encode()
        )
        s.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
        return writer._add_object(s)

    image[NameObject("/Metadata")] = xmp("image")
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
    )
    content = DecodedStreamObject()
    content.set_data(b"q 100 0 0 75 50 60 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Metadata")] = xmp("page")
    page[NameObject("/PieceInfo")] = DictionaryObject(
        {
            NameObject("/WPS"): DictionaryObject(
                {NameObject("/Private"): TextStringObject(PDF_MARK + "-piece")}
            )
        }
    )
    note = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Text"),
            NameObject("/Rect"): ArrayObject(
                [NumberObject(0), NumberObject(0), NumberObject(20), NumberObject(20)]
            ),
            NameObject("/T"): TextStringObject(PDF_MARK + "-author"),
            NameObject("/Contents"): TextStringObject("批注：" + PDF_MARK),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(note)])
    writer.add_metadata(
        {"/Author": PDF_MARK + "Info", "/Title": "王举报的投诉材料", "/Creator": "WPS " + PDF_MARK}
    )
    writer.root_object[NameObject("/Metadata")] = xmp("catalog")
    writer.add_attachment("身份证.txt", ("身份证 " + PDF_MARK).encode())
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(f"app.alert('{PDF_MARK}-js');"),
        }
    )
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(script)
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(script)})
    writer.add_outline_item(title=PDF_MARK + "-outline", page_number=0)
    for s in writer._objects:  # keep every stream readable in the bytes
        if hasattr(s, "decoded_self"):
            s.decoded_self = None
    first = io.BytesIO()
    writer.write(first)
    # An incremental save that renames the author: the earlier revision stays in the file.
    appended = PdfWriter(PdfReader(io.BytesIO(first.getvalue())), incremental=True)
    appended.add_metadata({"/Author": "匿名"})
    second = io.BytesIO()
    appended.write(second)
    data = second.getvalue()
    assert (PDF_MARK + "Info").encode() in data  # the earlier revision still names him
    return data


def _all_text(pdf: bytes) -> bytes:
    """Every byte of the file and every stream decoded, to look for what must be gone."""
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

    reader = PdfReader(io.BytesIO(pdf))
    parts = [pdf]
    for num in range(1, reader.trailer["/Size"]):
        try:
            obj = reader.get_object(num)
        except Exception:
            continue
        if isinstance(obj, StreamObject):
            try:
                parts.append(obj.get_data())
            except Exception:
                parts.append(obj._data)
    return b"\n".join(parts)


def test_a_pdf_keeps_its_pages_and_loses_every_trace_of_its_author():
    from pypdf import PdfReader

    original = pdf_full_of_identity()
    assert PDF_MARK.encode() in _all_text(original) and b"CanaryCam" in original
    clean = attachments.clean(upload("王举报的材料.pdf", original, "application/pdf"))
    assert clean.ext == "pdf" and clean.content_type == "application/pdf"
    found = _all_text(clean.data)
    assert PDF_MARK.encode() not in found and b"CanaryCam" not in found  # (CanaryCam: the photo's EXIF)
    reader = PdfReader(io.BytesIO(clean.data))
    assert len(reader.pages) == 1 and reader.metadata in (None, {}) and reader.xmp_metadata is None
    assert "/Names" not in reader.trailer["/Root"] and "/Outlines" not in reader.trailer["/Root"]
    assert "/Annots" not in reader.pages[0]
    # The picture is still there and still decodes to the same size (its pixels untouched).
    (img,) = reader.pages[0].images
    assert img.image.size == Image.open(io.BytesIO(jpeg_with_exif())).size
    assert not img.image.getexif()


def test_pdfs_that_cannot_be_cleaned_are_refused(settings):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.encrypt(user_password="secret", owner_password="owner")
    locked = io.BytesIO()
    w.write(locked)
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean(upload("locked.pdf", locked.getvalue()))
    assert "加密" in e.value.message
    settings.XIAONENG_ATTACHMENT_PDF_MAX_PAGES = 2
    long = PdfWriter()
    for _ in range(3):
        long.add_blank_page(100, 100)
    out = io.BytesIO()
    long.write(out)
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean(upload("long.pdf", out.getvalue()))
    assert "页" in e.value.message
    with pytest.raises(attachments.AttachmentRefused) as e:
        attachments.clean(upload("cut.pdf", out.getvalue()[: len(out.getvalue()) // 3]))
    assert "PDF" in e.value.message


def test_an_encrypted_pdf_with_an_empty_user_password_is_opened_and_cleaned():
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    w.add_blank_page(100, 100)
    w.add_metadata({"/Author": PDF_MARK})
    w.encrypt(user_password="", owner_password="owner-only")
    out = io.BytesIO()
    w.write(out)
    clean = attachments.clean(upload("scan.pdf", out.getvalue()))
    reader = PdfReader(io.BytesIO(clean.data))
    assert not reader.is_encrypted and len(reader.pages) == 1 and PDF_MARK.encode() not in clean.data


def test_the_portal_takes_a_pdf_and_stores_the_clean_copy(world, office, category, client):
    data = complaint_data(world, category)
    data.update(form_tokens(client))
    data["attachments"] = [upload("王举报的材料.pdf", pdf_full_of_identity(), "application/pdf")]
    tracking, _code = submitted(client, client.post("/portal/submit/", data))
    (row,) = Complaint.objects.get(tracking_no=tracking).attachments.all()
    stored = row.file.read()
    assert row.name == "attachment-1.pdf" and PDF_MARK.encode() not in _all_text(stored)
    assert b"CanaryCam" not in _all_text(stored)
