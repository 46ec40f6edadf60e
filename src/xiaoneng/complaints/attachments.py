"""Files the public attaches to a complaint: checked on content, cleaned, and only the cleaned copy is stored.

The cleaning itself (type by the bytes; images re-encoded from their pixels; .docx and PDF rewritten without
their metadata — a photo's EXIF or a document's author can tell the unit complained about who complained, SPEC §2)
lives in core/attachments.py, shared with supervision's evidence and inspection photos; this module keeps the
complaint's own storage. The stored file gets a random name; the original name is not kept (it can be
"张三的举报.docx").
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile

from xiaoneng.core.attachments import (  # noqa: F401 — the cleaning, as complaints and their callers name it
    DOCX_TYPE,
    MAX_BYTES,
    MAX_FILES,
    MAX_PIXELS,
    MAX_TOTAL,
    PDF_MAX_PAGES,
    PDF_TYPE,
    AttachmentRefused,
    CleanFile,
    clean,
    clean_all,
    clean_docx,
    clean_image,
    clean_pdf,
    limit,
    sniff,
    strip_jpeg,
)


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
