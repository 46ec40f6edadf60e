"""The work-item rule applied on a model's own join (core/rules.py `work_item_q`) admits exactly the rows the
semi-join "its work item IN (the user's items)" admits: for every role, with co-units and 回避 in play."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.core.test_scope_matrix import objects  # noqa: F401  (the fixture)
from xiaoneng.accountability.models import Case
from xiaoneng.complaints.models import Complaint
from xiaoneng.core import scope
from xiaoneng.core.models import Recusal, WorkItem
from xiaoneng.eservice.models import CaseAlert
from xiaoneng.org.models import Person
from xiaoneng.org.roles import Role
from xiaoneng.supervision.models import ReportFile, SupervisedItem

# Models visible exactly when their work item is, with the path from them to it.
PATHS = {
    SupervisedItem: "work_item",
    Complaint: "work_item",
    Case: "work_item",
    CaseAlert: "work_item",
    ReportFile: "report__item__work_item",
}


@pytest.mark.django_db
def test_the_rule_on_the_join_admits_what_the_semi_join_admits(world, objects):  # noqa: F811
    sa, sb = objects[SupervisedItem]
    # 东湖区市场监管局 takes part in county B's item; a liaison of it is recused from county A's.
    sb.work_item.units.add(world.ua2)
    co_liaison = make_user(
        "ua2_liaison", Role.LIAISON, world.ua2, Person.objects.create(name="协办联络员", unit=world.ua2)
    )
    Recusal.objects.create(work_item=sa.work_item, person=world.users["liaison"].person)
    users = [*world.users.values(), world.city_supervisor, co_liaison]
    assert all(m.objects.exists() for m in PATHS), "each model needs rows in and out of scope"
    for user in users:
        visible_items = scope.restrict(WorkItem, user).values("pk")
        for model, path in PATHS.items():
            on_join = set(scope.restrict(model, user).values_list("pk", flat=True))
            semi_join = set(
                model.objects.filter(**{f"{path}__in": visible_items}).values_list("pk", flat=True)
            )
            assert on_join == semi_join, (user.username, user.role, model.__name__)
    # The cases that matter are really exercised: the co-unit's liaison sees B's item, the recused one not A's.
    assert scope.restrict(SupervisedItem, co_liaison).filter(pk=sb.pk).exists()
    assert not scope.restrict(SupervisedItem, world.users["liaison"]).filter(pk=sa.pk).exists()
    assert scope.restrict(SupervisedItem, world.users["unit_leader"]).filter(pk=sa.pk).exists()
