"""Scoped reads of 问责 and 明查暗访: the case list, a person's record, escalation suggestions, the statistics in
the seeds' form, the 曝光台, home-page cards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xiaoneng.core import scope
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import Role

from .models import (
    Case,
    CaseSubject,
    Determination,
    DeterminationStatus,
    EscalationKind,
    EscalationRule,
    InspectionPlan,
    Sanction,
)
from .workflow import STAFF

# --- cases ----------------------------------------------------------------------------------------------------


def cases(user, *, q: str = "", state: str = "", source: str = "") -> scope.ScopedQuerySet:
    """问责案件 the user may see, newest first; `q` matches the case number or a person or unit concerned."""
    qs = scope.restrict(Case, user).select_related("work_item__owner_unit")
    if state == "open":
        qs = qs.filter(work_item__closed_at__isnull=True)
    elif state:
        qs = qs.filter(work_item__state=state)
    if source:
        qs = qs.filter(source=source)
    if q:
        about = scope.restrict(CaseSubject, user).filter(
            Q(person__name__icontains=q) | Q(unit__name__icontains=q)
        )
        qs = qs.filter(Q(number__icontains=q) | Q(pk__in=about.values("case_id")))
    return qs.order_by("-work_item_id")


def subjects_by_case(user, case_ids: list[int]) -> dict[int, list[CaseSubject]]:
    """The subjects of these cases the user may read (a unit head: his own unit's), in one query."""
    out: dict[int, list[CaseSubject]] = {}
    for s in (
        scope.restrict(CaseSubject, user)
        .filter(case_id__in=case_ids)
        .select_related("person", "unit")
        .order_by("case_id", "id")
    ):
        out.setdefault(s.case_id, []).append(s)
    return out


def determinations(user, case: Case) -> scope.ScopedQuerySet:
    return (
        scope.restrict(Determination, user)
        .filter(case=case)
        .select_related("subject__person", "subject__unit", "sanction", "behaviour", "notice", "supersedes")
        .order_by("subject_id", "id")
    )


def person_record(user, person: Person) -> scope.ScopedQuerySet:
    """个人问责记录: every determination about `person` the user may read (any status, history included)."""
    return (
        scope.restrict(Determination, user)
        .filter(person=person)
        .select_related("case", "sanction", "behaviour", "unit", "supersedes")
        .order_by("-effective_on", "-id")
    )


def complaints_awaiting_case(user) -> scope.ScopedQuerySet:
    """Complaints whose finding was true and that were referred for accountability (提请问责) with no case yet —
    the supervisor's queue to open cases from."""
    from xiaoneng.complaints.models import Complaint

    return (
        scope.restrict(Complaint, user)
        .filter(accountability_requested_at__isnull=False, accountability_case_id="")
        .select_related("category", "subject_unit")
        .order_by("accountability_requested_at")
    )


def team_candidates(user) -> Any:
    """Who can join an inspection team: active supervisors and discipline staff whose region lies within the
    organiser's (the colleagues of regional staff; account administration stays with secadmin)."""
    return (
        User.objects.filter(
            role__in=STAFF, is_active=True, unit__region__path__startswith=user.jurisdiction_path
        )
        .select_related("unit")
        .order_by("unit__code", "username")
    )


def plans(user, *, state: str = "", mode: str = "") -> scope.ScopedQuerySet:
    qs = (
        scope.restrict(InspectionPlan, user)
        .select_related("issuer")
        .annotate(findings_count=Count("findings"))
        .order_by("-starts_on", "-id")
    )
    if state:
        qs = qs.filter(state=state)
    if mode:
        qs = qs.filter(mode=mode)
    return qs


# --- escalation suggestions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """An escalation rule that a person's history meets: a suggestion to consider, never applied by itself."""

    rule: str
    kind: str
    count: int
    window_days: int
    suggest: str
    trigger: str = ""

    def as_record(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "count": self.count,
            "window_days": self.window_days,
            "suggest": self.suggest,
            "trigger": self.trigger,
        }

    @property
    def text(self) -> str:
        return describe(self.as_record())


def describe(record: dict[str, Any]) -> str:
    """The sentence for a suggestion (stored with a proposal or computed now), in the reader's language."""
    if record.get("kind") == EscalationKind.REPEAT:
        text = _("%(days)d日内第%(n)d次受到%(trigger)s") % {
            "days": record["window_days"],
            "n": record["count"],
            "trigger": record["trigger"],
        }
    else:
        text = _("所负责单位%(days)d日内有效投诉%(n)d件") % {
            "days": record["window_days"],
            "n": record["count"],
        }
    return _("%(fact)s：依“%(rule)s”，建议考虑%(suggest)s（仅为建议，不自动适用）") % {
        "fact": text,
        "rule": record["rule"],
        "suggest": record["suggest"],
    }


def escalation_suggestions(
    person: Person | None, sanction: Sanction | None = None, *, at: datetime | None = None
) -> list[Suggestion]:
    """The configured escalation rules this person's history meets now (SPEC §4: e.g. a second 效能告诫 within a
    year; two valid complaints within a year against the unit one heads). With `sanction` (what is being proposed)
    a repeat counts this one too, and a rule whose suggestion is no heavier than it is left out. Counts only what
    is in force; looks at complaints made *about* the person's unit or the person, never at what anyone complained
    of themselves."""
    if person is None:
        return []
    at = at or timezone.now()
    today = timezone.localtime(at).date()
    out = []
    for rule in EscalationRule.objects.filter(active=True).select_related("trigger", "suggest"):
        if sanction is not None and rule.suggest.rank <= sanction.rank:
            continue
        since = today - timedelta(days=rule.window_days)
        if rule.kind == EscalationKind.REPEAT and rule.trigger is not None:
            earlier = Determination.objects.filter(
                person=person,
                sanction=rule.trigger,
                status=DeterminationStatus.IN_FORCE,
                effective_on__gt=since,
            ).count()
            n = earlier + (1 if sanction is not None and sanction.pk == rule.trigger_id else 0)
            if n >= rule.count:
                out.append(
                    Suggestion(
                        rule.name, rule.kind, n, rule.window_days, rule.suggest.name, rule.trigger.name
                    )
                )
        elif rule.kind == EscalationKind.UNIT_HEAD_COMPLAINTS:
            n = _valid_complaints_against_head(person, since)
            if n >= rule.count:
                out.append(Suggestion(rule.name, rule.kind, n, rule.window_days, rule.suggest.name))
    return out


def _valid_complaints_against_head(person: Person, since: date) -> int:
    """Complaints found true or partly true since `since` about the unit `person` heads, or about the person —
    never one the person made himself (matched on the complaints' blind indexes of phone and ID number, without
    decrypting anything): a complainant's own complaints stay out of accountability about him."""
    from xiaoneng.complaints.models import Complaint, Finding

    headed = Unit.objects.filter(head=person).values("pk")
    if not Unit.objects.filter(head=person).exists():
        return 0
    qs = Complaint.objects.filter(
        Q(subject_unit__in=headed) | Q(subject_person=person),
        finding__in=(Finding.TRUE, Finding.PARTLY),
        submitted_at__date__gt=since,
    )
    mine = own_complaints(person)
    return (qs.exclude(mine) if mine else qs).count()


def complaint_made_by_a_subject(case: Case) -> bool:
    """Whether the complaint a case was opened from was made by one of the people the case concerns (a complainant
    later found at fault himself): then the case never shows it — a complainant's own complaints stay out of the
    accountability views about him."""
    from xiaoneng.complaints.models import Complaint

    if not case.complaint_id:
        return False
    mine = Q()
    for subject in CaseSubject.objects.filter(case=case, person__isnull=False).select_related("person"):
        mine |= own_complaints(subject.person)
    return bool(mine) and Complaint.objects.filter(mine, pk=case.complaint_id).exists()


def own_complaints(person: Person) -> Q:
    """The complaints `person` made himself, as a Q over complaints.Complaint (an empty Q when he has no phone or ID
    number on file): the same keyed index the complaints app writes, so equal identities match."""
    from xiaoneng.core import crypto

    mine = Q()
    phone, id_number = (person.phone or "").strip(), (person.id_number or "").strip()
    if phone:
        mine |= Q(phone_index=crypto.blind_index(phone, purpose="complaint-phone"))
    if id_number:
        mine |= Q(id_number_index=crypto.blind_index(id_number, purpose="complaint-id"))
    return mine


# --- statistics (the seeds' form) -----------------------------------------------------------------------------

STATS_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER})


@dataclass
class Statistics:
    start: date
    end: date
    people: int = 0
    units: int = 0
    by_sanction: list[tuple[Sanction, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_unit: list[tuple[str, int]] = field(default_factory=list)
    by_month: list[tuple[str, int]] = field(default_factory=list)
    by_responsibility: list[tuple[str, int]] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        """ "39 people: 9 dismissed, 3 transferred, …" — the way the seeds' speech reports it, heaviest first."""
        parts = pgettext("list separator", "、").join(
            _("%(sanction)s%(n)d人") % {"sanction": s.name, "n": n} for s, n in self.by_sanction if n
        )
        text = _("共处理相关责任人%(n)d人") % {"n": self.people}
        if parts:
            text += _("，其中%(parts)s") % {"parts": parts}
        if self.units:
            text += _("；问责单位%(n)d个") % {"n": self.units}
        return text + pgettext("sentence end", "。")


def period(params) -> tuple[date, date]:
    """The statistics period from `from`/`to` (YYYY-MM-DD), by default this year up to today."""
    today = timezone.localdate()
    try:
        start = date.fromisoformat(params.get("from", "")) if params.get("from") else date(today.year, 1, 1)
    except ValueError:
        start = date(today.year, 1, 1)
    try:
        end = date.fromisoformat(params.get("to", "")) if params.get("to") else today
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


def counted(user, start: date, end: date) -> Any:
    """The determinations the statistics count for `user`: in force, taking effect in [start, end], issued within
    the user's region (counts only — names stay behind each case's own scope)."""
    if getattr(user, "role", None) not in STATS_ROLES:
        return Determination.objects.none()
    return Determination.objects.filter(
        region_path__startswith=user.jurisdiction_path,
        status=DeterminationStatus.IN_FORCE,
        effective_on__gte=start,
        effective_on__lte=end,
    )


def statistics(user, start: date, end: date) -> Statistics:
    """Counts by sanction, unit, behaviour category, responsibility and month, in five grouped queries."""
    from .models import Responsibility

    qs = counted(user, start, end)
    stats = Statistics(start, end)
    people = qs.filter(person__isnull=False)
    stats.people = people.values("person").distinct().count()
    stats.units = qs.filter(person__isnull=True).values("unit").distinct().count()
    per_sanction = dict(qs.values_list("sanction").annotate(n=Count("pk")).order_by())
    stats.by_sanction = [
        (s, per_sanction[s.pk]) for s in Sanction.objects.filter(pk__in=per_sanction).order_by("-rank")
    ]
    stats.by_category = list(
        qs.values_list("behaviour__category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "behaviour__category__name")
    )
    stats.by_unit = list(qs.values_list("unit__name").annotate(n=Count("pk")).order_by("-n", "unit__name"))
    labels = dict(Responsibility.choices)
    stats.by_responsibility = [
        (str(labels[r]), n)
        for r, n in people.values_list("responsibility").annotate(n=Count("pk")).order_by("responsibility")
        if r in labels
    ]
    months = Counter(f"{d:%Y-%m}" for d in qs.values_list("effective_on", flat=True))
    stats.by_month = sorted(months.items())
    return stats


def typical_cases(user, start: date, end: date) -> list[dict[str, Any]]:
    """The cases marked typical (典型案例) the user may read, with their determinations in force in the period —
    what a 通报 lists."""
    rows = []
    visible = scope.restrict(Case, user).filter(typical=True).select_related("work_item")
    dets = (
        scope.restrict(Determination, user)
        .filter(
            case__in=visible,
            status=DeterminationStatus.IN_FORCE,
            effective_on__gte=start,
            effective_on__lte=end,
        )
        .select_related("person", "unit", "sanction", "behaviour", "subject")
        .order_by("case_id", "id")
    )
    by_case: dict[int, list[Determination]] = {}
    for d in dets:
        by_case.setdefault(d.case_id, []).append(d)
    for case in visible.filter(pk__in=by_case).order_by("work_item__started_at"):
        rows.append({"case": case, "determinations": by_case[case.pk]})
    return rows


# --- the 曝光台 (public) ---------------------------------------------------------------------------------------


def exposure(q: str = "") -> list[dict[str, Any]]:
    """Cases chosen for publication, newest first, as the public reads them: the office's public summary, the units
    and the sanctions in force; a person's name only where their decision says so."""
    qs = Case.objects.filter(published_at__isnull=False, work_item__state__in=("decided", "closed", "appeal"))
    if q:
        qs = qs.filter(Q(public_summary__icontains=q) | Q(determinations__unit__name__icontains=q)).distinct()
    qs = qs.select_related("work_item__owner_unit").order_by("-published_at")
    cases = list(qs[:200])
    dets = (
        Determination.objects.filter(case__in=cases, status=DeterminationStatus.IN_FORCE)
        .select_related("person", "unit", "sanction", "behaviour__category")
        .order_by("case_id", "id")
    )
    by_case: dict[int, list[dict[str, str]]] = {}
    for d in dets:
        by_case.setdefault(d.case_id, []).append(
            {
                "who": d.person.name if d.publish_name and d.person_id else "",
                "unit": d.unit.name,
                "behaviour": d.behaviour.category.name,
                "sanction": d.sanction.name,
            }
        )
    return [
        {
            "published_on": timezone.localtime(c.published_at).date(),
            "office": c.work_item.owner_unit.name,
            "summary": c.public_summary,
            "determinations": by_case.get(c.pk, []),
        }
        for c in cases
        if by_case.get(c.pk)
    ]


# --- home page ------------------------------------------------------------------------------------------------


def home_cards(user) -> list[dict]:
    """What waits in 问责: proposals to approve at the user's level, cases under investigation."""
    role = getattr(user, "role", None)
    if role not in STAFF:
        return []
    visible = scope.restrict(Case, user)
    level = "office" if role == Role.SUPERVISOR else "discipline"
    to_approve = (
        Determination.objects.filter(
            case__in=visible, status=DeterminationStatus.PROPOSED, sanction__approval_level=level
        )
        .exclude(proposed_by=user)
        .count()
    )
    return [
        {
            "label": _("待审批的问责处理意见"),
            "value": to_approve,
            "url": "accountability",
            "query": "state=deciding",
        },
        {
            "label": _("调查中的问责案件"),
            "value": visible.filter(work_item__state="investigating").count(),
            "url": "accountability",
            "query": "state=investigating",
        },
    ]
