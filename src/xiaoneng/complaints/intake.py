"""The public intake queue (portal and Open311): acknowledge at once, register in batches.

A public submission is checked in the request by the same rules as every channel (services.check_submission:
category, unit, text, contact, phone; the receiving office; the caller's challenge or api_key before that), and
then ONE row is written — an `IntakeRequest` with the identity encrypted, the idempotency key unique, the tracking
number and the query code's hash allocated there — and the citizen gets the tracking number and the query code (an
Open311 client its token) straight away. The request takes no lock on the audit chain, creates no work item and
asks the clock nothing: that is the registration worker's job.

The worker (`register_pending`, the task `tasks.register_intake`) turns waiting rows into complaints in batches,
one transaction each, through `services.register_queued` — the same complaint `services.submit` makes of the same
input, written in bulk with the audit chain appended once per batch. It is enqueued after the commit of each
submission (at most one waiting task per web process, deferred a moment so one run takes many rows) and the
scheduler runs it every 30 seconds besides, for anything left behind (an enqueue that failed, a worker that
crashed); that run also retries rows that failed, up to MAX_ATTEMPTS.

Nothing acknowledged is lost, nothing is registered twice: the row is committed before the answer; a batch
commits its complaints and its rows' "registered" mark together, so a crash mid-batch leaves the rows waiting and
the next run does them again; rows are claimed FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite serialises writers), a
complaint's idempotency key is unique, and a row whose complaint exists already is only linked to it. A row that
cannot be registered is marked failed with the kind of error (never its data) and kept; a batch with such a row is
redone row by row so the others still go through.

Whistleblower protection: the rows are never listed by any page or API and never logged (log lines carry row
ids and error kinds only); once registered, a row keeps the link to its complaint and loses the identity, the
text and the file list.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from xiaoneng.core import audit, bulk
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Region, Unit

from . import services
from .models import Category, Complaint, IntakeRequest, IntakeStatus, Open311Client

logger = logging.getLogger(__name__)

BATCH = 200  # rows per registration transaction: the audit chain's head is held this long
MAX_ATTEMPTS = 5  # a failed row is retried by the scheduled run until then, then left for an operator
KICK_DELAY = 0.5  # seconds a registration task waits after the first submission that enqueued it
KICK_MARGIN = 0.1  # a task due sooner than this may already be running: enqueue another


@dataclass(frozen=True)
class Receipt:
    """What the public gets back: the row (tracking number, token), the query code (only when created — it
    was shown the first time), and whether this submission created it."""

    row: IntakeRequest
    code: str | None
    created: bool


def accept(*, idempotency_key: str, attachments: list[dict] | None = None, **submission: Any) -> Receipt:
    """Check a public submission (services.check_submission's arguments; a TransitionRefused with the reason
    otherwise) and queue it: one row, committed before this returns (or with the caller's transaction), the
    registration enqueued after the commit. The same idempotency key again returns the first row (created
    False). `attachments`: files already cleaned and saved (attachments.save_files)."""
    fields = services.check_submission(idempotency_key=idempotency_key, **submission)
    if fields["subject_person"] is not None:
        raise ValueError("the public names an official in words only (subject_person_text)")
    office = receiving_office(fields["subject_unit"])
    submitted_at = timezone.now()
    code = services.new_query_code()
    identity = json.dumps(fields["identity"], ensure_ascii=False, separators=(",", ":"))
    for _attempt in range(10):
        tracking_no = services.new_tracking_no(submitted_at, queued=True)
        row = IntakeRequest(
            tracking_no=tracking_no,
            query_code_hash=services.query_code_hash(tracking_no, code),
            idempotency_key=idempotency_key,
            channel=fields["channel"],
            category=fields["category"],
            subject_unit=fields["subject_unit"],
            office=office,
            subject_person_text=fields["subject_person_text"],
            content=fields["content"],
            occurred_on=fields["occurred_on"],
            location=fields["location"],
            anonymous=fields["anonymous"],
            identity=identity,
            consent_publish=fields["consent_publish"],
            open311_client=fields["open311_client"],
            audit_ip=audit.current_ip.get()[:45],
            attachments=attachments or [],
            submitted_at=submitted_at,
        )
        try:
            # One statement (core.bulk: on PostgreSQL the row as one JSON parameter, the identity encrypted on the
            # way), its own transaction outside a caller's; a repeated idempotency key is skipped, not an error.
            if connection.in_atomic_block:  # the caller's transaction must survive a taken tracking number
                with transaction.atomic():
                    written = bulk.insert(IntakeRequest, [row], skip_existing=("idempotency_key",))
            else:
                written = bulk.insert(IntakeRequest, [row], skip_existing=("idempotency_key",))
        except IntegrityError:
            continue  # the tracking number was taken: draw another
        if not written:  # a retry, or the same submission racing us: the first one answers
            return Receipt(IntakeRequest.objects.get(idempotency_key=idempotency_key), None, False)
        transaction.on_commit(kick, robust=True)
        return Receipt(row, code, True)
    raise RuntimeError("could not allocate a tracking number")


# --- reference data ------------------------------------------------------------------------------------------------

# Categories, units and the office that receives complaints about a unit are read by every public submission and
# change a few times a year: each web process keeps what it read for REFERENCE_SECONDS (a change made elsewhere
# takes effect within that time; one saved through this process at once, by the signals below). An Open311
# client's key is kept CLIENT_SECONDS only: a key revoked or replaced elsewhere stops working within that time.
# Every database round trip saved here is one a submission does not wait for.
REFERENCE_SECONDS = 60.0
CLIENT_SECONDS = 2.0
_reference: dict[tuple[str, Any], tuple[float, Any]] = {}
_reference_lock = threading.Lock()


def _remembered(kind: str, key: Any, load, seconds: float = REFERENCE_SECONDS):
    now = time.monotonic()
    with _reference_lock:
        hit = _reference.get((kind, key))
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = load()
    if value is not None:  # what does not exist is not remembered: made-up codes cannot fill the memory
        with _reference_lock:
            _reference[(kind, key)] = (now, value)
    return value


def reset_reference(**_kwargs: Any) -> None:
    with _reference_lock:
        _reference.clear()


def category(code: str) -> Category | None:
    """The active category with this code, or None."""
    return _remembered("category", code, lambda: Category.objects.filter(code=code, active=True).first())


def unit(code: str) -> Unit | None:
    """The active unit with this code (its region loaded), or None."""
    return _remembered(
        "unit", code, lambda: Unit.objects.filter(code=code, is_active=True).select_related("region").first()
    )


def open311_client(key_hash: str) -> Open311Client | None:
    """The Open311 client whose key has this SHA-256 (revoked or not), or None."""
    return _remembered(
        "client", key_hash, lambda: Open311Client.objects.filter(key_hash=key_hash).first(), CLIENT_SECONDS
    )


def receiving_office(subject_unit: Unit) -> Unit:
    """services.receiving_office, remembered per unit (a unit no office receives is refused the same way)."""

    def load() -> tuple[Unit | None, TransitionRefused | None]:
        try:
            return services.receiving_office(subject_unit), None
        except TransitionRefused as refused:
            return None, refused

    office, refused = _remembered("office", subject_unit.pk, load)
    if refused is not None:
        raise refused
    return office


for _model in (Category, Unit, Region, Open311Client):
    for _signal in (post_save, post_delete):
        _signal.connect(reset_reference, sender=_model, dispatch_uid=f"intake-reference-{_model.__name__}")


# --- enqueueing ---------------------------------------------------------------------------------------------------

_kick_lock = threading.Lock()
_kick_due = 0.0  # when the registration task this process enqueued last becomes due (time.time())
_kick_defers: bool | None = None  # whether the task backend can defer a task


def kick() -> None:
    """Enqueue the registration after a submission's commit. Where the backend can defer a task, a process
    enqueues one task due KICK_DELAY later and none while it waits: that task has not started, so it will see
    every row committed before it is due. Elsewhere (the immediate backend of the tests) every commit enqueues.
    A failed enqueue is logged and left to the scheduled run: the row is safe either way."""
    global _kick_due, _kick_defers
    from .tasks import register_intake

    try:
        if _kick_defers is None:  # asked once per process: the backend does not change
            _kick_defers = register_intake.get_backend().supports_defer
        if not _kick_defers:
            register_intake.enqueue()
            return
        now = time.time()
        with _kick_lock:
            if now < _kick_due - KICK_MARGIN:
                return
            _kick_due = now + KICK_DELAY
        register_intake.using(run_after=timezone.now() + timedelta(seconds=KICK_DELAY)).enqueue()
    except Exception as exc:  # the queue is down: the scheduler's run registers the row
        with _kick_lock:
            _kick_due, _kick_defers = 0.0, None
        logger.warning(
            "intake: registration not enqueued (%s); the scheduled run will take it", type(exc).__name__
        )


# --- registration ---------------------------------------------------------------------------------------------------


def register_pending(
    *, batch: int = BATCH, retry_failed: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Register the waiting rows, oldest first, `batch` per transaction, until none is left. `retry_failed`: also
    the failed rows tried fewer than MAX_ATTEMPTS times (the scheduled run). Returns the counts."""
    counts = {"registered": 0, "failed": 0}
    after = 0
    while True:
        with transaction.atomic():
            rows = _claim(after, batch, retry_failed)
            if not rows:
                break
            after = rows[-1].pk
            done, failed = _register(rows, now or timezone.now())
        counts["registered"] += done
        counts["failed"] += failed
    return counts


def _claim(after: int, batch: int, retry_failed: bool) -> list[IntakeRequest]:
    waiting = Q(status=IntakeStatus.PENDING)
    if retry_failed:
        waiting |= Q(status=IntakeStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
    qs = (
        IntakeRequest.objects.filter(waiting, pk__gt=after)
        .exclude(status=IntakeStatus.REGISTERED)  # the partial index intake_waiting
        .select_related("category", "subject_unit", "office__region")
        .order_by("pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        # Another worker's batch is skipped, not waited for; it registers those rows itself.
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def _register(rows: list[IntakeRequest], now: datetime) -> tuple[int, int]:
    """One claimed batch in the caller's transaction: all rows in one go; should that fail, row by row, marking
    those that fail. Returns (registered, failed)."""
    try:
        with transaction.atomic():
            _register_rows(rows, now)
        return len(rows), 0
    except Exception as exc:  # one bad row must not hold the others back: find it
        logger.warning(
            "intake: batch of %d not registered at once (%s); row by row", len(rows), type(exc).__name__
        )
    done = failed = 0
    for row in rows:
        try:
            with transaction.atomic():
                _register_rows([row], now)
            done += 1
        except Exception as exc:
            failed += 1
            row.status = IntakeStatus.FAILED
            row.attempts += 1
            row.failure = type(exc).__name__[:200]
            row.save(update_fields=["status", "attempts", "failure"])
            logger.error("intake: row %s not registered (%s), attempt %d", row.pk, row.failure, row.attempts)
    return done, failed


def _register_rows(rows: list[IntakeRequest], now: datetime) -> None:
    # A complaint with the row's idempotency key exists already (a submission from before the queue, or a run
    # that committed without marking its rows): link to it, never a second one.
    existing = dict(
        Complaint.objects.filter(idempotency_key__in=[r.idempotency_key for r in rows]).values_list(
            "idempotency_key", "pk"
        )
    )
    fresh = [r for r in rows if r.idempotency_key not in existing]
    made = {c.idempotency_key: c.pk for c in services.register_queued(fresh, now=now)}
    for r in rows:
        r.complaint_id = existing.get(r.idempotency_key) or made[r.idempotency_key]
        r.status = IntakeStatus.REGISTERED
        r.registered_at = now
        r.identity, r.content, r.attachments = "", "", []  # the complaint holds them now
    bulk.update(
        IntakeRequest, rows, ["complaint", "status", "registered_at", "identity", "content", "attachments"]
    )


# --- the public's reads ---------------------------------------------------------------------------------------------


def find_waiting(tracking_no: str, code: str) -> IntakeRequest | None:
    """A submission not registered yet, when the tracking number and its query code match (the portal's
    tracking answers 已收到，正在登记)."""
    row = (
        IntakeRequest.objects.filter(tracking_no=tracking_no.strip().upper())
        .exclude(status=IntakeStatus.REGISTERED)
        .select_related("category")
        .first()
    )
    if row is None or not secrets.compare_digest(
        row.query_code_hash, services.query_code_hash(row.tracking_no, code)
    ):
        return None
    return row


def waiting(idempotency_key: str) -> bool:
    """Whether a submission with this key was acknowledged (registered or not)."""
    return IntakeRequest.objects.filter(idempotency_key=idempotency_key).exists()


def by_token_prefix(prefix: str) -> list[tuple[str | None, str]]:
    """(tracking number once registered else None, idempotency key) of the rows whose key starts with `prefix`,
    oldest first (Open311 tokens)."""
    return [
        (tracking_no if status == IntakeStatus.REGISTERED else None, key)
        for tracking_no, status, key in IntakeRequest.objects.filter(idempotency_key__startswith=prefix)
        .order_by("pk")
        .values_list("tracking_no", "status", "idempotency_key")
    ]


def counts() -> dict[str, int]:
    """How many rows wait, failed (and may be retried), and are registered — numbers only."""
    from django.db.models import Count

    out = {s: 0 for s in IntakeStatus.values}
    for status, n in IntakeRequest.objects.values_list("status").annotate(n=Count("pk")).order_by():
        out[status] = n
    return out
