"""好差评 on the public portal: the applicant finds their case by its number and a proof only they hold (the query
code the approval system printed on the receipt, or the mobile number the application gave), and rates it once,
on five levels. The rating goes through the intake as a `rating` event of the case's own source system — the
same path, rules and counters as a rating the source system reports — so a 差评 becomes the same rectification
and a second rating, from either side, is a duplicate.

Nothing about a case is shown to someone who cannot prove it is theirs: a wrong proof, an unknown number and a
case whose application carried no proof all answer the same "not found"."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import ingest
from .models import AnomalyCode, Case, Rating, SourceSystem

PORTAL_EVENT_PREFIX = "portal-rating-"


class RatingRefused(Exception):
    """A rating the portal cannot take, with the reason the applicant reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def find_for_applicant(case_no: str, proof: str) -> Case | None:
    """The case numbered `case_no` whose application reported `proof` as its query code or its applicant's
    mobile number; None otherwise (whatever the reason). Case numbers are unique per source system, so the
    lookup walks the (source, case_no) unique index once per system."""
    case_no, proof = (case_no or "").strip(), (proof or "").strip()
    if not case_no or not proof or len(case_no) > 64 or len(proof) > 32:
        return None
    match = Q()
    code_key = ingest.query_code_index(case_no, proof)
    if code_key:  # "" for a proof that normalises to nothing: it must never match the cases without a code
        match |= Q(query_code_index=code_key)
    try:
        match |= Q(applicant_index=ingest.phone_index(proof))
    except ValueError:
        pass  # not a phone number: only the query code can match
    if not match:
        return None
    systems = list(SourceSystem.objects.values_list("pk", flat=True))
    return (
        Case.objects.filter(source_id__in=systems, case_no=case_no)
        .filter(match)
        .select_related("matter", "department", "source")
        .order_by("-applied_at", "-pk")
        .first()
    )


def can_rate(case: Case) -> bool:
    return case.completed_at is not None and case.rating is None


def rate(case: Case, rating: int, *, now: datetime | None = None) -> None:
    """The applicant's rating (好差评, five levels), once per case, after completion: one `rating` event through
    the intake on the case's source system (channel "portal"; the event id names the case, so a double
    submission is a replay or a duplicate, never a second rating). Raises RatingRefused with the reason."""
    if rating not in Rating.values:
        raise RatingRefused(_("请选择评价等级 (choose a rating)"))
    if case.rating is not None:
        raise RatingRefused(_("该办件已评价，每件只能评价一次 (this case has already been rated)"))
    if case.completed_at is None:
        raise RatingRefused(_("办件尚未办结，办结后才能评价 (a case can be rated once it is completed)"))
    now = now or timezone.now()
    event = {
        "event_id": f"{PORTAL_EVENT_PREFIX}{case.pk}",
        "case_no": case.case_no,
        "type": "rating",
        "at": now.isoformat(),
        "rating": int(rating),
        "via": "portal",
    }
    out = ingest.ingest(case.source, [event], channel="portal", now=now)
    if out.accepted == 1:
        return
    codes = {p["code"] for p in out.problems}
    if out.replayed or codes & {AnomalyCode.DUPLICATE, AnomalyCode.CONFLICTING_REPLAY}:
        raise RatingRefused(_("该办件已评价，每件只能评价一次 (this case has already been rated)"))
    raise RatingRefused(
        out.problems[0]["detail"] if out.problems else _("评价未能保存 (the rating was not saved)")
    )
