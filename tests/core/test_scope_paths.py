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


def _rule_with_in(user):
    """The work-item rule as it was written before its EXISTS form (core/rules.py `work_item_q`)."""
    from django.db.models import Q

    from xiaoneng.core import rules
    from xiaoneng.core.models import WorkItemUnit
    from xiaoneng.org.roles import REGIONAL_ROLES, UNIT_ROLES

    if user.role in REGIONAL_ROLES:
        who = Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])
        if user.person_id:
            who |= Q(person_id=user.person_id)
        q = Q(region_path__startswith=user.jurisdiction_path) & ~Q(
            pk__in=Recusal.objects.filter(who).values("work_item_id")
        )
    elif user.role in UNIT_ROLES:
        q = Q(owner_unit_id=user.unit_id) | Q(
            pk__in=WorkItemUnit.objects.filter(unit_id=user.unit_id).values("workitem_id")
        )
        if user.person_id:
            q &= ~Q(pk__in=Recusal.objects.filter(person_id=user.person_id).values("work_item_id"))
    else:
        return Q(pk__in=[])
    return q & rules._kind_narrowing(user)


@pytest.mark.django_db
def test_the_rule_on_the_join_admits_what_the_semi_join_admits(world, objects):  # noqa: F811
    sa, sb = objects[SupervisedItem]
    # 东湖区市场监管局 takes part in county B's item; a liaison of it is recused from county A's.
    sb.work_item.units.add(world.ua2)
    co_liaison = make_user(
        "ua2_liaison", Role.LIAISON, world.ua2, Person.objects.create(name="协办联络员", unit=world.ua2)
    )
    Recusal.objects.create(work_item=sa.work_item, person=world.users["liaison"].person)
    Recusal.objects.create(work_item=sb.work_item, unit=world.city_supervisor.unit)  # a regional unit recused
    users = [*world.users.values(), world.city_supervisor, co_liaison]
    assert all(m.objects.exists() for m in PATHS), "each model needs rows in and out of scope"
    for user in users:
        visible_items = scope.restrict(WorkItem, user).values("pk")
        # The rule's EXISTS form admits what its plain `IN (subquery)` form admits.
        assert set(visible_items.values_list("pk", flat=True)) == set(
            WorkItem.objects.filter(_rule_with_in(user)).values_list("pk", flat=True)
        ), (user.username, user.role)
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


@pytest.mark.django_db
def test_a_units_figures_counted_in_two_halves_are_those_of_one_query(world, objects):  # noqa: F811
    """The home page counts a unit's items as owned + taking part only (core/rules.py `unit_halves`): every
    item once — one the unit owns and also lists as a co-unit, one it only takes part in, one it is recused
    from — and the same figures as one aggregate over the user's scope."""
    from xiaoneng.core import rules
    from xiaoneng.web.selectors import item_figures

    sa, sb = objects[SupervisedItem]
    sb.work_item.units.add(world.ua, world.ua2)
    sa.work_item.units.add(world.ua)  # its own unit listed as a co-unit too: counted once
    co_liaison = make_user(
        "ua2_liaison", Role.LIAISON, world.ua2, Person.objects.create(name="协办联络员", unit=world.ua2)
    )
    Recusal.objects.create(work_item=sa.work_item, person=co_liaison.person)
    for user in [*world.users.values(), world.city_supervisor, co_liaison]:
        items = scope.restrict(WorkItem, user)
        figures = item_figures(user)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(rules, "unit_halves", lambda user, path="": None)
            one_query = item_figures(user)  # every figure as one aggregate over the user's scope
        assert figures == one_query, (user.username, user.role)
        halves = rules.unit_halves(user)
        if halves is not None:
            ids = [set(items.filter(h).values_list("pk", flat=True)) for h in halves]
            assert not ids[0] & ids[1] and ids[0] | ids[1] == set(items.values_list("pk", flat=True))
    assert item_figures(world.users["liaison"])["open"] >= 2  # owned and taking part both counted
