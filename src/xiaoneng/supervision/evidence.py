"""佐证材料: the files a unit attaches to a progress report or a completion request (photos, .docx, PDF).

They are cleaned like every uploaded file of the platform (core/attachments.py: the type decided by the bytes,
images re-encoded from their pixels, documents rewritten without their metadata, anything else refused, limits on
count and size) and only the cleaned copy is kept, under its SHA-256 (content-addressed: the same file sent twice
is stored once). The sender's file name is kept for display (evidence is not anonymous). A file is visible exactly
when its item is (rules.py) and is downloaded through the scope layer (views.report_file)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from django.core.files.base import ContentFile

from xiaoneng.core.attachments import AttachmentRefused, CleanFile, clean_all

from .models import ProgressReport, ReportFile

__all__ = ["AttachmentRefused", "Evidence", "clean_uploads", "display_name", "store"]


@dataclass
class Evidence:
    """One cleaned upload and the name it is shown under."""

    name: str
    clean: CleanFile


def clean_uploads(uploads) -> list[Evidence]:
    """The cleaned copies of the uploaded files, in order, or AttachmentRefused (Chinese and English) naming the
    first that is not acceptable — before anything is saved."""
    uploads = [u for u in uploads if u is not None]
    return [
        Evidence(display_name(getattr(u, "name", "") or "", f.ext), f)
        for u, f in zip(uploads, clean_all(uploads), strict=True)
    ]


def display_name(original: str, ext: str) -> str:
    """The name shown for a file: the sender's own without any path, its extension the cleaned type's."""
    stem = posixpath.basename(original.replace("\\", "/")).rsplit(".", 1)[0].strip()[:100]
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '<>:"/\\|?*;') or "file"
    return f"{stem}.{ext}"


def store(report: ProgressReport, files: list[Evidence]) -> list[ReportFile]:
    """ReportFile rows for `report`'s cleaned files, each stored once under its SHA-256."""
    field = ReportFile._meta.get_field("file")
    rows = []
    for f in files:
        path = field.generate_filename(None, f"{f.clean.sha256}.{f.clean.ext}")
        if not field.storage.exists(path):
            path = field.storage.save(path, ContentFile(f.clean.data))
        rows.append(
            ReportFile(
                report=report,
                file=path,
                name=f.name,
                content_type=f.clean.content_type,
                size=len(f.clean.data),
                sha256=f.clean.sha256,
            )
        )
    return ReportFile.objects.bulk_create(rows)
