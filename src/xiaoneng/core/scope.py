"""Data scope: the one place that decides what a user may see (SPEC: "Scope is enforced in one place").

Every scoped model uses `ScopedQuerySet` as its manager and registers one rule here:

    @scope.rule(Unit)
    def units(user, qs): ...

Views, API viewsets, exports, counts and search start from `restrict(Model.objects, user)` (or
`Model.objects.restrict(user)`), and fetch one object with `access(Model, user, pk)`, which answers Http404 for
"missing" and "not yours" alike. A model with no rule is denied to everyone (fail closed). The generic API
viewset refuses to serve a queryset that did not pass through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)
Rule = Callable[[Any, models.QuerySet], models.QuerySet]

_rules: dict[type[models.Model], Rule] = {}


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows whether it went through the scope layer."""

    _restricted = False

    def restrict(self, user: Any) -> ScopedQuerySet:
        return restrict(self, user)

    def _clone(self):  # keep the mark through .filter(), .order_by() …
        clone = super()._clone()
        clone._restricted = self._restricted
        return clone

    @property
    def is_restricted(self) -> bool:
        return self._restricted


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the scope rule for `model` (one per model)."""

    def register(fn: Rule) -> Rule:
        if model in _rules and _rules[model] is not fn:
            raise RuntimeError(f"scope rule for {model.__name__} registered twice")
        _rules[model] = fn
        return fn

    return register


def registered_models() -> list[type[models.Model]]:
    return list(_rules)


def restrict(qs: models.QuerySet | models.Manager | type[models.Model], user: Any) -> ScopedQuerySet:
    """What `user` may see of `qs`: the model's rule applied, `.none()` for anonymous or inactive users and for
    models with no rule."""
    if isinstance(qs, type) and issubclass(qs, models.Model):
        qs = qs._default_manager.all()
    elif isinstance(qs, models.Manager):
        qs = qs.all()
    model = qs.model
    fn = _rules.get(model)
    if fn is None or user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        result = qs.none()
    else:
        result = fn(user, qs)
    result._restricted = True
    return result


def access(model: type[M], user: Any, pk: Any, qs: models.QuerySet | None = None) -> M:
    """The object `pk` of `model` if `user` may see it; Http404 otherwise — the same answer for "missing" and
    "not yours", so ids cannot be probed."""
    if qs is not None and getattr(qs, "is_restricted", False):
        base = qs
    else:
        base = restrict(qs if qs is not None else model._default_manager.all(), user)
    try:
        return base.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        _record_denial(model, user, pk)
        raise Http404 from None


def _record_denial(model: type[models.Model], user: Any, pk: Any) -> None:
    """An id that exists but lies outside the user's scope is a denial worth the audit trail (a probe, or a
    mistake); a missing id is not. The caller still answers 404 either way."""
    from django.db import transaction

    from . import audit

    try:
        exists = model._default_manager.filter(pk=pk).exists()
    except (ValueError, TypeError):
        return
    if exists and getattr(user, "is_authenticated", False):
        # Its own transaction: the 404 that follows may roll the request's transaction back.
        with transaction.atomic():
            audit.record(
                audit.AuditEventType.ACCESS_DENIED,
                actor=user,
                object_type=f"{model._meta.app_label}.{model._meta.model_name}",
                object_id=str(pk),
                data={"reason": "out_of_scope"},
            )
