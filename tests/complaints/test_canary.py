"""The canary (issue #6, "test it like an attacker"): complaints carrying unique markers come in by every channel
(portal, Open311, staff entry, the 12345 import path's service), one is handled end to end — accepted, assigned
with a redacted copy, replied, approved, reviewed, rated, revealed by `discipline` — and then every account that
must not know the complainant, and the anonymous public, walks EVERY routed URL (generated from the URL
configuration, so a new page is covered the day it is routed) with every object id in play. Every response (pages,
API, exports and documents unzipped), every notification and delivery, every log record, every cache entry, every
file written under MEDIA_ROOT and every audit row is scanned for the markers: zero hits.

Who may know the complainant: accepting staff (supervisors of the receiving office's region, not recused) and
`discipline`. Everyone else — the unit complained about (its liaison, head, and the recused county-A supervisor
and discipline officer who work there), the receiving office's own liaison, leaders, NPC staff, evaluators, the
三员 — must find nothing, not even the masked forms.
"""

from __future__ import annotations

import io
import logging
import pickle
import re
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_user
from xiaoneng.complaints import challenge, intake, services
from xiaoneng.complaints.management.commands.open311_apikey import issue_key
from xiaoneng.complaints.models import Attachment, Complaint, IntakeRequest
from xiaoneng.core.models import AuditEvent, Notification, WorkItem
from xiaoneng.org.roles import Role

pytestmark = pytest.mark.django_db

# One set of markers per channel; each string occurs nowhere else in the product or the test world.
CANARIES = {
    "portal": {"name": "甄金丝雀", "phone": "13955501234", "email": "canary.portal@example.cn"},
    "open311": {"name": "钱雀鸣", "phone": "13955505678", "email": "canary.o311@example.cn"},
    "hotline": {"name": "孙鸣雀", "phone": "13955509012", "email": "canary.hotline@example.cn"},
    # Acknowledged by the portal and still in the intake queue while everyone looks (intake.py).
    "queued": {"name": "周候鸟", "phone": "13955503456", "email": "canary.queued@example.cn"},
}
ID_NUMBER = "11010119800101777X"
IP = "198.51.100.199"
DEVICE = "CanaryBrowser/7.7"
SECRET_TEXT = "金丝雀原文标记"  # only in the original complaint text: staff cut it from the unit's copy


def markers() -> list[str]:
    out = [ID_NUMBER, ID_NUMBER.lower(), "110***********777X", IP, DEVICE, SECRET_TEXT]
    for c in CANARIES.values():
        out += [
            c["name"],
            c["name"][0] + "**",
            c["phone"],
            c["phone"][:3] + "****" + c["phone"][-4:],
            c["email"],
        ]
        out.append(c["email"].split("@")[0])
    return out


def texts(content: bytes) -> str:
    """A response body as text, with zip containers (.xlsx, .docx) opened up."""
    if content[:2] == b"PK":
        parts = []
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            for name in z.namelist():
                parts.append(z.read(name).decode("utf-8", errors="ignore"))
        return "\n".join(parts)
    return content.decode("utf-8", errors="ignore")


def hits(text: str) -> list[str]:
    return [m for m in markers() if m in text]


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p


@pytest.fixture
def world_with_complaints(world, office, category, client, media, settings):
    cache.clear()
    settings.NOTIFY_OPTIONS = {**settings.NOTIFY_OPTIONS, "sms": {"path": str(Path(media) / "outbox")}}
    # Portal: a citizen submits, solving the page's proof of work.
    html = client.get("/portal/submit/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1]
    pow_challenge = re.search(r'name="pow_challenge" value="([^"]+)"', html)[1]
    p = CANARIES["portal"]
    resp = client.post(
        "/portal/submit/",
        {
            "category": str(category.pk),
            "unit": world.ua.code,
            "unit_query": world.ua.name,
            "person": "3号窗口",
            "content": f"我是{p['name']}，电话{p['phone']}。窗口人员上班玩游戏。{SECRET_TEXT}",
            "anonymous": "0",
            "name": p["name"],
            "contact_kind": "phone",
            "contact": p["phone"],
            "idempotency_key": key,
            "pow_challenge": pow_challenge,
            "pow_nonce": challenge.solve(pow_challenge),
        },
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=DEVICE,
    )
    assert resp.status_code == 302, resp.content.decode()[:500]
    # Open311: a client system posts one.
    o = CANARIES["open311"]
    api_key = issue_key("canary-client")
    resp = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "delay",
            "attribute[unit]": world.ua.code,
            "description": f"{o['name']}反映：营业执照跑了三次。电话{o['phone']}",
            "first_name": o["name"][1:],
            "last_name": o["name"][0],
            "phone": o["phone"],
            "email": o["email"],
            "device_id": DEVICE,
        },
        REMOTE_ADDR=IP,
    )
    assert resp.status_code in (200, 201), resp.content.decode()[:500]
    # The registration worker (enqueued after the commit in production; a test's transaction never commits).
    assert intake.register_pending() == {"registered": 2, "failed": 0}
    # Staff entry of a hotline call, with an ID number.
    h = CANARIES["hotline"]
    hot, _code, _new = services.submit(
        channel="hotline",
        category=category,
        subject_unit=world.ua,
        subject_person=world.pa,
        content=f"来电人{h['name']}（{h['phone']}，身份证{ID_NUMBER}，{h['email']}）反映窗口推诿。{SECRET_TEXT}",
        name=h["name"],
        phone=h["phone"],
        id_number=ID_NUMBER,
        email=h["email"],
        ip=IP,
        device=DEVICE,
        actor=world.city_supervisor,
    )
    # An attachment the staff keep to themselves, named after the complainant.
    from django.core.files.base import ContentFile

    private = Attachment(
        complaint=hot, name=f"{h['name']}身份证.jpg", content_type="image/jpeg", size=3, sha256="0"
    )
    private.file.save("canary.jpg", ContentFile(b"abc"), save=True)
    # Handled end to end.
    staff = world.city_supervisor
    services.accept(staff, hot)
    hot = services.assign(
        staff,
        hot,
        unit=world.ua,
        redacted_content="来电人反映窗口推诿，请核查。",
        note=f"内部备注：{h['name']}",
    )
    hot = services.submit_reply(world.users["liaison"], hot, text="经查属实，已整改。")
    hot = services.approve_reply(world.users["unit_leader"], hot)
    hot = services.review_pass(
        staff, hot, public_reply=f"{h['name']}您好：问题属实，已整改。", finding="true"
    )
    hot = services.rate(staff, hot, rating="satisfied", note=f"回访{h['name']}")
    discipline = make_user("city_discipline", Role.DISCIPLINE, world.uc)
    revealed = services.reveal_identity(actor=discipline, complaint=hot, reason="核实举报人身份")
    assert revealed["name"] == h["name"]  # the canaries are really in the system
    assert Complaint.objects.count() == 3
    # One more from the portal, acknowledged and left in the queue: its row must stay as invisible.
    q = CANARIES["queued"]
    html = client.get("/portal/submit/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1]
    pow_challenge = re.search(r'name="pow_challenge" value="([^"]+)"', html)[1]
    resp = client.post(
        "/portal/submit/",
        {
            "category": str(category.pk),
            "unit": world.ua.code,
            "unit_query": world.ua.name,
            "content": f"{q['name']}（{q['phone']}，{q['email']}）反映窗口推诿。{SECRET_TEXT}",
            "anonymous": "0",
            "name": q["name"],
            "contact_kind": "email",
            "contact": q["email"],
            "idempotency_key": key,
            "pow_challenge": pow_challenge,
            "pow_nonce": challenge.solve(pow_challenge),
        },
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=DEVICE,
    )
    assert resp.status_code == 302 and IntakeRequest.objects.filter(status="pending").count() == 1
    return hot


def blind_accounts(world, office):
    """Every account that must not know any complainant."""
    # In 东湖区住建局, the unit complained about: its liaison and head, and regional staff who work there (recused).
    accounts = {
        f"ua_{role}": world.users[role]
        for role in (Role.LIAISON, Role.UNIT_LEADER, Role.SUPERVISOR, Role.DISCIPLINE, Role.LEADER, Role.NPC)
    }
    # City accounts that see the region but not identities, and roles that see no case content at all.
    for role in (Role.LEADER, Role.NPC, Role.EVALUATOR, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):
        accounts[f"city_{role}"] = make_user(f"city_{role}_x", role, world.uc)
    accounts["office_liaison"] = make_user("office_liaison", Role.LIAISON, office)
    accounts["office_unit_leader"] = make_user("office_head", Role.UNIT_LEADER, office)
    return accounts


# Views that hold no case data at all (the OpenAPI schema and its viewer, static switches).
SKIP = {"schema", "api-docs", "logout", "set_language", "portal_large_type"}


def urls_to_try(complaint_ids, other_ids):
    values = {"format": ["json"], "year": ["2026"], "fmt": ["docx", "pdf"], "transition": ["accept"]}
    out = []
    for p in walk(get_resolver().url_patterns):
        params = list(p.pattern.regex.groupindex)
        if "format" in params or p.name in SKIP:
            continue  # the same view without the suffix is walked; SKIP holds no data
        combos = [{}]
        for name in params:
            if name in values:
                choices = values[name]
            elif name in ("pk", "doc", "id") or name.endswith("_id"):
                choices = [str(i) for i in complaint_ids + other_ids]
            else:  # tokens, codes, tracking numbers (of complaints and of queued submissions) …
                choices = [str(i) for i in complaint_ids] + list(
                    IntakeRequest.objects.values_list("tracking_no", flat=True)
                )
            combos = [dict(c, **{name: v}) for c in combos for v in choices]
        for kwargs in combos:
            try:
                out.append((p.name, reverse(p.name, kwargs=kwargs)))
            except Exception:  # a value the pattern's converter refuses
                continue
    return out


def test_no_canary_reaches_anyone_who_must_not_know(
    world, office, world_with_complaints, client, caplog, media
):
    caplog.set_level(logging.DEBUG)
    complaint_ids = list(Complaint.objects.values_list("pk", flat=True))
    other_ids = list(Attachment.objects.values_list("pk", flat=True))  # inboxes are scanned below
    other_ids += list(IntakeRequest.objects.values_list("pk", flat=True))
    urls = urls_to_try(complaint_ids, other_ids)
    assert len(urls) > 100, len(urls)
    accounts = blind_accounts(world, office)
    leaks = []
    for label, user in [*accounts.items(), ("anonymous", None)]:
        c = client if user is None else world.client(None)
        if user is not None:
            c.force_login(user)
        for name, url in urls:
            for method in ("GET", "POST") if ("reveal" in name) else ("GET",):
                resp = c.generic(
                    method,
                    url,
                    "reason=看看" if method == "POST" else "",
                    content_type="application/x-www-form-urlencoded",
                )
                body = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
                found = hits(texts(body)) + hits(str(resp.headers))
                if found:
                    leaks.append((label, method, url, resp.status_code, found))
        if user is not None:
            # Their inbox and deliveries.
            for n in Notification.objects.filter(recipient=user):
                found = hits(" ".join(str(v) for v in (n.title, n.body, n.url)))
                if found:
                    leaks.append((label, "notification", n.pk, found))
    assert not leaks, "\n".join(map(str, leaks[:40]))

    # Notifications to anyone but accepting staff and discipline; channel outboxes on disk; every other file.
    for n in Notification.objects.exclude(recipient__role__in=[Role.SUPERVISOR, Role.DISCIPLINE]):
        assert not hits(" ".join(str(v) for v in (n.title, n.body, n.url))), n
    for f in Path(media).rglob("*"):
        if f.is_file() and "complaints" not in f.parts:  # attachments are the complainant's own files
            assert not hits(texts(f.read_bytes())), f
    # Logs.
    for record in caplog.records:
        assert not hits(record.getMessage()), record.getMessage()
    # Caches (local memory in tests: keys and pickled values).
    store = getattr(caches["default"], "_cache", {})
    for k, v in store.items():
        blob = k + " " + (v.decode("utf-8", "ignore") if isinstance(v, bytes) else str(pickle.dumps(v)))
        assert not hits(blob), k
    # The audit trail (the auditor reads it): who revealed is there, never what was revealed.
    for e in AuditEvent.objects.all():
        assert not hits(" ".join(str(getattr(e, f.attname)) for f in AuditEvent._meta.concrete_fields)), e.pk
    # The portal's own rows keep a pseudonym of the address, so floods stay visible without naming anyone.
    assert AuditEvent.objects.filter(ip__startswith="anon-").exists()
    # Work items' titles and timelines that unit staff can read.
    for wi in WorkItem.objects.filter(kind="complaint"):
        assert not hits(wi.title)
