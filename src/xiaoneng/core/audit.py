"""The audit trail: one vocabulary of event types, one append function, one verifier.

`record()` runs inside the caller's transaction: if the audit row cannot be written, the business write
fails with it (MLPS 2.0 L3 8.1.4.3 安全审计). Rows are chained: hash_n = HMAC-SM3(k_audit, hash_{n-1} ‖
canonical(row_n)), so a changed, removed or reordered row breaks the chain at that row.
"""

from __future__ import annotations

import contextvars
import json
from dataclasses import dataclass
from datetime import UTC
from enum import IntEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import crypto
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64

# The client address of the request being served, set by AuditContextMiddleware.
current_ip: contextvars.ContextVar[str] = contextvars.ContextVar("xiaoneng_audit_ip", default="")


def pseudonymous_ip(ip: str) -> str:
    """A keyed pseudonym of a client address ("anon-" + 16 hex of HMAC-SM3): equal addresses give equal
    pseudonyms, and nobody without the key learns the address."""
    if not ip:
        return ""
    return "anon-" + crypto.blind_index(ip, purpose="audit-public-ip")[:16]


class AuditEventType(IntEnum):
    """Every audit event type, declared once, in numbered ranges per area (never a free string)."""

    # 100–199 authentication and sessions
    LOGIN = 100
    LOGIN_FAILED = 101
    LOGOUT = 102
    LOCKED_OUT = 103
    PASSWORD_CHANGED = 104
    SESSION_EXPIRED = 105
    # 200–299 accounts, roles, permissions
    USER_CREATED = 200
    ROLE_CHANGED = 201
    USER_DEACTIVATED = 202
    USER_ACTIVATED = 203
    PASSWORD_RESET = 204
    USER_UNLOCKED = 205
    # 300–399 access to sensitive data and denials
    SENSITIVE_VIEWED = 300
    ACCESS_DENIED = 301
    # 400–499 imports, exports, documents
    IMPORTED = 400
    EXPORTED = 401
    # 500–599 work items
    WORKITEM_CREATED = 500
    WORKITEM_TRANSITION = 501
    DEADLINE_RECOMPUTED = 502
    STAGES_SWEPT = 503  # a sweep batch that changed stages: counts of changes and of cards issued
    # 600–699 configuration
    CALENDAR_CHANGED = 600
    ORG_CHANGED = 601
    DEMO_SEEDED = 602
    KEYS_ROTATED = 603
    # 700–799 the trail itself
    AUDIT_VERIFIED = 700
    AUDIT_PURGED = 701
    # 850–899 the public side of complaints (portal, Open311)
    OPEN311_KEY_ISSUED = 850
    OPEN311_KEY_REVOKED = 851
    # 900–949 政务服务电子监察 (e-supervision of government service)
    ESERVICE_CATALOG_CHANGED = 900
    ESERVICE_EVENTS_INGESTED = 901  # one row per batch (API call or file): counts, never the events
    ESERVICE_KEY_ISSUED = 902
    ESERVICE_KEY_REVOKED = 903
    ESERVICE_CARDS_STOOD = 904  # alerts not explained in time: their cards stand (one row per sweep batch)
    ESERVICE_STATS_REBUILT = 905
    # 950–999 问责 and 明查暗访 (accountability, inspections)
    ACCOUNTABILITY_VIEWED = 950  # a case, a person's record or a list of them was shown (ids in the data)
    ACCOUNTABILITY_CATALOG_CHANGED = 951
    INSPECTION_CHANGED = 952  # an inspection plan written, started, finished or cancelled; a finding recorded


LABELS: dict[AuditEventType, Any] = {
    AuditEventType.LOGIN: _("登录"),
    AuditEventType.LOGIN_FAILED: _("登录失败"),
    AuditEventType.LOGOUT: _("退出"),
    AuditEventType.LOCKED_OUT: _("账号锁定"),
    AuditEventType.PASSWORD_CHANGED: _("修改密码"),
    AuditEventType.SESSION_EXPIRED: _("会话超时"),
    AuditEventType.USER_CREATED: _("创建账号"),
    AuditEventType.ROLE_CHANGED: _("角色变更"),
    AuditEventType.USER_DEACTIVATED: _("停用账号"),
    AuditEventType.USER_ACTIVATED: _("启用账号"),
    AuditEventType.PASSWORD_RESET: _("重置密码"),
    AuditEventType.USER_UNLOCKED: _("解除锁定"),
    AuditEventType.SENSITIVE_VIEWED: _("查看敏感信息"),
    AuditEventType.ACCESS_DENIED: _("拒绝访问"),
    AuditEventType.IMPORTED: _("导入"),
    AuditEventType.EXPORTED: _("导出"),
    AuditEventType.WORKITEM_CREATED: _("创建事项"),
    AuditEventType.WORKITEM_TRANSITION: _("事项流转"),
    AuditEventType.DEADLINE_RECOMPUTED: _("时限重算"),
    AuditEventType.STAGES_SWEPT: _("时限巡查"),
    AuditEventType.CALENDAR_CHANGED: _("工作日历变更"),
    AuditEventType.ORG_CHANGED: _("组织机构变更"),
    AuditEventType.DEMO_SEEDED: _("载入演示数据"),
    AuditEventType.KEYS_ROTATED: _("密钥轮换"),
    AuditEventType.AUDIT_VERIFIED: _("审计日志校验"),
    AuditEventType.AUDIT_PURGED: _("审计日志到期清理"),
    AuditEventType.OPEN311_KEY_ISSUED: _("签发 Open311 接口密钥"),
    AuditEventType.OPEN311_KEY_REVOKED: _("吊销 Open311 接口密钥"),
    AuditEventType.ESERVICE_CATALOG_CHANGED: _("政务服务事项变更"),
    AuditEventType.ESERVICE_EVENTS_INGESTED: _("接收办件数据"),
    AuditEventType.ESERVICE_KEY_ISSUED: _("签发审批系统接口密钥"),
    AuditEventType.ESERVICE_KEY_REVOKED: _("吊销审批系统接口密钥"),
    AuditEventType.ESERVICE_CARDS_STOOD: _("逾期未说明，红黄牌生效"),
    AuditEventType.ESERVICE_STATS_REBUILT: _("重建电子监察统计"),
    AuditEventType.ACCOUNTABILITY_VIEWED: _("查看问责记录"),
    AuditEventType.ACCOUNTABILITY_CATALOG_CHANGED: _("问责行为与处理方式变更"),
    AuditEventType.INSPECTION_CHANGED: _("明查暗访记录"),
}


def label(event_type: int) -> Any:
    try:
        return LABELS[AuditEventType(event_type)]
    except ValueError:
        return str(event_type)


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "type": int(event.event_type),
        "actor_id": event.actor_id,
        "actor": event.actor_name,
        "ip": event.ip,
        "otype": event.object_type,
        "oid": event.object_id,
        "data": event.data,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def _link(prev_hash: str, event: AuditEvent) -> str:
    key = crypto.get_provider().mac_key("audit")
    return crypto.hmac_sm3_hex(key, prev_hash.encode() + b"\n" + _canonical(event))


def record(
    event_type: AuditEventType,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
    actor_name: str = "",
    ip: str | None = None,
) -> AuditEvent:
    """Append one event to the trail, in the caller's transaction."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, actor_name = actor.pk, actor_name or actor.get_username()
    else:
        actor_id = None
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        event = AuditEvent(
            at=timezone.now(),
            event_type=int(event_type),
            actor_id=actor_id,
            actor_name=actor_name[:150],
            ip=(current_ip.get() if ip is None else ip)[:45],
            object_type=object_type[:60],
            object_id=str(object_id)[:64],
            data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
            prev_hash=head.last_hash,
        )
        event.hash = _link(head.last_hash, event)
        event.save(force_insert=True)
        head.last_id, head.last_hash = event.pk, event.hash
        head.save(update_fields=["last_id", "last_hash"])
    return event


def record_many(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events in the caller's transaction, as `record` would one after the other, with one lock
    on the chain head: the rows are linked in the order given and inserted in one statement (ids ascending in
    that order, which `verify` walks), so a batch writer holds the chain once instead of once per row.

    Each event is a dict of `record`'s keyword arguments: event_type, and optionally actor, obj, object_type,
    object_id, data, actor_name, ip (None: the current request's address)."""
    from . import bulk

    if not events:
        return []
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        now = timezone.now()
        prev = head.last_hash
        rows = []
        for e in events:
            obj = e.get("obj")
            object_type, object_id = e.get("object_type", ""), e.get("object_id", "")
            if obj is not None:
                object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
                object_id = object_id or str(obj.pk)
            actor, actor_name = e.get("actor"), e.get("actor_name", "")
            actor_id = None
            if actor is not None and getattr(actor, "is_authenticated", False):
                actor_id, actor_name = actor.pk, actor_name or actor.get_username()
            ip = e.get("ip")
            event = AuditEvent(
                at=now,
                event_type=int(e["event_type"]),
                actor_id=actor_id,
                actor_name=actor_name[:150],
                ip=(current_ip.get() if ip is None else ip)[:45],
                object_type=object_type[:60],
                object_id=str(object_id)[:64],
                data=json.loads(json.dumps(e.get("data") or {}, ensure_ascii=False, default=str)),
                prev_hash=prev,
            )
            event.hash = prev = _link(prev, event)
            rows.append(event)
        bulk.insert(AuditEvent, rows)
        ids = [r.pk for r in rows]
        if ids != sorted(ids) or ids[0] <= head.last_id:  # the chain is walked by id: never out of order
            raise RuntimeError("audit rows were not numbered in chain order")
        head.last_id, head.last_hash = rows[-1].pk, rows[-1].hash
        head.save(update_fields=["last_id", "last_hash"])
    return rows


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain from the first row kept (after a retention purge: from the purged rows' last hash);
    report the first row whose link or content does not hold."""
    head = AuditChainHead.objects.filter(pk=1).first()
    start_hash = head.pruned_hash if head else GENESIS
    prev = None
    checked = 0
    last_id = head.pruned_through_id if head else 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for event in rows:
            if event.prev_hash != (start_hash if prev is None else prev):
                return VerifyResult(
                    False,
                    checked,
                    event.pk,
                    gettext(
                        "与上一条的链接不符：之前的记录被删除或篡改 (previous-hash mismatch: a row before it was removed or changed)"
                    ),
                )
            if _link(event.prev_hash, event) != event.hash:
                return VerifyResult(
                    False,
                    checked,
                    event.pk,
                    gettext(
                        "内容与其哈希不符：该记录被篡改 (content does not match its hash: the row was changed)"
                    ),
                )
            prev = event.hash
            checked += 1
            last_id = event.pk
    if head is not None and checked and head.last_hash != prev:
        return VerifyResult(
            False,
            checked,
            head.last_id,
            gettext("最新的记录被删除：链头不符 (the newest rows were removed: chain head does not match)"),
        )
    return VerifyResult(True, checked)


def purge_expired(now: Any = None) -> int:
    """Remove rows older than the retention period (AUDIT_RETENTION_DAYS, never below 183 days: 网络安全法 art.
    21 asks for six months). Only a contiguous oldest prefix goes; the chain head remembers the last removed
    row's hash so verification continues from it. On PostgreSQL the trigger lets these deletes through only in
    this transaction and only for rows that are old enough; run it as the schema owner."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection

    days = max(183, int(settings.AUDIT_RETENTION_DAYS))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        # The newest expired row; everything up to it goes (rows are in time order by id).
        last = AuditEvent.objects.filter(at__lt=cutoff).order_by("-id").first()
        if last is None:
            return 0
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cur:
                cur.execute("SELECT set_config('xiaoneng.audit_purge', 'on', true)")
                cur.execute("SELECT set_config('xiaoneng.audit_retention_days', %s, true)", [str(days)])
                # Only the table's owner can lend itself DELETE for this transaction; the app role cannot.
                cur.execute("GRANT DELETE ON core_auditevent TO CURRENT_USER")
        removed, _ = AuditEvent.objects.filter(id__lte=last.pk).delete()
        if postgres:
            with connection.cursor() as cur:
                cur.execute("REVOKE DELETE ON core_auditevent FROM CURRENT_USER")
        head.pruned_through_id, head.pruned_hash = last.pk, last.hash
        head.save(update_fields=["pruned_through_id", "pruned_hash"])
    record(
        AuditEventType.AUDIT_PURGED,
        actor_name="audit_purge",
        data={"removed": removed, "through_id": last.pk, "days": days},
    )
    return removed
