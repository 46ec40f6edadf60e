"""Scoped reads of 政务服务电子监察."""

from __future__ import annotations

from django.db.models import Q

from xiaoneng.core import scope

from .models import Matter


def matters(user, params) -> scope.ScopedQuerySet:
    """The catalog the user may see, filtered by q (code or name), department, level, type, instant."""
    qs = scope.restrict(Matter, user).select_related("department")
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    department = params.get("department", "")
    if department.isdigit() and len(department) < 19:
        qs = qs.filter(department_id=int(department))
    for field in ("level", "type"):
        if params.get(field):
            qs = qs.filter(**{field: params[field]})
    if params.get("instant") in ("1", "0"):
        qs = qs.filter(instant=params["instant"] == "1")
    return qs.order_by("code")
