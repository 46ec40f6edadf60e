"""E-supervision's share of the role × endpoint scope matrix (tests/core/test_scope_matrix.py merges these):
the models behind its pages, a marker only out-of-scope objects carry, what each role must reach, and one object
per model inside county A and one outside."""

from __future__ import annotations

from xiaoneng.eservice.models import Matter
from xiaoneng.org.roles import Role

UNIT_AND_REGIONAL = {
    Role.SUPERVISOR,
    Role.DISCIPLINE,
    Role.LEADER,
    Role.NPC,
    Role.LIAISON,
    Role.UNIT_LEADER,
}

MODEL_FOR_VIEW = {
    "eservice_matter": Matter,
}

OUT_MARKERS = {
    Matter: "西山区的事项目录条目",
}

REACHES = {
    "eservice-matter-detail": UNIT_AND_REGIONAL,
    "eservice_matter": {Role.SUPERVISOR},
}


def objects(world) -> dict:
    from .conftest import matter

    inside = matter(world.ua, "DH-XK-001", "建筑工程施工许可证核发")
    outside = matter(world.ub, "XS-XK-001", OUT_MARKERS[Matter])
    return {Matter: (inside, outside)}
