"""The intake of case events (办件过程数据): one function for the batch API and the batch files.

`ingest(source, events)` takes a batch of raw events (dicts) from one approval system and, in one transaction:

1. reads each event (shape, type, time) — a malformed or future-dated one is an anomaly;
2. sets replays aside: an event id already stored with the same content changes nothing (a retry); with other
   content it is an anomaly;
3. applies the rest per case in time order through the case's life (申请 → 受理 → 承办/审核/决定 → 办结 → 送达,
   补正 and special procedures pausing the clock, fees, the rating) — an impossible step is rejected as an
   anomaly with its reason, a step that breaks its matter's rule (a missing required step) is taken and flagged;
4. computes the clock boundaries of every case whose clock changed through the clock's bulk path, the completion
   figures (on time, early, on site, share of the limit used) and the conditions an alert may follow from;
5. writes cases, events, anomalies and the rollup counters in bulk (store.py), one statement per table.

Nothing is dropped silently: the answer lists every event not taken with its reason, and supervisors see the
anomalies. Alerts are raised by the case sweep (sweep.py), which every case with a new condition is due for.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, crypto
from xiaoneng.core.audit import AuditEventType

from . import clocking, presets, store
from .models import (
    BAD_RATINGS,
    STEP_BITS,
    AnomalyCode,
    Case,
    CaseEvent,
    CaseStatus,
    DailyStat,
    DataAnomaly,
    Disposition,
    EventType,
    Flag,
    IngestBatch,
    Matter,
    MonthlyStat,
    Procedure,
    SourceSystem,
    Window,
)

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
EARLIEST = datetime(2000, 1, 2, tzinfo=TZ)

# Where an event sorts among events of the same instant of one case (the order of its life).
RANK = {
    EventType.APPLICATION: 0,
    EventType.SUPPLEMENT_NOTICE: 1,
    EventType.SUPPLEMENT_RETURN: 2,
    EventType.ACCEPTANCE: 3,
    EventType.FEE: 4,
    EventType.HANDLING: 5,
    EventType.SPECIAL_START: 6,
    EventType.SPECIAL_END: 7,
    EventType.REVIEW: 8,
    EventType.DECISION: 9,
    EventType.COMPLETION: 10,
    EventType.DELIVERY: 11,
    EventType.RATING: 12,
}
TYPES = {t.value: t for t in EventType}
PROCEDURES = set(Procedure.values)
SUPPLEMENT = "supplement"


class Refused(Exception):
    """An event that cannot be taken: its anomaly code and reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Event:
    """One event as read from the batch."""

    position: int
    event_id: str
    case_no: str
    type: str
    at: datetime
    data: dict[str, Any]
    raw: dict[str, Any]
    digest: str
    # An application's proof of the applicant (keyed indexes, never in `data`): (phone index, query code index).
    proof: tuple[str, str] = ("", "")


@dataclass
class Outcome:
    """What the sender is told: counts, and every event not taken (or taken and flagged) with its reason."""

    batch_id: int = 0
    received: int = 0
    accepted: int = 0
    replayed: int = 0
    rejected: int = 0
    flagged: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "received": self.received,
            "accepted": self.accepted,
            "replayed": self.replayed,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "problems": self.problems,
        }


# --- 1. reading --------------------------------------------------------------------------------------------


def _text(raw: dict, key: str, *, required: bool = True, size: int = 64) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Refused(AnomalyCode.MALFORMED, _("缺少 %(f)s (a required field is missing)") % {"f": key})
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise Refused(AnomalyCode.MALFORMED, _("%(f)s 应为文本 (the field must be text)") % {"f": key})
    text = str(value).strip()
    if len(text) > size:
        raise Refused(
            AnomalyCode.MALFORMED,
            _("%(f)s 超过 %(n)d 个字符 (the field is too long)") % {"f": key, "n": size},
        )
    return text


def parse_time(value: Any) -> datetime:
    """ISO 8601; a time without a zone is Beijing time (what the approval systems of a Chinese city send)."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused(
                AnomalyCode.MALFORMED,
                _("无法识别的时间 (the time must be ISO 8601, e.g. 2026-03-02T09:30:00+08:00)"),
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=TZ)
    return dt


def _digest(
    case_no: str, kind: str, at: datetime, data: dict[str, Any], proof: tuple[str, str] = ("", "")
) -> str:
    """The event's content as read (time normalised, the sender's formatting and file row numbers aside), so a
    resend through another channel or format is still recognised as the same event. The applicant's proof
    enters as its keyed indexes (a plain hash of a phone number could be reversed by trying them all)."""
    body = [case_no, kind, at.timestamp(), data]
    if proof != ("", ""):
        body.append(list(proof))
    return hashlib.sha1(  # noqa: S324 — a content fingerprint for replay detection, not security
        json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def read_event(position: int, raw: Any, now: datetime, latest: datetime | None = None) -> Event:
    if not isinstance(raw, dict):
        raise Refused(AnomalyCode.MALFORMED, _("事件应为 JSON 对象 (an event must be a JSON object)"))
    event_id = _text(raw, "event_id")
    case_no = _text(raw, "case_no")
    kind = _text(raw, "type", size=20)
    if kind not in TYPES:
        raise Refused(AnomalyCode.MALFORMED, _("未知的事件类型 %(t)s (unknown event type)") % {"t": kind})
    at = parse_time(raw.get("at"))
    if at < EARLIEST:
        raise Refused(AnomalyCode.MALFORMED, _("时间早于 2000 年 (the time is before 2000)"))
    if latest is None:
        latest = now + timedelta(seconds=int(presets.get("future_tolerance_seconds")))
    if at > latest:
        raise Refused(
            AnomalyCode.FUTURE, _("发生时间晚于接收时间 (the event is dated after it was received)")
        )
    data: dict[str, Any] = {}
    if kind == EventType.APPLICATION:
        data["matter"] = _text(raw, "matter")
        window = _text(raw, "window", required=False)
        if window:
            data["window"] = window
        project = _text(raw, "project", required=False)
        if project:  # a branch of a parallel-approval project (并联审批)
            from .models import ProjectStageKind

            stage = _text(raw, "stage", size=20)
            if stage not in ProjectStageKind.values:
                raise Refused(
                    AnomalyCode.MALFORMED,
                    _("未知的并联审批阶段 %(s)s (unknown stage; use %(all)s)")
                    % {"s": stage, "all": ", ".join(ProjectStageKind.values)},
                )
            data["project"], data["stage"] = project, stage
            name = _text(raw, "project_name", required=False, size=200)
            if name:
                data["project_name"] = name
        proof = applicant_proof(raw, case_no)
    elif kind == EventType.FEE:
        try:
            amount = Decimal(str(raw.get("amount", ""))).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise Refused(AnomalyCode.MALFORMED, _("收费金额应为数字 (amount must be a number)")) from None
        if not Decimal("0") < amount < Decimal("1e9"):
            raise Refused(AnomalyCode.MALFORMED, _("收费金额须大于 0 (amount must be positive)"))
        data["amount"] = str(amount)
    elif kind == EventType.RATING:
        level = raw.get("rating")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise Refused(
                AnomalyCode.MALFORMED,
                _("评价应为 1–5（5 非常满意 … 1 非常不满意） (rating must be 1 to 5)"),
            )
        data["rating"] = level
        via = _text(raw, "via", required=False, size=20)
        if (
            via
        ):  # the channel the applicant rated through (门户 / 窗口评价器 / 短信 …), as the sender names it
            data["via"] = via
    elif kind in (EventType.SPECIAL_START, EventType.SPECIAL_END):
        procedure = _text(raw, "procedure", required=kind == EventType.SPECIAL_START, size=20)
        if procedure and procedure not in PROCEDURES:
            raise Refused(
                AnomalyCode.MALFORMED,
                _("未知的特别程序 %(p)s (unknown procedure; use %(all)s)")
                % {"p": procedure, "all": ", ".join(Procedure.values)},
            )
        if procedure:
            data["procedure"] = procedure
    if kind != EventType.APPLICATION:
        return Event(position, event_id, case_no, kind, at, data, raw, _digest(case_no, kind, at, data))
    return Event(
        position, event_id, case_no, kind, at, data, raw, _digest(case_no, kind, at, data, proof), proof
    )


PHONE_PURPOSE = "eservice-applicant-phone"
QUERY_CODE_PURPOSE = "eservice-query-code"
SECRET_FIELDS = ("applicant_phone", "query_code")


def phone_index(phone: str) -> str:
    """The keyed index of an applicant's phone (normalised first, so +86 138… and 138… match)."""
    return crypto.blind_index(crypto.validate_phone(phone), purpose=PHONE_PURPOSE)


def query_code_index(case_no: str, code: str) -> str:
    """The keyed index of a case's query code, bound to the case number (a code proves only its own case)."""
    return crypto.blind_index(f"{case_no}:{code}", purpose=QUERY_CODE_PURPOSE)


def applicant_proof(raw: dict, case_no: str) -> tuple[str, str]:
    """An application's optional `applicant_phone` (申请人手机号) and `query_code` (查询码, what the receipt gives
    the applicant), as keyed indexes: what the portal's rating page checks the applicant against."""
    phone = _text(raw, "applicant_phone", required=False, size=32)
    code = _text(raw, "query_code", required=False, size=32)
    try:
        phone_key = phone_index(phone) if phone else ""
    except ValueError:
        raise Refused(
            AnomalyCode.MALFORMED, _("申请人手机号格式不正确 (the applicant's phone number is not valid)")
        ) from None
    if code and len(crypto.normalise_for_index(code)) < 4:
        raise Refused(
            AnomalyCode.MALFORMED, _("查询码至少 4 位 (the query code needs at least 4 characters)")
        )
    return phone_key, query_code_index(case_no, code) if code else ""


# --- 3. a case's life --------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Rollup increments, per (local day, owner): an owner is a case, or a matter's stand-in for an anomaly
    that has no case (anything with matter_id, window_id, department_id, level and region_path)."""

    rows: dict[tuple[date, int], dict[str, float]] = field(default_factory=lambda: defaultdict(Counter))
    owners: dict[int, Any] = field(default_factory=dict)

    def add(self, at: datetime, owner: Any, counter: str, amount: float = 1) -> None:
        self.owners[id(owner)] = owner
        self.rows[(timezone.localtime(at, TZ).date(), id(owner))][counter] += amount


def matter_owner(matter: Matter) -> Any:
    """The rollup owner of an anomaly about a matter with no case (no window)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        matter_id=matter.pk,
        window_id=0,
        department_id=matter.department_id,
        level=matter.level,
        region_path=matter.region_path,
    )


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def _label(kind: str) -> str:
    """An event type's name in the current language (only on the error path: translation costs per call)."""
    return str(EventType(kind).label)


def _order_refused(what: str, after: str) -> Refused:
    return Refused(
        AnomalyCode.OUT_OF_ORDER,
        _("%(what)s早于%(after)s (an event before the step it must follow)") % {"what": what, "after": after},
    )


class Life:
    """Applies one case's events in order; knows what may follow what."""

    def __init__(self, case: Case, matter: Matter, new: bool) -> None:
        self.case = case
        self.matter = matter
        self.new = new
        self.clock_changed = False
        self.completed_now = False
        self.accepted_now = False

    def _open(self, kind: str) -> list | None:
        for p in self.case.pauses:
            if p[1] is None and p[2] == kind:
                return p
        return None

    def _last_time(self) -> datetime:
        c = self.case
        return max(t for t in (c.applied_at, c.accepted_at, c.last_step_at) if t is not None)

    def apply(self, e: Event) -> str | None:
        """Take `e` into the case; returns a flag reason (taken but breaking a rule) or None; raises Refused."""
        c = self.case
        t = e.type
        if t == EventType.APPLICATION:
            raise Refused(AnomalyCode.DUPLICATE, _("该办件已报送过申请 (the case was already applied for)"))
        if e.at < c.applied_at:
            raise _order_refused(_label(t), str(EventType.APPLICATION.label))
        done = c.status in (CaseStatus.COMPLETED, CaseStatus.DELIVERED)
        if t == EventType.ACCEPTANCE:
            if c.accepted_at is not None:
                raise Refused(AnomalyCode.DUPLICATE, _("该办件已受理 (the case was already accepted)"))
            if self._open(SUPPLEMENT) is not None:
                raise _order_refused(_label(t), str(EventType.SUPPLEMENT_RETURN.label))
            if e.at < self._last_time():
                raise _order_refused(_label(t), _("上一环节"))
            c.accepted_at = e.at
            c.status = CaseStatus.ACCEPTED
            c.limit = self.matter.promised_limit
            self.clock_changed = self.accepted_now = True
            return None
        if t in STEP_BITS:
            bit = STEP_BITS[t]
            if done:
                raise Refused(AnomalyCode.AFTER_COMPLETION, _("办件已办结 (the case is already completed)"))
            if c.accepted_at is None:
                raise _order_refused(_label(t), str(EventType.ACCEPTANCE.label))
            if c.steps & bit:
                raise Refused(AnomalyCode.DUPLICATE, _("该环节已报送 (this step was already reported)"))
            if c.steps >= bit * 2 or e.at < self._last_time():
                raise _order_refused(_label(t), _("上一环节"))
            c.steps |= bit
            c.last_step_at = e.at
            return None
        if t == EventType.COMPLETION:
            if done:
                raise Refused(AnomalyCode.DUPLICATE, _("该办件已办结 (the case was already completed)"))
            if c.accepted_at is None:
                raise _order_refused(_label(t), str(EventType.ACCEPTANCE.label))
            if clocking.has_open_pause(c.pauses):
                raise Refused(
                    AnomalyCode.WHILE_PAUSED,
                    _(
                        "补正或特别程序尚未结束，不能办结 (a supplementation or special procedure is still open)"
                    ),
                )
            if e.at < self._last_time() or any(p[1] is not None and p[1] > _epoch(e.at) for p in c.pauses):
                raise _order_refused(_label(t), _("上一环节"))
            c.completed_at = e.at
            c.status = CaseStatus.COMPLETED
            self.completed_now = True
            missing = [s for s in self.matter.steps if not c.steps & STEP_BITS[s]]
            if missing:
                from .models import Step

                names = "、".join(str(Step(s).label) for s in missing)
                return _("缺少必经环节：%(s)s (required steps missing)") % {"s": names}
            return None
        if t == EventType.DELIVERY:
            if c.completed_at is None:
                raise _order_refused(_label(t), str(EventType.COMPLETION.label))
            if c.delivered_at is not None:
                raise Refused(AnomalyCode.DUPLICATE, _("该办件已送达 (the case was already delivered)"))
            if e.at < c.completed_at:
                raise _order_refused(_label(t), str(EventType.COMPLETION.label))
            c.delivered_at = e.at
            c.status = CaseStatus.DELIVERED
            return None
        if t == EventType.RATING:
            if c.completed_at is None:
                raise _order_refused(_label(t), str(EventType.COMPLETION.label))
            if c.rating is not None:
                raise Refused(AnomalyCode.DUPLICATE, _("该办件已评价 (the case was already rated)"))
            if e.at < c.completed_at:
                raise _order_refused(_label(t), str(EventType.COMPLETION.label))
            c.rating = int(e.data["rating"])
            c.rated_at = e.at
            return None
        if t == EventType.FEE:
            c.fee_total = Decimal(c.fee_total) + Decimal(e.data["amount"])
            return None
        # Pauses: 补正告知/补正受理 and special procedures.
        if done:
            raise Refused(AnomalyCode.AFTER_COMPLETION, _("办件已办结 (the case is already completed)"))
        if t in (EventType.SUPPLEMENT_NOTICE, EventType.SPECIAL_START):
            kind = SUPPLEMENT if t == EventType.SUPPLEMENT_NOTICE else e.data["procedure"]
            if t == EventType.SPECIAL_START and c.accepted_at is None:
                raise _order_refused(_label(t), str(EventType.ACCEPTANCE.label))
            if self._open(kind) is not None:
                raise Refused(AnomalyCode.DUPLICATE, _("该中止尚未结束 (this pause is already open)"))
            if e.at < self._last_time():
                raise _order_refused(_label(t), _("上一环节"))
            c.pauses = [*c.pauses, [_epoch(e.at), None, kind]]
            c.paused = True
            self.clock_changed = c.accepted_at is not None or self.clock_changed
            return None
        # SUPPLEMENT_RETURN, SPECIAL_END
        if t == EventType.SUPPLEMENT_RETURN:
            p = self._open(SUPPLEMENT)
        else:
            procedure = e.data.get("procedure")
            open_special = [q for q in c.pauses if q[1] is None and q[2] != SUPPLEMENT]
            if procedure:
                p = self._open(procedure)
            else:
                p = open_special[0] if len(open_special) == 1 else None
        if p is None:
            raise Refused(AnomalyCode.NOT_PAUSED, _("没有对应的中止 (no matching open pause)"))
        if _epoch(e.at) < p[0]:
            raise _order_refused(_label(t), _("中止"))
        c.pauses = [[q[0], _epoch(e.at), q[2]] if q is p else q for q in c.pauses]
        c.paused = clocking.has_open_pause(c.pauses)
        self.clock_changed = True
        return None


# --- the batch ---------------------------------------------------------------------------------------------


@dataclass
class _Problem:
    event: Event | None
    raw: Any
    code: str
    detail: str
    disposition: str
    case: Case | None = None
    matter: Matter | None = None


def ingest(
    source: SourceSystem,
    events: list[Any],
    *,
    channel: str = "api",
    filename: str = "",
    now: datetime | None = None,
    attempts: int = 3,
) -> Outcome:
    """Take a batch of events from `source` (see the module's docstring). Retried when a concurrent batch of
    the same source created the same case at the same moment (the replay check makes the retry exact)."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return _ingest(source, events, channel=channel, filename=filename, now=now)
        except (IntegrityError, OperationalError) as exc:  # a race on a new case, or a deadlock victim
            if attempt == attempts - 1:
                raise
            log.warning("e-service intake: batch retried after %s", exc.__class__.__name__)
    raise AssertionError("unreachable")


def _ingest(
    source: SourceSystem, raws: list[Any], *, channel: str, filename: str, now: datetime | None
) -> Outcome:
    started = time.perf_counter()
    now = now or timezone.now()
    out = Outcome(received=len(raws))
    problems: list[_Problem] = []

    # 1. read
    events: list[Event] = []
    latest = now + timedelta(seconds=int(presets.get("future_tolerance_seconds")))
    for i, raw in enumerate(raws):
        try:
            events.append(read_event(i, raw, now, latest))
        except Refused as r:
            problems.append(_Problem(None, raw, r.code, r.detail, Disposition.REJECTED))

    # 2. replays: within the batch, then against what is stored
    first: dict[str, Event] = {}
    fresh: list[Event] = []
    for e in events:
        seen = first.get(e.event_id)
        if seen is None:
            first[e.event_id] = e
            fresh.append(e)
        elif seen.digest == e.digest:
            out.replayed += 1
        else:
            problems.append(_conflict(e))
    stored = dict(
        CaseEvent.objects.filter(source=source, event_id__in=list(first)).values_list("event_id", "digest")
    )
    pending = []
    for e in fresh:
        digest = stored.get(e.event_id)
        if digest is None:
            pending.append(e)
        elif digest == e.digest:
            out.replayed += 1
        else:
            problems.append(_conflict(e))

    # 3. cases, matters, windows
    case_nos = sorted({e.case_no for e in pending})
    cases: dict[str, CaseRow] = {}
    if case_nos:
        qs = Case.objects.filter(source=source, case_no__in=case_nos).order_by("id")
        if store.postgres():
            qs = qs.select_for_update()
        cases = {c.case_no: c for c in map(CaseRow.from_db, qs.values_list(*CASE_COLUMNS))}
    matter_codes = {e.data["matter"] for e in pending if e.type == EventType.APPLICATION}
    matters = {m.code: m for m in Matter.objects.filter(code__in=matter_codes).select_related("department")}
    by_id = {m.pk: m for m in matters.values()}
    missing_ids = {c.matter_id for c in cases.values()} - set(by_id)
    if missing_ids:
        for m in Matter.objects.filter(pk__in=missing_ids):
            by_id[m.pk] = m
    window_codes = {e.data["window"] for e in pending if "window" in e.data}
    windows = {w.code: w for w in Window.objects.filter(code__in=window_codes)}

    by_case: dict[str, list[Event]] = defaultdict(list)
    for e in pending:
        by_case[e.case_no].append(e)
    counts = Counts()
    lives: list[Life] = []
    living: set[int] = set()
    accepted_events: list[tuple[Event, Case]] = []
    new_windows: dict[str, Window] = {}
    orphans: dict[str, list[_Problem]] = defaultdict(list)  # events before their case's application
    new_window_of: dict[int, Window] = {}  # new cases at windows first seen in this batch
    branches: list[tuple[CaseRow, dict]] = []  # new cases that are branches of a parallel-approval project
    for case_no in case_nos:
        evs = sorted(by_case[case_no], key=lambda e: (e.at, RANK[e.type], e.position))
        case = cases.get(case_no)
        life = None
        if case is not None:
            life = Life(case, by_id[case.matter_id], new=False)
        for e in evs:
            if life is None:
                if e.type != EventType.APPLICATION:
                    if any(x.type == EventType.APPLICATION for x in evs):  # dated before its own application
                        problem = _Problem(
                            e,
                            e.raw,
                            AnomalyCode.OUT_OF_ORDER,
                            _order_refused(
                                str(EventType(e.type).label), str(EventType.APPLICATION.label)
                            ).detail,
                            Disposition.REJECTED,
                        )
                        orphans[case_no].append(problem)
                    else:
                        problem = _Problem(
                            e,
                            e.raw,
                            AnomalyCode.UNKNOWN_CASE,
                            _("办件不存在，须先报送申请 (no application for this case)"),
                            Disposition.REJECTED,
                        )
                    problems.append(problem)
                    continue
                matter = matters.get(e.data["matter"])
                if matter is None or not matter.is_active:
                    problems.append(
                        _Problem(
                            e,
                            e.raw,
                            AnomalyCode.UNKNOWN_MATTER,
                            _("事项编码 %(c)s 不在事项目录中 (unknown matter code)")
                            % {"c": e.data["matter"]},
                            Disposition.REJECTED,
                        )
                    )
                    continue
                if not matter.region_path.startswith(source.region_path):
                    problems.append(
                        _Problem(
                            e,
                            e.raw,
                            AnomalyCode.OUT_OF_REGION,
                            _("事项不属于本审批系统所在区划 (the matter is outside this system's region)"),
                            Disposition.REJECTED,
                        )
                    )
                    continue
                window = None
                if "window" in e.data:
                    code = e.data["window"]
                    window = windows.get(code) or new_windows.get(code)
                    if window is None:
                        window = Window(
                            code=code, name=code, unit=matter.department, region_path=matter.region_path
                        )
                        new_windows[code] = window
                case = CaseRow(
                    source_id=source.pk,
                    case_no=case_no,
                    matter_id=matter.pk,
                    department_id=matter.department_id,
                    window_id=window.pk if window is not None else None,
                    level=matter.level,
                    region_path=matter.region_path,
                    status=CaseStatus.APPLIED,
                    applied_at=e.at,
                    pauses=[],
                    updated_at=now,
                    applicant_index=e.proof[0],
                    query_code_index=e.proof[1],
                )
                if window is not None and window.pk is None:
                    new_window_of[id(case)] = window
                life = Life(case, matter, new=True)
                lives.append(life)
                living.add(id(life))
                if "project" in e.data:
                    branches.append((case, e.data))
                counts.add(e.at, case, "applied")
                accepted_events.append((e, case))
                continue
            if id(life) not in living:
                lives.append(life)
                living.add(id(life))
            try:
                flag = life.apply(e)
            except Refused as r:
                problems.append(
                    _Problem(
                        e, e.raw, r.code, r.detail, Disposition.REJECTED, case=life.case, matter=life.matter
                    )
                )
                continue
            accepted_events.append((e, life.case))
            if flag:
                problems.append(
                    _Problem(
                        e,
                        e.raw,
                        AnomalyCode.MISSING_STEPS,
                        flag,
                        Disposition.FLAGGED,
                        case=life.case,
                        matter=life.matter,
                    )
                )
            if e.type == EventType.ACCEPTANCE:
                counts.add(e.at, life.case, "accepted")
            elif e.type == EventType.RATING:
                counts.add(e.at, life.case, "rated")
                rating = int(e.data["rating"])
                counts.add(e.at, life.case, "bad" if rating in BAD_RATINGS else "satisfied")
                if rating in BAD_RATINGS:
                    life.case.flags |= Flag.BAD_RATING
            elif e.type == EventType.FEE and Decimal(life.case.fee_total) > life.matter.fee_standard:
                life.case.flags |= Flag.FEE

        for p in orphans.get(case_no, ()):
            if life is not None:
                p.case, p.matter = life.case, life.matter

    # 4. the clock, completion figures and conditions
    running = [
        lf.case for lf in lives if lf.clock_changed and lf.case.accepted_at is not None and not lf.case.paused
    ]
    clocking.set_boundaries(running)
    accepted_now = [lf.case for lf in lives if lf.accepted_now]
    for case, late in zip(accepted_now, clocking.late_acceptance(accepted_now), strict=True):
        if late:
            case.flags |= Flag.LATE_ACCEPTANCE
    quick = int(presets.get("quick_completion_seconds"))
    for lf in lives:
        c = lf.case
        if lf.completed_now:
            _complete(c, lf.matter, counts, quick, c.window_id is not None or id(c) in new_window_of)
        if lf.new or lf.clock_changed or lf.completed_now or c.flags & ~c.alerted:
            _schedule(c, now)
        c.updated_at = now

    # 5. write
    store.insert(Window, list(new_windows.values()))
    for lf in lives:
        if id(lf.case) in new_window_of:
            lf.case.window_id = new_window_of[id(lf.case)].pk
    store.copy_insert(Case, [lf.case for lf in lives if lf.new], with_ids=True)
    store.copy_update(Case, [lf.case for lf in lives if not lf.new], CASE_FIELDS)
    if branches:
        from . import projects

        projects.link(source, branches, now)
    store.copy_insert(
        CaseEvent,
        [
            EventRow(case.pk, source.pk, e.event_id, e.type, e.at, now, e.data, e.digest)
            for e, case in accepted_events
        ],
    )
    batch = IngestBatch.objects.create(
        source=source,
        region_path=source.region_path,
        channel=channel,
        filename=filename[:200],
        received_at=now,
        events=len(raws),
    )
    anomalies = [_anomaly(p, source, batch, now) for p in problems]
    store.insert(DataAnomaly, anomalies)
    for p in problems:
        if p.case is not None:
            counts.add(now, p.case, "anomalies")
        elif p.matter is not None:
            counts.add(now, matter_owner(p.matter), "anomalies")
    write_counts(counts)

    out.rejected = sum(1 for p in problems if p.disposition == Disposition.REJECTED)
    out.flagged = sum(1 for p in problems if p.disposition == Disposition.FLAGGED)
    out.accepted = len(accepted_events)
    out.problems = [
        {
            "event_id": p.event.event_id
            if p.event
            else str((p.raw or {}).get("event_id", "") if isinstance(p.raw, dict) else ""),
            "code": p.code,
            "disposition": p.disposition,
            "detail": p.detail,
        }
        for p in problems
    ]
    batch.accepted, batch.replayed, batch.rejected, batch.flagged = (
        out.accepted,
        out.replayed,
        out.rejected,
        out.flagged,
    )
    batch.seconds = time.perf_counter() - started
    batch.save(update_fields=["accepted", "replayed", "rejected", "flagged", "seconds"])
    if channel != "portal":  # a citizen's rating on the portal is not the system reporting
        SourceSystem.objects.filter(pk=source.pk).update(last_seen_at=now)
    audit.record(
        AuditEventType.ESERVICE_EVENTS_INGESTED,
        actor_name="portal" if channel == "portal" else f"source:{source.name}",
        obj=batch,
        data={
            "channel": channel,
            "file": filename[:200],
            "received": out.received,
            "accepted": out.accepted,
            "replayed": out.replayed,
            "rejected": out.rejected,
            "flagged": out.flagged,
        },
    )
    out.batch_id = batch.pk
    return out


class EventRow:
    """A CaseEvent row to write (a model instance costs ~60 µs to build; this, next to nothing)."""

    __slots__ = (
        "case_id",
        "source_id",
        "event_id",
        "type",
        "at",
        "received_at",
        "data",
        "digest",
        "pk",
        "id",
    )

    def __init__(self, case_id, source_id, event_id, kind, at, received_at, data, digest) -> None:
        self.case_id, self.source_id, self.event_id, self.type = case_id, source_id, event_id, kind
        self.at, self.received_at, self.data, self.digest = at, received_at, data, digest
        self.pk = self.id = None


CASE_COLUMNS = [f.attname for f in Case._meta.concrete_fields]
_CASE_DEFAULTS = {
    "id": None,
    "window_id": None,
    "accepted_at": None,
    "completed_at": None,
    "delivered_at": None,
    "steps": 0,
    "last_step_at": None,
    "limit": "",
    "paused": False,
    "deadline": None,
    "warning_at": None,
    "red_at": None,
    "early_at": None,
    "provisional": False,
    "stage": "normal",
    "next_check_at": None,
    "on_time": None,
    "early": None,
    "onsite": None,
    "used_share": None,
    "fee_total": Decimal("0"),
    "rating": None,
    "rated_at": None,
    "flags": 0,
    "alerted": 0,
    "rectified": False,
    "applicant_index": "",
    "query_code_index": "",
}


class CaseRow:
    """A case as the intake handles it: its columns as attributes and nothing else (a model instance costs
    tens of microseconds to build and a batch handles a thousand cases)."""

    __slots__ = tuple(CASE_COLUMNS)

    def __init__(self, **values: Any) -> None:
        for name in CASE_COLUMNS:
            setattr(self, name, values[name] if name in values else _CASE_DEFAULTS[name])

    @classmethod
    def from_db(cls, row: tuple) -> CaseRow:
        obj = cls.__new__(cls)
        for name, value in zip(CASE_COLUMNS, row, strict=True):
            setattr(obj, name, value)
        return obj

    @property
    def pk(self) -> int | None:
        return self.id

    @pk.setter
    def pk(self, value: int | None) -> None:
        self.id = value


CASE_FIELDS = [
    "status",
    "accepted_at",
    "completed_at",
    "delivered_at",
    "steps",
    "last_step_at",
    "limit",
    "pauses",
    "paused",
    "deadline",
    "warning_at",
    "red_at",
    "early_at",
    "provisional",
    "stage",
    "next_check_at",
    "on_time",
    "early",
    "onsite",
    "used_share",
    "fee_total",
    "rating",
    "rated_at",
    "flags",
    "updated_at",
]


def _conflict(e: Event) -> _Problem:
    return _Problem(
        e,
        e.raw,
        AnomalyCode.CONFLICTING_REPLAY,
        _("事件编号 %(id)s 已用于内容不同的事件 (the event id was used for a different event)")
        % {"id": e.event_id},
        Disposition.REJECTED,
    )


def _complete(c: Case, matter: Matter, counts: Counts, quick: int, at_window: bool) -> None:
    """The completion figures of a case completed in this batch (its boundaries are final: every pause closed)."""
    assert c.completed_at is not None and c.accepted_at is not None
    c.on_time = c.completed_at < c.deadline
    c.early = c.early_at is not None and c.completed_at < c.early_at
    # 现场办结: an instant matter applied for at a window and completed there the same day (an online
    # application completed the same day is on time, not on site).
    c.onsite = (
        matter.instant
        and at_window
        and timezone.localtime(c.completed_at, TZ).date() == timezone.localtime(c.applied_at, TZ).date()
    )
    c.used_share = clocking.used_share(c)
    if c.on_time:
        c.stage = "normal"  # a warning no longer matters once the case is done
    else:
        c.flags |= Flag.OVERDUE | (Flag.OVERDUE_RED if c.completed_at >= c.red_at else 0)
    if not matter.instant and (c.completed_at - c.accepted_at).total_seconds() < quick:
        c.flags |= Flag.QUICK_COMPLETION
    at = c.completed_at
    counts.add(at, c, "completed")
    if c.on_time:
        counts.add(at, c, "on_time")
    if c.early:
        counts.add(at, c, "early")
    if c.onsite:
        counts.add(at, c, "onsite")
    if c.used_share is not None:
        counts.add(at, c, "limited")
        counts.add(at, c, "used_share_sum", c.used_share)


def _schedule(c: Case, now: datetime) -> None:
    """When the sweep next looks at the case: at once when there is something to raise (a condition without its
    alert, a boundary already passed); else at its next boundary; never for a paused case (its pause's end is an
    event) or one done with nothing to raise."""
    if c.flags & ~c.alerted:
        c.next_check_at = now
        return
    if c.completed_at is not None or c.paused or c.deadline is None:
        c.next_check_at = None
        return
    stage_next = {"normal": c.warning_at, "warning": c.deadline, "yellow": c.red_at}.get(c.stage)
    if c.stage == "normal" and c.warning_at is None:
        stage_next = c.deadline
    c.next_check_at = stage_next


def _anomaly(p: _Problem, source: SourceSystem, batch: IngestBatch, now: datetime) -> DataAnomaly:
    case = p.case if p.case is not None and p.case.pk is not None else None
    matter = p.matter
    raw = p.raw if isinstance(p.raw, dict) else {"value": p.raw}
    if any(k in raw for k in SECRET_FIELDS):  # the applicant's phone and query code are never kept in clear
        raw = {**raw}
        if "applicant_phone" in raw:
            raw["applicant_phone"] = crypto.mask_phone(str(raw["applicant_phone"]))
        if "query_code" in raw:
            raw["query_code"] = "****"
    try:
        payload = json.loads(json.dumps(raw, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        payload = {"value": str(raw)[:1000]}
    return DataAnomaly(
        source=source,
        batch=batch,
        event_id=(p.event.event_id if p.event else str(raw.get("event_id", ""))[:64]),
        case_id=case.pk if case is not None else None,
        case_no=(p.event.case_no if p.event else str(raw.get("case_no", ""))[:64]),
        matter=matter,
        department_id=matter.department_id if matter else None,
        region_path=matter.region_path if matter else source.region_path,
        code=p.code,
        disposition=p.disposition,
        detail=p.detail[:300],
        payload=payload,
        detected_at=now,
    )


def write_counts(counts: Counts) -> None:
    """The batch's rollup increments into the daily and monthly counters."""
    daily: dict[tuple, tuple[tuple, dict[str, float]]] = {}
    monthly: dict[tuple, tuple[tuple, dict[str, float]]] = {}
    for (day, owner_key), amounts in counts.rows.items():
        c = counts.owners[owner_key]
        attrs = (c.department_id, c.level, c.region_path)
        for table, first in ((daily, day), (monthly, day.replace(day=1))):
            key = (first, c.matter_id, c.window_id or 0)
            entry = table.setdefault(key, (attrs, Counter()))
            entry[1].update(amounts)
    store.add_counts(
        DailyStat,
        ("day", "matter_id", "window_id"),
        ("department_id", "level", "region_path"),
        [(k, a, dict(v)) for k, (a, v) in daily.items()],
    )
    store.add_counts(
        MonthlyStat,
        ("month", "matter_id", "window_id"),
        ("department_id", "level", "region_path"),
        [(k, a, dict(v)) for k, (a, v) in monthly.items()],
    )


def local_day(dt: datetime) -> date:
    return timezone.localtime(dt, TZ).date()
