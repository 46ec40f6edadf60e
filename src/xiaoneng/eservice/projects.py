"""并联审批 (parallel approval): a project passes stages; each stage runs several departments' matters at once,
each branch a case with its own clock, the stage with its own total limit counted from its first acceptance.
The project page names the branch that holds each stage back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from xiaoneng.core import clock_service

from . import presets
from .models import Branch, Case, Project, ProjectStage, ProjectStageKind


def link(source, branches: list[tuple[Any, dict]], now: datetime) -> None:
    """Attach new cases to their projects' stages (projects and stages created on first sight), in bulk."""
    codes = {d["project"] for _c, d in branches}
    projects = {p.code: p for p in Project.objects.filter(source=source, code__in=codes)}
    for case, d in branches:
        if d["project"] not in projects:
            projects[d["project"]] = Project.objects.create(
                source=source,
                code=d["project"],
                name=d.get("project_name") or d["project"],
                region_path=case.region_path,
                created_at=now,
            )
    stages = {
        (s.project_id, s.kind): s for s in ProjectStage.objects.filter(project__in=list(projects.values()))
    }
    for _case, d in branches:
        key = (projects[d["project"]].pk, d["stage"])
        if key not in stages:
            stages[key] = ProjectStage.objects.create(
                project_id=key[0], kind=key[1], limit=presets.get("stage_limit")
            )
    Branch.objects.bulk_create(
        [
            Branch(stage=stages[(projects[d["project"]].pk, d["stage"])], case_id=case.pk)
            for case, d in branches
        ]
    )


@dataclass
class BranchView:
    branch: Branch
    case: Case
    share: float | None  # the share of its own limit used so far (or at completion)
    lagging: bool = False


@dataclass
class StageView:
    stage: ProjectStage
    branches: list[BranchView] = field(default_factory=list)
    started_at: datetime | None = None
    deadline: datetime | None = None
    completed_at: datetime | None = None
    overdue: bool = False
    lagging: BranchView | None = None


def _share(case: Case, now: datetime) -> float | None:
    if case.completed_at is not None:
        return case.used_share
    if case.accepted_at is None or case.deadline is None:
        return None
    total = (case.deadline - case.accepted_at).total_seconds()
    return (now - case.accepted_at).total_seconds() / total if total > 0 else None


def stages(project: Project, now: datetime | None = None) -> list[StageView]:
    """The project's stages in the reform's order, each with its branches, its own deadline (the stage limit from
    its first acceptance, from the clock), whether it is done or late, and the branch holding it back: of the open
    branches, one not yet accepted, else the one furthest through its own limit; when all are done, the one that
    finished last."""
    now = now or timezone.now()
    order = {k: i for i, k in enumerate(ProjectStageKind.values)}
    views = []
    rows = (
        Branch.objects.filter(stage__project=project)
        .select_related("stage", "case__matter", "case__department")
        .order_by("stage_id", "id")
    )
    by_stage: dict[int, StageView] = {}
    for s in sorted(project.stages.all(), key=lambda s: order[s.kind]):
        by_stage[s.pk] = StageView(s)
        views.append(by_stage[s.pk])
    for b in rows:
        by_stage[b.stage_id].branches.append(BranchView(b, b.case, _share(b.case, now)))
    for v in views:
        accepted = [bv.case.accepted_at for bv in v.branches if bv.case.accepted_at]
        v.started_at = min(accepted) if accepted else None
        if v.started_at is not None:
            v.deadline = clock_service.deadline_for(v.started_at, v.stage.limit, project.region_path)
        open_ = [bv for bv in v.branches if bv.case.completed_at is None]
        if v.branches and not open_:
            v.completed_at = max(bv.case.completed_at for bv in v.branches)
        end = v.completed_at or now
        v.overdue = v.deadline is not None and end >= v.deadline
        if open_:
            waiting = [bv for bv in open_ if bv.case.accepted_at is None]
            if waiting:
                v.lagging = min(waiting, key=lambda bv: bv.case.applied_at)
            else:
                v.lagging = max(open_, key=lambda bv: bv.share or 0.0)
        elif v.branches:
            v.lagging = max(v.branches, key=lambda bv: bv.case.completed_at)
        if v.lagging is not None:
            v.lagging.lagging = True
    return views
