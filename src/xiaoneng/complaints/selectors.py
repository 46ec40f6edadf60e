"""Scoped reads of complaints: the ledger (台帐), related-complaint suggestions, the share of the timeline each
role may read, and the home page's cards. Every read starts from scope.restrict."""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core import scope, workitem
from xiaoneng.org.roles import UNIT_ROLES, Role

from .models import Complaint
from .redaction import _fold
from .services import STAFF_VIEW

STAGES = ("normal", "warning", "yellow", "red")
RELATED_DAYS = 30  # "near-identical text about the same unit within 30 days" (SPEC §2)
SIMILAR_RATIO = 0.8
SIMILAR_CANDIDATES = 200
SIMILAR_CHARS = 2000


def sees_as_staff(user) -> bool:
    """Accepting staff and 纪检监察 read the complaint itself; everyone else in scope reads the redacted copy."""
    return getattr(user, "role", None) in STAFF_VIEW


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and len(text) <= 10 else None
    except ValueError:
        return None


def _number(text: str) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 18 else None


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def ledger(
    user,
    *,
    q: str = "",
    state: str = "",
    category: str = "",
    unit: str = "",
    channel: str = "",
    stage: str = "",
    date_from: str = "",
    date_to: str = "",
) -> scope.ScopedQuerySet:
    """投诉台帐: the complaints the user may see, newest first, filtered by state ("open" for every unfinished
    one), category, unit (complained about or handling), channel, stage and the date window of submission. Unit
    staff cannot filter on what they may not read (the channel, the tracking number)."""
    qs = scope.restrict(Complaint, user).select_related(
        "work_item__owner_unit", "category", "subject_unit", "handling_unit", "related_to"
    )
    staff = sees_as_staff(user)
    if q and staff:
        qs = qs.filter(tracking_no__icontains=q.strip())
    if state == "open":
        qs = qs.filter(work_item__closed_at__isnull=True)
    elif state:
        qs = qs.filter(work_item__state=state)
    if (category_id := _number(category)) is not None:
        qs = qs.filter(category_id=category_id)
    if (unit_id := _number(unit)) is not None:
        qs = qs.filter(Q(subject_unit_id=unit_id) | Q(handling_unit_id=unit_id))
    if channel and staff:
        qs = qs.filter(channel=channel)
    if stage in STAGES:
        qs = qs.filter(work_item__stage=stage, work_item__closed_at__isnull=True)
    if (start := _date(date_from)) is not None:
        qs = qs.filter(submitted_at__gte=_day_start(start))
    if (end := _date(date_to)) is not None:
        qs = qs.filter(submitted_at__lt=_day_start(end + timedelta(days=1)))
    return qs.order_by("-submitted_at", "-pk")


def ledger_from_params(user, params) -> scope.ScopedQuerySet:
    """The ledger filtered by query parameters: the page, its export and the API alike."""
    return ledger(
        user,
        q=params.get("q", ""),
        state=params.get("state", ""),
        category=params.get("category", ""),
        unit=params.get("unit", ""),
        channel=params.get("channel", ""),
        stage=params.get("stage", ""),
        date_from=params.get("from", ""),
        date_to=params.get("to", ""),
    )


@dataclass(frozen=True)
class Suggestion:
    complaint: Complaint
    reason: str  # "same_complainant" | "similar_text"
    ratio: float = 1.0

    @property
    def reason_label(self):
        return _("同一投诉人") if self.reason == "same_complainant" else _("内容相近")


def related_suggestions(complaint: Complaint, user, *, limit: int = 10) -> list[Suggestion]:
    """关联/重复检查 on receipt: earlier or later complaints by the same complainant (equal blind index of phone,
    ID number or e-mail — nothing is decrypted), or with near-identical text about the same unit within 30 days.
    Staff decide whether to link; only complaints the user may see are suggested. Staff only."""
    if not sees_as_staff(user):
        return []
    base = (
        scope.restrict(Complaint, user)
        .exclude(pk=complaint.pk)
        .select_related("work_item", "category", "subject_unit")
    )
    out: list[Suggestion] = []
    same = Q()
    for field in ("phone_index", "id_number_index", "email_index"):
        value = getattr(complaint, field)
        if value:
            same |= Q(**{field: value})
    if same:
        out += [
            Suggestion(c, "same_complainant") for c in base.filter(same).order_by("-submitted_at")[:limit]
        ]
    seen = {s.complaint.pk for s in out}
    window = timedelta(days=RELATED_DAYS)
    candidates = (
        base.filter(
            subject_unit_id=complaint.subject_unit_id,
            submitted_at__gte=complaint.submitted_at - window,
            submitted_at__lte=complaint.submitted_at + window,
        )
        .exclude(pk__in=seen)
        .order_by("-submitted_at")[:SIMILAR_CANDIDATES]
    )
    mine = _fold(complaint.content)[:SIMILAR_CHARS]
    similar = []
    for other in candidates:
        matcher = difflib.SequenceMatcher(None, mine, _fold(other.content)[:SIMILAR_CHARS], autojunk=False)
        if matcher.real_quick_ratio() >= SIMILAR_RATIO and matcher.quick_ratio() >= SIMILAR_RATIO:
            ratio = matcher.ratio()
            if ratio >= SIMILAR_RATIO:
                similar.append(Suggestion(other, "similar_text", round(ratio, 2)))
    similar.sort(key=lambda s: -s.ratio)
    return (out + similar)[:limit]


# What of the timeline the handling unit reads: its own share, from the latest assignment to it on. Notes are
# shown only where they are the unit's own words or are addressed to it (redo reasons, extension decisions).
UNIT_EVENTS = frozenset(
    {
        "assign",
        "submit_reply",
        "approve_reply",
        "return_reply",
        "reply",
        "review_pass",
        "review_redo",
        "request_extension",
        "approve_extension",
        "reject_extension",
        "close",
        "stage_changed",
        "deadline_recomputed",
    }
)
NOTE_VISIBLE = frozenset(
    {
        "submit_reply",
        "approve_reply",
        "return_reply",
        "reply",
        "review_redo",
        "request_extension",
        "approve_extension",
        "reject_extension",
    }
)


def timeline_for(item, user, events: list) -> list:
    """The timeline events `user` may read. Staff (supervisor, 纪检监察): all. The handling unit: its share since
    the latest assignment. Other roles in scope (leaders, NPC staff): every step, internal notes blanked."""
    if sees_as_staff(user):
        return list(events)
    events = list(events)
    if user.role in UNIT_ROLES:
        starts = [i for i, e in enumerate(events) if e.action == "assign"]
        events = [e for e in events[starts[-1] :] if e.action in UNIT_EVENTS] if starts else []
    return [e if e.action in NOTE_VISIBLE else _without_note(e) for e in events]


def _without_note(event):
    if not event.note:
        return event
    clean = copy.copy(event)  # an unsaved copy: the stored event keeps its note
    clean.note = ""
    return clean


def timeline_rows(item, user) -> list[dict]:
    events = timeline_for(item, user, list(item.timeline.all()))
    return [{"event": e, "label": workitem.timeline_label(item, e.action)} for e in events]


def home_cards(user) -> list[dict]:
    """What waits in 效能投诉: to accept and to review (supervisor), to answer (liaison), to approve (unit head)."""
    role = getattr(user, "role", None)
    if role == Role.SUPERVISOR:
        qs = scope.restrict(Complaint, user)
        from django.db.models import Count

        agg = qs.aggregate(
            received=Count("pk", filter=Q(work_item__state="received")),
            replied=Count("pk", filter=Q(work_item__state="replied")),
        )
        return [
            {
                "label": _("待受理投诉"),
                "value": agg["received"],
                "url": "complaints",
                "query": "state=received",
                "tone": "primary",
            },
            {
                "label": _("待审核投诉答复"),
                "value": agg["replied"],
                "url": "complaints",
                "query": "state=replied",
                "tone": "primary",
            },
        ]
    if role == Role.LIAISON:
        n = scope.restrict(Complaint, user).filter(
            work_item__owner_unit_id=user.unit_id, work_item__state="assigned"
        )
        return [
            {
                "label": _("待答复投诉"),
                "value": n.count(),
                "url": "complaints",
                "query": "state=assigned",
                "tone": "primary",
            }
        ]
    if role == Role.UNIT_LEADER:
        n = scope.restrict(Complaint, user).filter(
            work_item__owner_unit_id=user.unit_id, work_item__state="unit_review"
        )
        return [
            {
                "label": _("待审核投诉答复"),
                "value": n.count(),
                "url": "complaints",
                "query": "state=unit_review",
                "tone": "primary",
            }
        ]
    return []
