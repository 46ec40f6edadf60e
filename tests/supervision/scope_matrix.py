"""督查督办's share of the role × endpoint matrix (tests/core/test_scope_matrix.py): the models behind its views
with a path parameter, the objects in and out of county A's scope, and who reaches what in scope."""

from django.core.files.base import ContentFile

from xiaoneng.org.roles import Role
from xiaoneng.supervision.models import ProgressReport, ReportFile

ITEM_READERS = {Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC, Role.LIAISON, Role.UNIT_LEADER}

MODEL_FOR_VIEW = {"supervision_file": ReportFile}

OUT_MARKERS = {ReportFile: "西山区佐证材料"}

# A file is visible exactly when its item is: the same readers as the item page.
REACHES = {"supervision_file": ITEM_READERS}


def objects(world, sa, sb, outsider) -> dict:
    """A report with a file on the item in county A (`sa`) and on the one in B (`sb`)."""
    made = []
    for sup, author, text in (
        (sa, world.users["liaison"], "东湖区佐证材料"),
        (sb, outsider, "西山区佐证材料"),
    ):
        report = ProgressReport.objects.create(item=sup, unit=author.unit, author=author, text=text)
        f = ReportFile(report=report, name=f"{text}.pdf", content_type="application/pdf", size=4, sha256="0")
        f.file.save(f"{text}.pdf", ContentFile(f"%PDF {text}".encode()), save=False)
        f.save()
        made.append(f)
    return {ReportFile: tuple(made)}
