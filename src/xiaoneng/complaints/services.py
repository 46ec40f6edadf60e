"""Complaint services: intake shared by every channel (portal, staff entry, Open311, 12345 batch), and the
handling actions (see workflow.py), each one atomic with its timeline event and audit row."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xiaoneng.core import audit, crypto, notify, scope, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import Recusal
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit
from xiaoneng.org.roles import Role

from .models import Category, Channel, Complaint, Handling, Rating
from .workflow import KIND

TRACKING_PREFIX = "TS"
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
QUERY_CODE_LENGTH = 8


def receiving_office(subject_unit: Unit) -> Unit:
    """The efficiency office that takes a complaint about `subject_unit`: the nearest unit up the region chain
    marked as handling complaints (the first by code where a region has several). One query: the chain is the
    region's materialised path."""
    codes = [c for c in subject_unit.region.path.strip("/").split("/") if c]
    depth = {code: i for i, code in enumerate(codes)}
    offices = Unit.objects.filter(
        region__code__in=codes, handles_complaints=True, is_active=True
    ).select_related("region")
    office = min(offices, key=lambda u: (-depth[u.region.code], u.code), default=None)
    if office is None:
        raise TransitionRefused(
            _("没有受理该单位投诉的效能办 (no office receives complaints about this unit)"),
            status=400,
            code="no_receiving_office",
        )
    return office


def query_code_hash(tracking_no: str, code: str) -> str:
    return crypto.blind_index(f"{tracking_no}:{code.strip().upper()}", purpose="complaint-query")


# The day's serial numbers are split in two so the two ways of allocating them never collide without a shared
# lock: complaints registered at once (staff entry, the 12345 import) draw from 000000–499999, the public intake
# queue (intake.py: portal, Open311), which hands the number out before the complaint exists, from 500000–999999.
SERIAL_SPLIT = 500_000


def new_tracking_no(at: datetime, *, queued: bool = False) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    serial = secrets.randbelow(SERIAL_SPLIT) + (SERIAL_SPLIT if queued else 0)
    return f"{TRACKING_PREFIX}{day}{serial:06d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _i in range(QUERY_CODE_LENGTH))


def _title(category: Category, subject_unit: Unit) -> str:
    # The work item's title is seen wherever the item is listed: it never carries the complainant's words.
    return f"{category.name} — {subject_unit.name}"


def check_submission(
    *,
    channel: str,
    category: Category,
    subject_unit: Unit,
    content: str,
    subject_person: Person | None = None,
    subject_person_text: str = "",
    anonymous: bool = False,
    name: str = "",
    phone: str = "",
    id_number: str = "",
    email: str = "",
    ip: str = "",
    device: str = "",
    consent_publish: bool = False,
    occurred_on=None,
    location: str = "",
    idempotency_key: str | None = None,
    open311_client=None,
) -> dict[str, Any]:
    """The rules every channel shares, checked before anything is written (a TransitionRefused with the reason
    in Chinese and English otherwise); returns the complaint's fields as they are stored (`identity`: name,
    phone, id_number, email, ip, device). Used by `submit` and by the public intake queue (intake.py), so both
    accept and refuse exactly the same submissions."""
    if channel not in Channel.values:
        raise TransitionRefused(_("未知的投诉渠道 (unknown channel)"), status=400, code="bad_channel")
    if not content.strip():
        raise TransitionRefused(
            _("请填写投诉内容 (describe the problem)"), status=400, code="content_required"
        )
    if not category.active:
        raise TransitionRefused(
            _("该投诉类别已停用 (this category is not in use)"), status=400, code="bad_category"
        )
    if not anonymous and not (phone.strip() or email.strip()):
        raise TransitionRefused(
            _("实名投诉请留一种联系方式（电话或邮箱） (a named complaint needs a phone or e-mail)"),
            status=400,
            code="contact_required",
        )
    if phone.strip():
        phone = _valid_phone(phone)
    return {
        "channel": channel,
        "category": category,
        "subject_unit": subject_unit,
        "subject_person": subject_person,
        "subject_person_text": subject_person_text.strip(),
        "content": content.strip(),
        "anonymous": anonymous,
        "identity": {
            "name": "" if anonymous else name.strip(),
            "phone": phone.strip(),
            "id_number": "" if anonymous else id_number.strip(),
            "email": email.strip(),
            "ip": ip,
            "device": device[:300],
        },
        "consent_publish": consent_publish,
        "occurred_on": occurred_on,
        "location": location.strip(),
        "idempotency_key": idempotency_key or None,
        "open311_client": open311_client,
    }


def submit(
    *,
    actor: Any = None,
    submitted_at: datetime | None = None,
    **submission: Any,
) -> tuple[Complaint, str | None, bool]:
    """Register a complaint at once (staff entry, the 12345 import; the public goes through the intake queue,
    intake.py, which ends in `register_queued`). `submission`: the arguments of `check_submission`. Returns
    (complaint, query code, created). A retry with the same idempotency key returns the first complaint
    (created False, no query code: it was shown the first time)."""
    fields = check_submission(**submission)
    idempotency_key = fields["idempotency_key"]
    if idempotency_key:
        existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, None, False
    submitted_at = submitted_at or timezone.now()
    office = receiving_office(fields["subject_unit"])
    code = new_query_code()
    for _attempt in range(5):
        tracking_no = new_tracking_no(submitted_at)
        try:
            with transaction.atomic():
                complaint = _create(
                    tracking_no=tracking_no,
                    code=code,
                    office=office,
                    actor=actor,
                    submitted_at=submitted_at,
                    **fields,
                )
            return complaint, code, True
        except IntegrityError:
            if idempotency_key:
                existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
                if existing is not None:  # the same submission raced us: answer with the first
                    return existing, None, False
            if Complaint.objects.filter(tracking_no=tracking_no).exists():
                continue  # a tracking number collision: draw another
            raise
    raise RuntimeError("could not allocate a tracking number")


def _valid_phone(phone: str) -> str:
    if crypto.mask_phone(phone).startswith("*"):
        raise TransitionRefused(
            _("联系电话格式不正确 (the phone number is not valid)"), status=400, code="bad_phone"
        )
    return phone


def _create(*, tracking_no, code, office, identity, actor, submitted_at, **fields) -> Complaint:
    wi = workitem.create(
        kind=KIND.code,
        actor=actor,
        title=_title(fields["category"], fields["subject_unit"]),
        owner_unit=office,
        started_at=submitted_at,
        limit=KIND.default_limit,
    )
    complaint = Complaint(
        work_item=wi,
        tracking_no=tracking_no,
        query_code_hash=query_code_hash(tracking_no, code),
        identity_name=identity["name"],
        identity_phone=identity["phone"],
        identity_id_number=identity["id_number"],
        identity_email=identity["email"],
        identity_ip=identity["ip"],
        identity_device=identity["device"],
        submitted_at=submitted_at,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    complaint.save()
    # 回避: the unit complained about and the official named never see it as staff.
    Recusal.objects.create(work_item=wi, unit=complaint.subject_unit)
    if complaint.subject_person is not None:
        Recusal.objects.create(work_item=wi, person=complaint.subject_person)
    return complaint


def register_queued(rows: list[Any], *, now: datetime | None = None) -> list[Complaint]:
    """The bulk path of intake (the public queue's registration worker, intake.py): a complaint for each
    acknowledged submission (`IntakeRequest`, its category, unit and office loaded), in the caller's transaction,
    each exactly what `submit` makes of the same input at `now` — the work item with its deadline and stage from
    the clock, the 'created' event, the audit row (the request's pseudonymous address), 回避 for the unit
    complained about, the attachments already cleaned and stored — with one statement per table and the audit
    chain appended once, as the last write (workitem.create_many, audit.record_many): the caller commits next,
    so the chain's head is locked only briefly."""
    from xiaoneng.core import bulk

    from . import attachments

    if not rows:
        return []
    now = now or timezone.now()
    specs = [
        {
            "title": _title(r.category, r.subject_unit),
            "owner_unit": r.office,
            "started_at": r.submitted_at,
            "limit": KIND.default_limit,
            "ip": r.audit_ip,
        }
        for r in rows
    ]
    items = workitem.create_many(KIND.code, specs, now=now, append_audit=False)
    complaints = []
    for r, wi in zip(rows, items, strict=True):
        identity = json.loads(r.identity) if r.identity else {}
        c = Complaint(
            work_item=wi,
            tracking_no=r.tracking_no,
            query_code_hash=r.query_code_hash,
            channel=r.channel,
            category_id=r.category_id,
            subject_unit_id=r.subject_unit_id,
            subject_person_text=r.subject_person_text,
            content=r.content,
            occurred_on=r.occurred_on,
            location=r.location,
            anonymous=r.anonymous,
            consent_publish=r.consent_publish,
            idempotency_key=r.idempotency_key,
            open311_client_id=r.open311_client_id,
            submitted_at=r.submitted_at,
            **{f"identity_{k}": identity.get(k, "") for k in IDENTITY_FIELDS},
        )
        c.set_indexes()
        complaints.append(c)
    bulk.insert(Complaint, complaints)
    # 回避: the unit complained about never sees it as staff (the public names no official, only a description).
    bulk.insert(Recusal, [{"work_item_id": c.pk, "unit_id": c.subject_unit_id} for c in complaints])
    files = [
        a for r, c in zip(rows, complaints, strict=True) for a in attachments.rows_for(c.pk, r.attachments)
    ]
    if files:
        from .models import Attachment

        bulk.insert(Attachment, files)
    # Last: the audit chain's head stays locked from here to the commit, which the caller makes next.
    audit.record_many(workitem.created_audit_events(items, specs))
    return complaints


IDENTITY_FIELDS = ("name", "phone", "id_number", "email", "ip", "device")


# --- Handling (受理 → 办结): one function per action; each goes through `act`, which wraps workitem.perform ------

# Who reads a complaint as staff: the original text, the masked identity (and its audited reveal), related
# complaints, every attachment. Everyone else who may see a complaint at all (the handling unit's liaison and
# head, leaders, NPC staff) reads the redacted copy only.
STAFF_VIEW = frozenset({Role.SUPERVISOR, Role.DISCIPLINE})
REVEALERS = STAFF_VIEW  # SPEC §2: identity only to accepting staff and 纪检监察


def _not_found() -> TransitionRefused:
    return TransitionRefused(
        _("找不到该投诉，或不在您的管辖范围内 (not found or outside your scope)"),
        status=404,
        code="not_found",
    )


def resolve(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Form or JSON data with ids turned into objects through the actor's scope: `unit` (the handling unit) and
    `related` (the complaint to link; empty unlinks). An id outside the scope answers like a missing one."""
    data = dict(data)
    unit = data.get("unit")
    if unit not in (None, "") and not isinstance(unit, Unit):
        data["unit"] = scope.access(Unit, actor, unit, Unit.objects.filter(is_active=True))
    related = data.get("related")
    if related in ("", None):
        data["related"] = None
    elif not isinstance(related, Complaint):
        data["related"] = scope.access(Complaint, actor, related)
    return data


def _restart(wi, limit: str) -> None:
    """A new phase (受理, 退回重办, 重新办理): the limit counts again from now; the deadline comes from the clock."""
    wi.started_at = timezone.now()
    wi.limit = limit


def act(
    complaint: Complaint,
    transition: str,
    actor: Any,
    *,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Perform one declared transition of a complaint with its effect on the complaint (see workflow.py for who
    may do what, when). Role, state and guard are checked by the workflow (403/409), the version by the work
    item (412), scope here (404); every change is on the timeline and the audit trail."""
    data = dict(data or {})
    if not scope.restrict(Complaint, actor).filter(pk=complaint.pk).exists():
        raise _not_found()
    unit = data.get("unit")
    if transition == "assign" and isinstance(unit, Unit):
        if not scope.restrict(Unit, actor).filter(pk=unit.pk, is_active=True).exists():
            raise TransitionRefused(
                _("找不到该单位，或不在您的管辖范围内 (unknown unit or outside your scope)"),
                status=404,
                code="not_found",
            )
    related = data.get("related")
    if transition == "link_related" and isinstance(related, Complaint):
        if not scope.restrict(Complaint, actor).filter(pk=related.pk).exists():
            raise _not_found()
    text = str(data.get("text", "") or "").strip()
    note = str(data.get("note", "") or "").strip()
    reason = str(data.get("reason", "") or "").strip()
    now = timezone.now()
    timeline_note = note
    changed: list[str] = []

    def effect(wi) -> None:
        c = wi.complaint  # the row the guard read, under the work item's lock

        def put(**values) -> None:
            for field, value in values.items():
                setattr(c, field, value)
                changed.append(field)

        if transition == "accept":
            _restart(wi, c.category.reply_limit)
        elif transition == "reject":
            put(not_accepted_reason=reason)
        elif transition == "handle_directly":
            put(handling=Handling.DIRECT, handling_unit=wi.owner_unit)
        elif transition == "assign":
            put(
                handling=Handling.ASSIGNED,
                handling_unit=unit,
                redacted_content=str(data["redacted_content"]).strip(),
                released_at=now,
            )
            # The unit works from the copy; the item stays in the accepting office's region (its scope for staff).
            wi.owner_unit = unit
            released = {int(x) for x in data.get("attachments") or [] if str(x).isdigit()}
            c.attachments.update(for_unit=False)
            c.attachments.filter(pk__in=released).update(for_unit=True)
        elif transition in ("submit_reply", "reply", "record_result"):
            put(unit_reply=text)
        elif transition == "review_pass":
            put(public_reply=str(data["public_reply"]).strip(), finding=data["finding"], replied_at=now)
        elif transition == "review_redo":
            _restart(wi, c.category.reply_limit)
        elif transition == "rate":
            put(
                rating=data["rating"],
                rating_note=str(data.get("rating_note", "") or "").strip(),
                rated_at=now,
            )
        elif transition == "reopen":
            put(reopen_count=c.reopen_count + 1, rating="", rating_note="", rated_at=None, handling="")
            office = receiving_office(c.subject_unit)
            wi.owner_unit, wi.region_path = office, office.region.path
            _restart(wi, c.category.reply_limit)
        elif transition == "request_extension":
            workitem.add_extension_request(wi, actor, limit=str(data["limit"]).strip(), reason=reason)
        elif transition in ("approve_extension", "reject_extension"):
            workitem.settle_extension(wi, actor, approve=transition == "approve_extension")
        elif transition == "request_accountability":
            put(accountability_requested_at=now)
        elif transition == "link_related":
            put(related_to=related)
        if changed:
            c.save(update_fields=sorted(set(changed)))

    if transition in ("submit_reply", "reply", "record_result"):
        timeline_note = text
    elif transition == "reject":
        timeline_note = reason
    elif transition == "request_extension":
        timeline_note = f"+{str(data.get('limit', '')).strip()} {reason}".strip()
    elif transition == "rate" and data.get("rating") in Rating.values:
        timeline_note = " ".join(
            x
            for x in (str(Rating(data["rating"]).label), str(data.get("rating_note", "") or "").strip())
            if x
        )
    elif transition == "link_related":
        timeline_note = related.tracking_no if isinstance(related, Complaint) else _("取消关联")

    with transaction.atomic():
        wi = workitem.perform(
            complaint.work_item,
            transition,
            actor,
            note=timeline_note,
            expected_version=expected_version,
            data=data,
            effect=effect,
        )
        _tell(wi, transition)
    complaint = Complaint.objects.select_related("work_item__owner_unit", "category", "subject_unit").get(
        pk=complaint.pk
    )
    return complaint


def perform_generic(item, transition: str, actor: Any, *, note: str = "", expected_version=None, data=None):
    """The generic work-item endpoints (/api/work-items/{id}/actions/…) hand complaint transitions here, so the
    effects above always run whichever way an action arrives."""
    data = resolve(actor, {**(data or {}), "note": note})
    return act(item.complaint, transition, actor, data=data, expected_version=expected_version).work_item


# What each transition tells whom: (roles, where) — "unit": the handling unit; "office": the accepting office.
_TELLS = {
    "assign": ((Role.LIAISON, Role.UNIT_LEADER), "unit", gettext_noop("新交办效能投诉：%(t)s")),
    "submit_reply": ((Role.UNIT_LEADER,), "unit", gettext_noop("效能投诉答复待您审核：%(t)s")),
    "return_reply": ((Role.LIAISON,), "unit", gettext_noop("效能投诉答复被退回修改：%(t)s")),
    "review_redo": ((Role.LIAISON, Role.UNIT_LEADER), "unit", gettext_noop("效能投诉退回重办：%(t)s")),
    "approve_extension": ((Role.LIAISON,), "unit", gettext_noop("效能投诉延期已批准：%(t)s")),
    "reject_extension": ((Role.LIAISON,), "unit", gettext_noop("效能投诉延期未批准：%(t)s")),
    "approve_reply": ((Role.SUPERVISOR,), "office", gettext_noop("效能投诉单位已答复，待审核：%(t)s")),
    "reply": ((Role.SUPERVISOR,), "office", gettext_noop("效能投诉单位已答复，待审核：%(t)s")),
    "request_extension": ((Role.SUPERVISOR,), "office", gettext_noop("效能投诉延期申请待审批：%(t)s")),
}


def _tell(wi, transition: str) -> None:
    """Notify after a transition (on commit). Titles carry the category and the unit only — never the
    complainant's words or identity; the official complained about is never told."""
    from xiaoneng.org.models import User

    told = _TELLS.get(transition)
    if told is None:
        return
    roles, where, template = told
    c = wi.complaint
    if where == "unit":
        who = Q(unit_id=wi.owner_unit_id)
    else:  # the accepting office's supervisors, and whoever assigned it (a higher office may have)
        assigned_by = wi.timeline.filter(action="assign").order_by("-at", "-id").values("actor_id")[:1]
        who = Q(pk__in=assigned_by)
        try:
            who |= Q(unit_id=receiving_office(c.subject_unit).pk)
        except TransitionRefused:
            pass
    users = User.objects.filter(who, role__in=roles, is_active=True).select_related("unit__region")
    if c.subject_person_id:
        users = users.exclude(person_id=c.subject_person_id)
    title = _(template) % {"t": wi.title}
    url = reverse("complaint_detail", args=[wi.pk])
    for user in users:
        if not scope.restrict(Complaint, user).filter(pk=wi.pk).exists():
            continue  # 回避: never tell someone about a complaint they may not open
        notify.notify(
            user, f"complaint:{wi.pk}:{transition}:{wi.version}", title, url=url, item=wi, channels=("sms",)
        )


def accept(actor, complaint, *, expected_version=None) -> Complaint:
    """受理: within the acceptance limit (1 working day); the reply limit of the category starts now."""
    return act(complaint, "accept", actor, expected_version=expected_version)


def reject(actor, complaint, *, reason: str, expected_version=None) -> Complaint:
    """不予受理 with a reason the complainant reads on the portal."""
    return act(complaint, "reject", actor, data={"reason": reason}, expected_version=expected_version)


def handle_directly(actor, complaint, *, note: str = "", expected_version=None) -> Complaint:
    """直查: the office investigates itself."""
    return act(complaint, "handle_directly", actor, data={"note": note}, expected_version=expected_version)


def assign(
    actor,
    complaint,
    *,
    unit: Unit,
    redacted_content: str,
    attachments=(),
    note: str = "",
    expected_version=None,
) -> Complaint:
    """交办 to `unit` (the unit complained about is the normal case) with the redacted copy: refused while the copy
    still identifies the complainant (redaction.identity_leaks); only the attachments listed go with it."""
    data = {
        "unit": unit,
        "redacted_content": redacted_content,
        "attachments": list(attachments),
        "note": note,
    }
    return act(complaint, "assign", actor, data=data, expected_version=expected_version)


def submit_reply(actor, complaint, *, text: str, expected_version=None) -> Complaint:
    """提交答复: the unit's liaison drafts the reply; it leaves the unit once the unit head approves it."""
    return act(complaint, "submit_reply", actor, data={"text": text}, expected_version=expected_version)


def approve_reply(actor, complaint, *, note: str = "", expected_version=None) -> Complaint:
    """审核通过并报送: the unit head sends the drafted reply to the office."""
    return act(complaint, "approve_reply", actor, data={"note": note}, expected_version=expected_version)


def return_reply(actor, complaint, *, note: str, expected_version=None) -> Complaint:
    """退回修改: the unit head sends the draft back to the liaison with reasons."""
    return act(complaint, "return_reply", actor, data={"note": note}, expected_version=expected_version)


def reply(actor, complaint, *, text: str, expected_version=None) -> Complaint:
    """单位答复 written and sent by the unit head himself."""
    return act(complaint, "reply", actor, data={"text": text}, expected_version=expected_version)


def record_result(actor, complaint, *, text: str, expected_version=None) -> Complaint:
    """直查结果: what the office's own investigation found."""
    return act(complaint, "record_result", actor, data={"text": text}, expected_version=expected_version)


def review_pass(
    actor, complaint, *, public_reply: str, finding: str, note: str = "", expected_version=None
) -> Complaint:
    """审核通过: the reply to the complainant and the finding (属实/部分属实/不属实)."""
    data = {"public_reply": public_reply, "finding": finding, "note": note}
    return act(complaint, "review_pass", actor, data=data, expected_version=expected_version)


def review_redo(actor, complaint, *, note: str, expected_version=None) -> Complaint:
    """退回重办 with reasons the unit reads; the unit's reply limit counts again from now."""
    return act(complaint, "review_redo", actor, data={"note": note}, expected_version=expected_version)


def rate(actor, complaint, *, rating: str, note: str = "", expected_version=None) -> Complaint:
    """回访评价 entered by staff after the follow-up call."""
    data = {"rating": rating, "rating_note": note}
    return act(complaint, "rate", actor, data=data, expected_version=expected_version)


def reopen(actor, complaint, *, note: str = "", expected_version=None) -> Complaint:
    """重新办理 once after 不满意: back to the accepting office, the reply limit from now."""
    return act(complaint, "reopen", actor, data={"note": note}, expected_version=expected_version)


def close(actor, complaint, *, note: str = "", expected_version=None) -> Complaint:
    """办结: only with a reply and a finding (件件有落实、事事有结果)."""
    return act(complaint, "close", actor, data={"note": note}, expected_version=expected_version)


def request_extension(actor, complaint, *, limit: str, reason: str, expected_version=None) -> Complaint:
    """延期申请 by the handling unit (one per phase), decided by the office."""
    data = {"limit": limit, "reason": reason}
    return act(complaint, "request_extension", actor, data=data, expected_version=expected_version)


def decide_extension(actor, complaint, *, approve: bool, note: str = "", expected_version=None) -> Complaint:
    """延期审批: an approved extension moves the deadline."""
    name = "approve_extension" if approve else "reject_extension"
    return act(complaint, name, actor, data={"note": note}, expected_version=expected_version)


def request_accountability(actor, complaint, *, note: str = "", expected_version=None) -> Complaint:
    """提请问责 on a true or partly true finding: recorded now; the case opens with the accountability capability."""
    return act(
        complaint, "request_accountability", actor, data={"note": note}, expected_version=expected_version
    )


def link_related(actor, complaint, *, related: Complaint | None, expected_version=None) -> Complaint:
    """关联: staff link a complaint to an earlier one (same complainant, or the same matter); None unlinks."""
    return act(complaint, "link_related", actor, data={"related": related}, expected_version=expected_version)


def reveal_identity(*, actor: Any, complaint: Complaint, reason: str) -> dict[str, str]:
    """The complainant's identity in clear, for accepting staff and 纪检监察 who give a reason; every reveal and
    every refusal is on the audit trail (SPEC §2, whistleblower protection)."""
    from xiaoneng.org.services import RevealRefused

    reason = (reason or "").strip()
    allowed = getattr(actor, "role", None) in REVEALERS
    if not allowed or not scope.restrict(Complaint, actor).filter(pk=complaint.pk).exists():
        with transaction.atomic():  # the refusal stays on the trail although nothing else happens
            audit.record(AuditEventType.ACCESS_DENIED, actor=actor, obj=complaint, data={"action": "reveal"})
        raise RevealRefused(_("无权查看投诉人信息 (not allowed to reveal the complainant's identity)"), 403)
    if not reason:
        raise RevealRefused(_("请填写查看理由 (a reason is required)"), 400)
    fields = ["name", "phone", "id_number", "email", "ip", "device"]
    with transaction.atomic():
        audit.record(
            AuditEventType.SENSITIVE_VIEWED,
            actor=actor,
            obj=complaint,
            data={"fields": [*fields, "content"], "reason": reason},
        )
    return {**{f: getattr(complaint, f"identity_{f}") for f in fields}, "content": complaint.content}


def masked_content(complaint: Complaint) -> str:
    """The complainant's text as staff read it on screen: their identity masked wherever they wrote it (the
    clear text comes with the audited reveal)."""
    from .redaction import suggest_redacted

    return suggest_redacted(complaint)


def find_by_tracking(tracking_no: str, code: str) -> Complaint | None:
    """The public lookup: the complaint only when the tracking number and its query code match."""
    c = Complaint.objects.filter(tracking_no=tracking_no.strip().upper()).select_related("work_item").first()
    if c is None or not secrets.compare_digest(c.query_code_hash, query_code_hash(c.tracking_no, code)):
        return None
    return c


class _PublicActor:
    """The complainant acting on the public portal, without an account: the workflow lets the role "public"
    perform only what is declared for it (rate_public)."""

    role = "public"
    pk = None
    unit_id = None
    is_authenticated = False
    is_active = False

    def get_username(self) -> str:
        return ""


PUBLIC_ACTOR = _PublicActor()


def rate_public(complaint: Complaint, rating: str, note: str = "") -> Complaint:
    """满意/基本满意/不满意 from the complainant on the portal, once per reply, while the complaint is answered.
    The comment stays on the complaint (staff read it there); the timeline records the rating only."""

    def effect(item) -> None:
        complaint.rating = rating
        complaint.rating_note = note.strip()[:1000]
        complaint.rated_at = timezone.now()
        complaint.save(update_fields=["rating", "rating_note", "rated_at"])

    workitem.perform(complaint.work_item, "rate_public", PUBLIC_ACTOR, data={"rating": rating}, effect=effect)
    return complaint
