"""Notifications: an in-app inbox plus channel adapters (e-mail through Django's backends; SMS and
政务钉钉/企业微信 webhooks behind `Channel`), sent by the worker, retried, deduplicated.

`notify(user, key, title, …)` writes the inbox row (unique per recipient and key, so a repeat is a no-op) and,
after the transaction commits, enqueues the channel deliveries. The worker's `deliver` task sends one delivery
and retries with back-off on failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Delivery, DeliveryStatus, Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class Channel(Protocol):
    """A way to reach a person outside the app. `send` raises on failure (the worker retries)."""

    def send(self, *, to: str, title: str, body: str) -> None: ...


class ConsoleChannel:
    """For machines that cannot reach a real gateway: logs what it would send."""

    sent: list[dict[str, str]] = []

    def send(self, *, to: str, title: str, body: str) -> None:
        ConsoleChannel.sent.append({"to": to, "title": title, "body": body})
        log.info("notify to=%s title=%s", to, title)


class FileChannel:
    """A file backend: one JSON line per message in `path` (default var/outbox/<channel>.jsonl), for machines
    without a gateway and for operators who forward the outbox themselves."""

    def __init__(self, path: str = "", channel_name: str = "outbox") -> None:
        from pathlib import Path

        self.path = Path(path) if path else Path(settings.VAR_DIR) / "outbox" / f"{channel_name}.jsonl"

    def send(self, *, to: str, title: str, body: str) -> None:
        import json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"at": timezone.now().isoformat(), "to": to, "title": title, "body": body}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


class WebhookError(RuntimeError):
    pass


def _post_json(url: str, payload: dict, timeout: float = 10.0) -> dict:
    import json
    import urllib.request

    req = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 — the URL is the operator's setting
        answer = json.loads(resp.read().decode() or "{}")
    if answer.get("errcode", 0) != 0:
        raise WebhookError(f"webhook refused: {answer.get('errcode')} {answer.get('errmsg', '')}")
    return answer


class DingTalkRobotChannel:
    """政务钉钉 / 钉钉 custom robot: JSON `{"msgtype": "text", …}` to the robot URL, signed with
    HMAC-SHA256(secret, "<timestamp ms>\\n<secret>") as the `timestamp` and `sign` query parameters."""

    def __init__(self, url: str = "", secret: str = "") -> None:
        self.url, self.secret = url, secret

    def signed_url(self, timestamp_ms: int) -> str:
        import base64
        import hashlib
        import hmac
        from urllib.parse import quote_plus

        if not self.secret:
            return self.url
        digest = hmac.new(
            self.secret.encode(), f"{timestamp_ms}\n{self.secret}".encode(), hashlib.sha256
        ).digest()
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}timestamp={timestamp_ms}&sign={quote_plus(base64.b64encode(digest))}"

    def send(self, *, to: str, title: str, body: str) -> None:
        import time

        payload = {
            "msgtype": "text",
            "text": {"content": f"{title}\n{body}".strip()},
            "at": {"atUserIds": [to]},
        }
        _post_json(self.signed_url(int(time.time() * 1000)), payload)


class WeComRobotChannel:
    """企业微信 group robot: JSON `{"msgtype": "text", "text": {"content", "mentioned_list"}}` to the robot URL."""

    def __init__(self, url: str = "") -> None:
        self.url = url

    def send(self, *, to: str, title: str, body: str) -> None:
        payload = {"msgtype": "text", "text": {"content": f"{title}\n{body}".strip(), "mentioned_list": [to]}}
        _post_json(self.url, payload)


class EmailChannel:
    def send(self, *, to: str, title: str, body: str) -> None:
        send_mail(title, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def channel(name: str) -> Channel:
    """The adapter configured for `name` (settings.NOTIFY_CHANNELS: class path; NOTIFY_OPTIONS: its options)."""
    if name == "email":
        return EmailChannel()
    options = dict(getattr(settings, "NOTIFY_OPTIONS", {}).get(name, {}))
    cls = import_string(settings.NOTIFY_CHANNELS[name])
    if cls is FileChannel:
        options.setdefault("channel_name", name)
    return cls(**options)


def _address(user: Any, name: str) -> str:
    if name == "email":
        return user.email or ""
    if name == "sms":
        return user.person.phone if user.person_id else ""
    return user.username  # 政务钉钉/企业微信: the account id the webhook maps


def notify(
    user: Any,
    key: str,
    title: str,
    body: str = "",
    *,
    url: str = "",
    item: Any = None,
    channels: tuple[str, ...] = (),
) -> Notification | None:
    """Put a message in `user`'s inbox once per `key`; deliver it through `channels` after commit."""
    try:
        with transaction.atomic():
            n = Notification.objects.create(
                recipient=user, title=title, body=body, url=url, item=item, dedupe_key=key
            )
    except IntegrityError:
        return None  # already sent: never duplicated
    for name in channels:
        d = Delivery.objects.create(notification=n, channel=name)
        transaction.on_commit(lambda d=d: _enqueue(d.pk))
    return n


def _enqueue(delivery_id: int) -> None:
    from .tasks import deliver

    deliver.enqueue(delivery_id)


class Message(NamedTuple):
    """One inbox message for `notify_many`: to whom (an id will do), its dedupe key and what it says."""

    recipient_id: int
    key: str
    title: str
    body: str = ""
    url: str = ""
    item_id: int | None = None


DELIVERY_TASK_SIZE = 200  # deliveries per background task when they are sent in bulk


def notify_many(messages: Iterable[Message], *, channels: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """`notify` for many messages at once (the deadline sweep's batch), with the same guarantee — one inbox row
    per (recipient, key), never duplicated — in a constant number of statements: the rows are inserted in bulk,
    those whose (recipient, key) exists already skipped by the unique constraint (`bulk.insert`), then their
    deliveries in bulk, enqueued after commit in tasks of DELIVERY_TASK_SIZE. Returns the rows created, as dicts
    of their values (with "id")."""
    from . import bulk

    rows = [
        {
            "recipient_id": m.recipient_id,
            "title": m.title[:200],
            "body": m.body,
            "url": m.url[:300],
            "item_id": m.item_id,
            "dedupe_key": m.key,
        }
        for m in messages
    ]
    created = bulk.insert(Notification, rows, skip_existing=("recipient", "dedupe_key"))
    if channels and created:
        deliveries = bulk.insert(
            Delivery, [{"notification_id": n["id"], "channel": c} for n in created for c in channels]
        )
        ids = [d["id"] for d in deliveries]
        for k in range(0, len(ids), DELIVERY_TASK_SIZE):
            chunk = ids[k : k + DELIVERY_TASK_SIZE]
            transaction.on_commit(lambda chunk=chunk: _enqueue_many(chunk))
    return created


def _enqueue_many(delivery_ids: list[int]) -> None:
    from .tasks import deliver_many

    deliver_many.enqueue(delivery_ids)


def deliver_now(delivery_id: int) -> str:
    """Send one delivery; mark it sent, or count the failure (the task re-enqueues until MAX_ATTEMPTS)."""
    with transaction.atomic():
        d = Delivery.objects.select_for_update().get(pk=delivery_id)
        if d.status == DeliveryStatus.SENT:
            return "already-sent"
        n = d.notification
        d.attempts += 1
        try:
            to = _address(n.recipient, d.channel)
            if not to:
                raise ValueError(f"no {d.channel} address for {n.recipient}")
            channel(d.channel).send(to=to, title=n.title, body=n.body)
        except Exception as exc:  # any adapter failure is recorded and retried
            d.last_error = str(exc)[:2000]
            d.status = DeliveryStatus.FAILED if d.attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
            d.save()
            return "failed" if d.status == DeliveryStatus.FAILED else "retry"
        d.status, d.sent_at, d.last_error = DeliveryStatus.SENT, timezone.now(), ""
        d.save()
        return "sent"


def mark_read(user: Any, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
