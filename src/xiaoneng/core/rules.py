"""Scope rules for the shared tables (see core/scope.py)."""

from django.db.models import Exists, OuterRef, Q

from xiaoneng.org.roles import REGIONAL_ROLES, UNIT_ROLES, Role

from . import scope
from .models import AuditEvent, CardRecord, IssuedDocument, Notification, Recusal, WorkItem, WorkItemUnit


@scope.rule(WorkItem)
def work_items(user, qs):
    """Regional roles: items owned in their region subtree; a unit's liaison and head: the items their unit
    owns or takes part in — except, for a unit's own people, items that name them personally (回避: the official
    a complaint is about never handles it, even when the complaint is assigned to his unit). The 三员 and
    evaluators see no case content. A kind may narrow this further for its own items (`_kind_narrowing`)."""
    return qs.filter(work_item_q(user))


def work_item_q(user, path: str = "") -> Q:
    """The rule above as one condition, on the work item at `path` ("" for WorkItem itself, "work_item__" for a
    model whose rows are visible exactly when their item is). Such a model filters its own join to the item by
    it rather than asking `item IN (the user's items)`: PostgreSQL answers that semi-join by collecting every
    item the user may see first — for a unit's people, whose rule is an OR of two sets no index serves, a scan
    of core_workitem — where a condition on the joined row is checked on the rows the query reads anyway.

    The co-unit and 回避 tests are correlated EXISTS on the row's own item, not `pk IN (subquery)`: PostgreSQL
    plans `NOT IN (subquery)` and `OR pk IN (subquery)` as hashed subplans it guesses keep half the rows, so
    a query for a few hundred of a unit's items looked cheaper as a parallel scan of the whole table (a
    liaison's first 1,001 items: 130–340 ms at a million items); NOT EXISTS is an anti-join it estimates from
    the recusal table, and EXISTS is one probe of the co-unit index per row (the same query: 6–9 ms)."""
    item = OuterRef(f"{path}pk")
    if user.role in REGIONAL_ROLES:
        q = Q(region_path__startswith=user.jurisdiction_path)
        q = _on_path(q, path) & ~Exists(_recused(user).filter(work_item_id=item))
    elif user.role in UNIT_ROLES:
        co_unit = WorkItemUnit.objects.filter(unit_id=user.unit_id, workitem_id=item)
        q = _on_path(Q(owner_unit_id=user.unit_id), path) | Q(Exists(co_unit))
        if user.person_id:
            q &= ~Exists(Recusal.objects.filter(person_id=user.person_id, work_item_id=item))
    else:
        return Q(pk__in=[])
    return q & _on_path(_kind_narrowing(user), path)


def unit_halves(user, path: str = "") -> tuple[Q, Q] | None:
    """For a unit's people (None for anyone else): their work-item rule split into two disjoint conditions on
    the item at `path` — the items the unit owns, and the items it takes part in without owning them. Every one
    of the user's items matches exactly one (回避 and a kind's narrowing still come from the scope), so a count
    over the user's items is the sum of the counts over each half, and each half reads from its own index
    (owner_unit; the co-unit table). One count with the OR makes PostgreSQL scan core_workitem (a liaison's
    home page at a million items: 400 ms; the two halves: 25 ms)."""
    if user.role not in UNIT_ROLES:
        return None
    owned = Q(owner_unit_id=user.unit_id)
    taking_part = Q(pk__in=WorkItemUnit.objects.filter(unit_id=user.unit_id).values("workitem_id")) & ~owned
    return _on_path(owned, path), _on_path(taking_part, path)


def _kind_narrowing(user) -> Q:
    """A kind whose items are more sensitive than the rule above allows (an accountability case is a person's
    record) declares `extra["visible"]`: (user) -> a Q its items must also match for that user. Items of other
    kinds are untouched; a kind without the hook costs nothing."""
    from .workitem import kinds

    q = Q()
    for code, kind in kinds().items():
        visible = kind.extra.get("visible")
        if visible is not None:
            q &= ~Q(kind=code) | (Q(kind=code) & visible(user))
    return q


def _on_path(q: Q, path: str) -> Q:
    """`q` (lookups on WorkItem) with every lookup moved onto the relation `path` (a forward, single-valued one:
    a negation stays the negation of the same row's condition)."""
    if not path:
        return q
    moved = Q()
    moved.connector, moved.negated = q.connector, q.negated
    moved.children = [
        _on_path(child, path) if isinstance(child, Q) else (path + child[0], child[1]) for child in q.children
    ]
    return moved


@scope.rule(AuditEvent)
def audit_events(user, qs):
    """Only the auditor (安全审计员) reads the trail."""
    return qs if user.role == Role.AUDITOR else qs.none()


@scope.rule(Notification)
def notifications(user, qs):
    return qs.filter(recipient_id=user.pk)


def _recused(user):
    """The items `user` must stay out of (回避): their unit or their person is recorded as concerned."""
    who = Q(unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])
    if user.person_id:
        who |= Q(person_id=user.person_id)
    return Recusal.objects.filter(who)


@scope.rule(IssuedDocument)
def issued_documents(user, qs):
    """A document about a work item is visible exactly when the item is (the unit a 督办通知单 or 催办单 was
    sent to; never a recused supervisor); other documents to regional staff of the issuer's region."""
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from .documents import WORK_ITEM_OBJECTS

    visible_items = scope.restrict(WorkItem, user).annotate(key=Cast("pk", CharField())).values("key")
    about_visible = Q(object_type__in=WORK_ITEM_OBJECTS, object_id__in=visible_items)
    if user.role in REGIONAL_ROLES:
        return qs.filter(
            about_visible
            | (
                Q(issuer__region__path__startswith=user.jurisdiction_path)
                & ~Q(object_type__in=WORK_ITEM_OBJECTS)
            )
        )
    if user.role in UNIT_ROLES:
        return qs.filter(about_visible)
    return qs.none()


@scope.rule(CardRecord)
def cards(user, qs):
    """Cards (红黄牌) on units' records: regional roles see those of units in their region subtree, a unit's
    liaison and head their own unit's — and only cards on items they may see (回避, a kind's narrowing), since
    a card names its item. The 三员 and evaluators see none (case content)."""
    if user.role in REGIONAL_ROLES:
        qs = qs.filter(region_path__startswith=user.jurisdiction_path)
    elif user.role in UNIT_ROLES:
        qs = qs.filter(unit_id=user.unit_id)
    else:
        return qs.none()
    return qs.filter(work_item_q(user, "work_item__"))
