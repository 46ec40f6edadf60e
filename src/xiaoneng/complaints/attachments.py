"""Files the public attaches to a complaint: checked on content, cleaned, and only the cleaned copy is stored.

A photo carries EXIF (the phone's make and serial, the time, often the GPS position of the complainant's home);
a Word file carries its author, the last editor, the company and the commenters' names. Any of these can tell
the unit complained about who complained (SPEC §2, whistleblower protection). So:

- the type is decided by the bytes (magic numbers), never by the file name or the browser's claim;
- images (JPEG, PNG, WebP) are decoded with Pillow (size checked first, against decompression bombs), turned
  upright by their orientation tag and re-encoded from the pixels alone: no EXIF, XMP, ICC or text chunks;
- .docx files are rewritten part by part: core/app/custom properties replaced by empty ones, author and
  initials attributes (tracked changes, comments, people) blanked, embedded images re-encoded like photos;
  macro-enabled or malformed packages and zip bombs are refused;
- PDF and every other type are refused: PDF metadata lives in too many places (document info, XMP streams on
  any object, annotation authors, EXIF inside embedded JPEGs, earlier revisions kept by incremental saves) to
  promise a clean copy. The portal asks for photos or a .docx instead.

The stored file gets a random name; the original name is not kept (it can be "张三的举报.docx").
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024  # per file
MAX_TOTAL = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera; above it Pillow would risk a bomb
DOCX_MAX_ENTRIES = 500
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
        raise AttachmentRefused(
            _(
                "暂不接受 PDF 文件（无法可靠地去除其中的个人信息），请改为上传照片或 Word (.docx) 文件 "
                "(PDF files are not accepted: their metadata cannot be removed reliably; send photos or .docx)"
            )
        )
    raise AttachmentRefused(
        _("只接受照片（JPEG、PNG、WebP）和 Word (.docx) 文件 (only photos and .docx files are accepted)")
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


def store(complaint, files: list[CleanFile]) -> list:
    """Attachment rows for the cleaned copies (random storage names; neutral display names)."""
    from .models import Attachment

    rows = []
    for i, f in enumerate(files, start=1):
        att = Attachment(
            complaint=complaint,
            name=f"attachment-{i}.{f.ext}",
            content_type=f.content_type,
            size=len(f.data),
            sha256=f.sha256,
        )
        att.file.save(f"{uuid.uuid4().hex}.{f.ext}", ContentFile(f.data), save=False)
        att.save()
        rows.append(att)
    return rows


def save_files(files: list[CleanFile]) -> list[dict]:
    """The cleaned copies written to storage before their complaint exists (the public intake queue): what the
    Attachment rows will hold, as `store` would write them, for `rows_for` at registration."""
    from .models import Attachment

    field = Attachment._meta.get_field("file")
    saved = []
    for i, f in enumerate(files, start=1):
        name = field.storage.save(
            field.generate_filename(None, f"{uuid.uuid4().hex}.{f.ext}"), ContentFile(f.data)
        )
        saved.append(
            {
                "file": name,
                "name": f"attachment-{i}.{f.ext}",
                "content_type": f.content_type,
                "size": len(f.data),
                "sha256": f.sha256,
            }
        )
    return saved


def discard_files(saved: list[dict]) -> None:
    """Files written by `save_files` for a submission that turned out to be a repeat."""
    from .models import Attachment

    storage = Attachment._meta.get_field("file").storage
    for s in saved:
        storage.delete(s["file"])


def rows_for(complaint_id: int, saved: list[dict]) -> list[dict]:
    """Attachment rows (as dicts for core.bulk.insert) for files saved by `save_files`."""
    return [{"complaint_id": complaint_id, "for_unit": False, **s} for s in saved]
