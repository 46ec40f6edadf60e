"""Scope: a supervised item is visible exactly when its work item is."""

from xiaoneng.core import scope
from xiaoneng.core.models import WorkItem

from .models import SupervisedItem


@scope.rule(SupervisedItem)
def supervised_items(user, qs):
    return qs.filter(work_item__in=scope.restrict(WorkItem, user).values("pk"))
