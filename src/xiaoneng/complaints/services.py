"""Complaint services: intake shared by every channel (portal, staff entry, Open311, 12345 batch), and the
handling actions (see workflow.py), each one atomic with its timeline event and audit row."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import crypto, workitem
from xiaoneng.core.models import Recusal
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Person, Unit

from .models import Category, Channel, Complaint
from .workflow import KIND

TRACKING_PREFIX = "TS"
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
QUERY_CODE_LENGTH = 8


def receiving_office(subject_unit: Unit) -> Unit:
    """The efficiency office that takes a complaint about `subject_unit`: the nearest unit up the region chain
    marked as handling complaints."""
    region = subject_unit.region
    while region is not None:
        office = Unit.objects.filter(region=region, handles_complaints=True, is_active=True).first()
        if office is not None:
            return office
        region = region.parent
    raise TransitionRefused(
        _("没有受理该单位投诉的效能办 (no office receives complaints about this unit)"),
        status=400,
        code="no_receiving_office",
    )


def query_code_hash(tracking_no: str, code: str) -> str:
    return crypto.blind_index(f"{tracking_no}:{code.strip().upper()}", purpose="complaint-query")


def _new_tracking_no(at: datetime) -> str:
    day = timezone.localtime(at).strftime("%Y%m%d")
    return f"{TRACKING_PREFIX}{day}{secrets.randbelow(10**6):06d}"


def _title(category: Category, subject_unit: Unit) -> str:
    # The work item's title is seen wherever the item is listed: it never carries the complainant's words.
    return f"{category.name} — {subject_unit.name}"


def submit(
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
    actor: Any = None,
    open311_client=None,
    submitted_at: datetime | None = None,
) -> tuple[Complaint, str | None, bool]:
    """Register a complaint from any channel. Returns (complaint, query code, created). A retry with the same
    idempotency key returns the first complaint (created False, no query code: it was shown the first time)."""
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
    if idempotency_key:
        existing = Complaint.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, None, False
    submitted_at = submitted_at or timezone.now()
    office = receiving_office(subject_unit)
    code = "".join(secrets.choice(QUERY_CODE_ALPHABET) for _i in range(QUERY_CODE_LENGTH))
    for _attempt in range(5):
        tracking_no = _new_tracking_no(submitted_at)
        try:
            with transaction.atomic():
                complaint = _create(
                    tracking_no=tracking_no,
                    code=code,
                    office=office,
                    channel=channel,
                    category=category,
                    subject_unit=subject_unit,
                    subject_person=subject_person,
                    subject_person_text=subject_person_text.strip(),
                    content=content.strip(),
                    anonymous=anonymous,
                    identity={
                        "name": "" if anonymous else name.strip(),
                        "phone": phone.strip(),
                        "id_number": "" if anonymous else id_number.strip(),
                        "email": email.strip(),
                        "ip": ip,
                        "device": device[:300],
                    },
                    consent_publish=consent_publish,
                    occurred_on=occurred_on,
                    location=location.strip(),
                    idempotency_key=idempotency_key or None,
                    actor=actor,
                    open311_client=open311_client,
                    submitted_at=submitted_at,
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

    workitem.perform(
        complaint.work_item, "rate_public", PUBLIC_ACTOR, data={"rating": rating}, effect=effect
    )
    return complaint
