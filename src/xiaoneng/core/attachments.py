"""Uploaded files made safe to keep: checked on content, cleaned, and only the cleaned copy is stored. Shared by
every capability that takes files (complaints' attachments, inspection photos, supervision's evidence); each keeps
its own model and storage (complaints/attachments.py, supervision/evidence.py).

A photo carries EXIF (the phone's make and serial, the time, often the GPS position of the complainant's home);
a Word file carries its author, the last editor, the company and the commenters' names. Any of these can tell
the unit complained about who complained (SPEC §2, whistleblower protection). So:

- the type is decided by the bytes (magic numbers), never by the file name or the browser's claim;
- images (JPEG, PNG, WebP) are decoded with Pillow (size checked first, against decompression bombs), turned
  upright by their orientation tag and re-encoded from the pixels alone: no EXIF, XMP, ICC or text chunks;
- .docx files are rewritten part by part: core/app/custom properties replaced by empty ones, author and
  initials attributes (tracked changes, comments, people) blanked, embedded images re-encoded like photos;
  macro-enabled or malformed packages and zip bombs are refused;
- PDF files are rebuilt page by page with pypdf into a new file (`clean_pdf`): only the pages and what they draw
  are copied — no document information (author, producer, dates), no catalog (outlines, forms, embedded files,
  JavaScript, open actions, the structure tree), no earlier revisions an incremental save kept, a new file
  identifier; on every copied object the XMP streams (/Metadata), application data (/PieceInfo), thumbnails,
  annotations (comments and their authors, links, form widgets, file attachments) and actions are removed, and
  the JPEG images keep their pixels but lose every APPn segment but JFIF/Adobe (EXIF, XMP, ICC, IPTC) and their
  comments. Encrypted files (beyond an empty user password), JPEG 2000 images and unreadable files are refused;
- every other type is refused.

The stored file gets a neutral name; the original name is not kept (it can be "张三的举报.docx").
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024  # per file
MAX_TOTAL = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera; above it Pillow would risk a bomb
DOCX_MAX_ENTRIES = 500
PDF_MAX_PAGES = 200
PDF_TYPE = "application/pdf"
DOCX_MAX_UNCOMPRESSED = 100 * 1024 * 1024

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class AttachmentRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CleanFile:
    data: bytes
    ext: str
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def limit(name: str, default: int) -> int:
    return int(getattr(settings, f"XIAONENG_ATTACHMENT_{name}", default))


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"%PDF"):
        return "pdf"
    return None


def clean_image(data: bytes) -> CleanFile:
    """Re-encode an image from its pixels only (upright, no metadata)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
        if fmt not in IMAGE_FORMATS:
            raise AttachmentRefused(_("只接受 JPEG、PNG、WebP 格式的图片 (only JPEG, PNG and WebP images)"))
        if width * height > limit("MAX_PIXELS", MAX_PIXELS):
            raise AttachmentRefused(_("图片尺寸过大 (the image is too large)"))
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            upright = ImageOps.exif_transpose(im)
            if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
            pixels = upright.copy()
    except AttachmentRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise AttachmentRefused(_("图片已损坏或无法识别 (the image cannot be read)")) from None
    pixels.info = {}  # nothing of the original's metadata goes to the encoder
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        pixels.save(out, "PNG", optimize=True)
    else:
        pixels.save(out, "WEBP", quality=90)
    ext, content_type = IMAGE_FORMATS[fmt]
    return CleanFile(out.getvalue(), ext, content_type)


_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
# Attributes that name people inside the document parts (tracked changes, comments, people.xml).
_PERSON_ATTRS = re.compile(rb'\b(w:author|w:initials|w15:author|w15:userId|w15:providerId)="[^"]*"')
_PRESENCE = re.compile(rb"<w15:presenceInfo\b[^>]*/>")


def clean_docx(data: bytes) -> CleanFile:
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        infos = src.infolist()
    except zipfile.BadZipFile:
        raise AttachmentRefused(_("Word 文件已损坏 (the .docx file cannot be read)")) from None
    names = {i.filename for i in infos}
    if len(infos) > DOCX_MAX_ENTRIES or sum(i.file_size for i in infos) > DOCX_MAX_UNCOMPRESSED:
        raise AttachmentRefused(_("文件结构异常，已拒绝 (the file expands too much; refused)"))
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise AttachmentRefused(_("只接受 .docx 格式的 Word 文件 (only .docx Word files)"))
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise AttachmentRefused(_("不接受含宏的文件 (files with macros are refused)"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in infos:
            name = info.filename
            body = src.read(info)
            if name == "docProps/core.xml":
                body = _EMPTY_CORE
            elif name == "docProps/app.xml":
                body = _EMPTY_APP
            elif name == "docProps/custom.xml":
                body = _EMPTY_CUSTOM
            elif name.endswith(".xml"):
                body = _PRESENCE.sub(b"", _PERSON_ATTRS.sub(lambda m: m.group(1) + b'=""', body))
            elif name.startswith(("word/media/", "docProps/thumbnail")) and sniff(body[:16]) == "image":
                try:
                    body = clean_image(body).data
                except AttachmentRefused:
                    pass  # a picture Pillow cannot read inside the document: kept as it is
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # no edit times either
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return CleanFile(out.getvalue(), "docx", DOCX_TYPE)


# Keys removed from every object of a rebuilt PDF: metadata, application data, thumbnails, annotations, actions.
_PDF_DROP = (
    "/Metadata",
    "/PieceInfo",
    "/LastModified",
    "/Thumb",
    "/Annots",
    "/AA",
    "/A",
    "/JS",
    "/AF",
    "/EmbeddedFiles",
    "/OpenAction",
)
# JPEG segments a clean image keeps: JFIF (APP0) and Adobe's colour transform (APP14); the rest of APP1–APP15
# (EXIF, XMP, ICC, IPTC …) and comments go. Everything from the first scan (SOS) on is the picture itself.
_JPEG_KEEP_APP = {0xE0, 0xEE}


def strip_jpeg(data: bytes) -> bytes:
    """A JPEG stream without its metadata segments (the pixels untouched), or AttachmentRefused."""
    if not data.startswith(b"\xff\xd8"):
        raise AttachmentRefused(_("PDF 中的图片已损坏 (an image in the PDF cannot be read)"))
    out = bytearray(b"\xff\xd8")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise AttachmentRefused(_("PDF 中的图片已损坏 (an image in the PDF cannot be read)"))
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            raise AttachmentRefused(_("PDF 中的图片已损坏 (an image in the PDF cannot be read)"))
        segment = data[i : i + 2 + length]
        if not ((0xE0 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP) or marker == 0xFE):
            out += segment
        i += 2 + length
    raise AttachmentRefused(_("PDF 中的图片已损坏 (an image in the PDF cannot be read)"))


def clean_pdf(data: bytes) -> CleanFile:
    """A new PDF of the same pages with nothing but what they draw (see the module's notes)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError, PyPdfError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    unreadable = _("PDF 文件已损坏或无法读取 (the PDF file cannot be read)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise AttachmentRefused(
                _("不接受加密的 PDF 文件，请去除密码后再上传 (encrypted PDF files are not accepted)")
            )
        pages = reader.pages
        if len(pages) > limit("PDF_MAX_PAGES", PDF_MAX_PAGES):
            raise AttachmentRefused(
                _("PDF 文件不能超过 %(n)d 页 (the PDF has too many pages)")
                % {"n": limit("PDF_MAX_PAGES", PDF_MAX_PAGES)}
            )
        writer = PdfWriter()
        for page in pages:
            writer.add_page(page)
        writer.metadata = None  # no /Info at all: no author, title, producer or dates

        seen: set[int] = set()
        stack: list = [writer.root_object]
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                if id(obj.get_object()) in seen:
                    continue
                obj = obj.get_object()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, DictionaryObject):
                for key in _PDF_DROP:
                    if key in obj:
                        del obj[key]
                if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image":
                    _clean_pdf_image(obj)
                stack.extend(obj.values())
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
        # What the removed keys pointed to was copied with the pages: unreferenced now, it must not be written.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
    except AttachmentRefused:
        raise
    except (PdfReadError, PyPdfError, ValueError, TypeError, KeyError, OSError, RecursionError):
        raise AttachmentRefused(unreadable) from None
    return CleanFile(out.getvalue(), "pdf", PDF_TYPE)


def _clean_pdf_image(stream) -> None:
    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, list) else ([str(filters)] if filters else [])
    if "/JPXDecode" in names:
        raise AttachmentRefused(
            _(
                "PDF 中含有无法清理的 JPEG 2000 图片，请改为上传照片 (JPEG 2000 images in PDF files are not accepted)"
            )
        )
    if "/DCTDecode" in names:
        if names != ["/DCTDecode"]:
            raise AttachmentRefused(_("PDF 中的图片已损坏 (an image in the PDF cannot be read)"))
        stream._data = strip_jpeg(stream._data)


def clean(upload) -> CleanFile:
    """The cleaned copy of one uploaded file, or AttachmentRefused with the reason in Chinese and English."""
    if upload.size > limit("MAX_BYTES", MAX_BYTES):
        raise AttachmentRefused(
            _("单个文件不能超过 %(mb)d MB (a file is too large)")
            % {"mb": limit("MAX_BYTES", MAX_BYTES) // (1024 * 1024)}
        )
    upload.seek(0)
    data = upload.read()
    kind = sniff(data[:16])
    if kind == "image":
        return clean_image(data)
    if kind == "zip":
        return clean_docx(data)
    if kind == "pdf":
        return clean_pdf(data)
    raise AttachmentRefused(
        _(
            "只接受照片（JPEG、PNG、WebP）、Word (.docx) 和 PDF 文件 "
            "(only photos, .docx and PDF files are accepted)"
        )
    )


def clean_all(uploads) -> list[CleanFile]:
    """Every upload cleaned, or AttachmentRefused naming the first one that is not acceptable."""
    uploads = list(uploads)
    if len(uploads) > limit("MAX_FILES", MAX_FILES):
        raise AttachmentRefused(
            _("最多上传 %(n)d 个附件 (too many files)") % {"n": limit("MAX_FILES", MAX_FILES)}
        )
    if sum(u.size for u in uploads) > limit("MAX_TOTAL", MAX_TOTAL):
        raise AttachmentRefused(_("附件总大小超过限制 (the files are too large in total)"))
    cleaned = []
    for i, upload in enumerate(uploads, start=1):
        try:
            cleaned.append(clean(upload))
        except AttachmentRefused as e:
            raise AttachmentRefused(
                _("第 %(i)d 个附件：%(reason)s") % {"i": i, "reason": e.message}
            ) from None
    return cleaned
