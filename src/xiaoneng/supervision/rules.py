"""Scope: a supervised item is visible exactly when its work item is."""

from xiaoneng.core import scope
from xiaoneng.core.rules import work_item_q

from .models import ReportFile, SupervisedItem


@scope.rule(SupervisedItem)
def supervised_items(user, qs):
    return qs.filter(work_item_q(user, "work_item__"))


@scope.rule(ReportFile)
def report_files(user, qs):
    """A report's file is visible exactly when its item is."""
    return qs.filter(work_item_q(user, "report__item__work_item__"))
