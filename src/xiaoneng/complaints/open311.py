"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2): other systems (a city app, a
12345 platform) list our complaint categories as services, post complaints, and follow their status.

- GET services.(json|xml) — the active categories; GET services/{code}.(json|xml) — their attributes (the unit
  complained about is required, as attribute[unit] = the unit's code).
- POST requests.(json|xml) — form-encoded, api_key in the body (never in the address); keys per client system
  (`manage.py open311_apikey NAME`), stored as SHA-256, a revoked key answers 403. Checked by the rules every
  channel shares and queued (intake.py, channel "open311"): the answer is a token, as the spec allows for
  servers that create requests asynchronously; GET tokens/{token} gives the service_request_id once the
  registration worker has made the complaint (seconds later).
- GET requests.(json|xml) — filters service_request_id (comma list, overrides the others), service_code,
  start_date, end_date (at most 90 days apart; the last 90 days by default), status (open, closed); at most
  MAX_REQUESTS, newest first. GET requests/{id}.(json|xml) and GET tokens/{token}.(json|xml) (a request still
  queued: its token alone, no id yet).

What GET answers (whistleblower protection, SPEC §2): nothing about the submitter, ever — no name, phone,
e-mail, device, account — and nothing the complainant wrote (the description and address may identify them).
Without a key, only complaints published on the 回音壁 are listed (their reply is public already); a client
system that sends its api_key sees the complaints it submitted, with the reason for not accepting or the public
reply in status_notes. agency_responsible is the efficiency office that received the complaint.

`jurisdiction_id` is optional (we serve one city); when given it must be ours (settings
XIAONENG_OPEN311_JURISDICTION, by default the code of the top region), else 404 as the spec says. Errors come
in the spec's shape: [{"code": 403, "description": "…"}] / <errors><error>…</error></errors>.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Region

from . import intake, ratelimit
from .models import Category, Channel, Complaint, IntakeStatus, Open311Client

MAX_REQUESTS = 1000
WINDOW = timedelta(days=90)
CLOSED_STATES = frozenset({"not_accepted", "closed", "answered"})
TOKEN_PREFIX = "open311:"


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering ------------------------------------------------------------------------------------------------


def _xml_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml_node(name: str, value) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_node(k, v) for k, v in value.items())
    elif isinstance(value, list):
        child = {"attributes": "attribute", "values": "value"}.get(name, "item")
        inner = "".join(_xml_node(child, v) for v in value)
    else:
        inner = _xml_value(value)
    return f"<{name}>{inner}</{name}>"


def render(fmt: str, data, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    """JSON as the spec shows it, or XML with the spec's element names (root, then one element per item)."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    if item is None:
        inner = "".join(_xml_node(k, v) for k, v in data.items())
    else:
        inner = "".join(_xml_node(item, row) for row in data)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{inner}</{root}>'
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def error(fmt: str, status: int, description: str) -> HttpResponse:
    resp = render(
        fmt, [{"code": status, "description": description}], root="errors", item="error", status=status
    )
    return resp


def endpoint(view):
    """Common plumbing: the format, the jurisdiction, per-address limits on reads, errors in the spec's shape."""

    @csrf_exempt  # api_key authenticates the POST; no cookie is read
    def inner(request, *args, fmt: str, **kwargs):
        try:
            if request.method not in ("GET", "POST") or (
                request.method == "POST" and view.__name__ != "requests"
            ):
                raise Open311Error(405, _("不支持的请求方法 (method not allowed)"))
            if "api_key" in request.GET:
                raise Open311Error(400, _("api_key 只能放在请求正文中 (send api_key in the request body)"))
            if request.method == "GET":
                wait = ratelimit.hit_request("open311_get", request)
                if wait is not None:
                    raise Open311Error(429, _("请求过于频繁，请稍后再试 (too many requests; retry later)"))
            jurisdiction = (request.POST if request.method == "POST" else request.GET).get("jurisdiction_id")
            if jurisdiction and jurisdiction.strip() != jurisdiction_id():
                raise Open311Error(404, _("jurisdiction_id 不存在 (jurisdiction_id provided was not found)"))
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as e:
            return error(fmt, e.status, e.description)

    inner.__name__ = view.__name__
    inner.__doc__ = view.__doc__
    return inner


def jurisdiction_id() -> str:
    configured = getattr(settings, "XIAONENG_OPEN311_JURISDICTION", "")
    if configured:
        return configured
    top = Region.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first()
    return top or ""


def iso(dt: datetime | None) -> str | None:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else None


# --- services -------------------------------------------------------------------------------------------------

GROUP = "效能投诉"


def service_row(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": GROUP,
    }


@endpoint
def service_list(request, *, fmt):
    rows = [service_row(c) for c in Category.objects.filter(active=True)]
    return render(fmt, rows, root="services", item="service")


def attributes() -> list[dict]:
    yes_no = [{"key": "true", "name": _("是")}, {"key": "false", "name": _("否")}]
    return [
        {
            "variable": True,
            "code": "unit",
            "datatype": "string",
            "required": True,
            "datatype_description": _("单位编码，如 990102-ZJJ (the unit's code)"),
            "order": 1,
            "description": _("被投诉单位 (the unit complained about)"),
        },
        {
            "variable": True,
            "code": "person",
            "datatype": "string",
            "required": False,
            "datatype_description": _("姓名、工号或窗口号 (name, staff number or window)"),
            "order": 2,
            "description": _("被投诉人 (the official complained about)"),
        },
        {
            "variable": True,
            "code": "anonymous",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 3,
            "description": _("匿名投诉（不提供姓名时视为匿名） (anonymous; without a name it is anonymous)"),
            "values": yes_no,
        },
        {
            "variable": True,
            "code": "consent_publish",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 4,
            "description": _("同意在回音壁公开答复 (consent to publish the reply)"),
            "values": yes_no,
        },
    ]


@endpoint
def service_definition(request, code, *, fmt):
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code 不存在 (service_code not found)"))
    data = {"service_code": category.code, "attributes": attributes()}
    return render(fmt, data, root="service_definition", item=None)


# --- requests -------------------------------------------------------------------------------------------------


def client_for(key: str) -> Open311Client:
    if not key:
        raise Open311Error(403, _("缺少 api_key (api_key was not provided)"))
    # Remembered by the process for intake.CLIENT_SECONDS: revoking or replacing a key takes effect within that
    # time everywhere (at once in the process that saved it).
    client = intake.open311_client(hashlib.sha256(key.encode()).hexdigest())
    if client is None or client.revoked_at is not None:
        raise Open311Error(403, _("api_key 无效或已吊销 (invalid or revoked api_key)"))
    return client


def full_name(first: str, last: str) -> str:
    """赵 + 投诉 → 赵投诉 (family name first, no space); John + Smith → John Smith."""
    first, last = first.strip(), last.strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
        return last + first
    return " ".join(x for x in (first, last) if x)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes", "y", "是"}


def create(request, fmt: str) -> HttpResponse:
    p = request.POST
    client = client_for(p.get("api_key", ""))
    wait = ratelimit.hit("open311_post", f"client:{client.pk}")
    if wait is not None:
        raise Open311Error(429, _("请求过于频繁，请稍后再试 (too many requests; retry later)"))
    category = intake.category(p.get("service_code", ""))
    if category is None:
        raise Open311Error(
            404 if p.get("service_code") else 400, _("service_code 不存在 (service_code not found)")
        )
    unit_code = p.get("attribute[unit]", "").strip()
    unit = intake.unit(unit_code) if unit_code else None
    if unit is None:
        raise Open311Error(
            400, _("attribute[unit] 缺少或不是有效的单位编码 (attribute[unit] is missing or unknown)")
        )
    description = p.get("description", "")
    if len(description) > 4000:
        raise Open311Error(400, _("description 超过 4000 字 (description is longer than 4,000 characters)"))
    name = full_name(p.get("first_name", ""), p.get("last_name", ""))
    anonymous = _flag(p.get("attribute[anonymous]")) or not name
    location = p.get("address_string", "").strip()
    if not location and p.get("lat") and p.get("long"):
        location = f"{p.get('lat')},{p.get('long')}"
    # The token names this submission; a client may send its own (an extension) to make retries idempotent.
    token = (p.get("token") or "").strip()[:40] or secrets.token_hex(16)
    try:
        receipt = intake.accept(
            channel=Channel.OPEN311,
            category=category,
            subject_unit=unit,
            subject_person_text=p.get("attribute[person]", "")[:60],
            content=description,
            anonymous=anonymous,
            name=name,
            phone=p.get("phone", ""),
            email=p.get("email", ""),
            device=p.get("device_id", ""),
            consent_publish=_flag(p.get("attribute[consent_publish]")),
            location=location[:200],
            idempotency_key=f"{TOKEN_PREFIX}{token}:{client.pk}",
            open311_client=client,
        )
    except TransitionRefused as e:
        raise Open311Error(400, e.message) from None
    # The spec's two answers: the service_request_id once the request exists, else a token for GET tokens/{token}
    # (never both). A new submission is queued (intake.py), so it gets the token; a retry of one already
    # registered gets the id.
    row = receipt.row
    answer: dict = (
        {"service_request_id": row.tracking_no} if row.status == IntakeStatus.REGISTERED else {"token": token}
    )
    answer["service_notice"] = _(
        "我们将在 1 个工作日内决定是否受理 (we decide on acceptance within 1 working day)"
    )
    answer["account_id"] = None
    return render(fmt, [answer], root="service_requests", item="request")


def status_of(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


def request_row(c: Complaint) -> dict:
    wi = c.work_item
    state = wi.state
    if state == "not_accepted":
        notes = c.not_accepted_reason
    elif state in ("answered", "closed"):
        notes = c.public_reply
    else:
        notes = ""
    return {
        "service_request_id": c.tracking_no,
        "status": status_of(state),
        "status_notes": notes,
        "service_name": c.category.name,
        "service_code": c.category.code,
        "description": "",  # what the complainant wrote stays inside (it may identify them)
        "agency_responsible": wi.owner_unit.name,
        "service_notice": "",
        "requested_datetime": iso(c.submitted_at),
        "updated_datetime": iso(wi.updated_at),
        "expected_datetime": iso(wi.deadline) if status_of(state) == "open" else None,
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


def visible(request) -> tuple[object, Open311Client | None]:
    """Published complaints for anyone; a client's own submissions for the client (api_key as a header
    X-Api-Key or in the body of a POST — never in the address)."""
    key = request.headers.get("X-Api-Key", "")
    base = Complaint.objects.select_related("category", "work_item", "work_item__owner_unit")
    if key:
        client = client_for(key)
        return base.filter(Q(open311_client=client) | Q(published=True, consent_publish=True)), client
    return base.filter(published=True, consent_publish=True), None


def _date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    dt = parse_datetime(value.strip().replace(" ", "+"))
    if dt is None or dt.tzinfo is None:
        raise Open311Error(
            400,
            _("%(name)s 需为带时区的 ISO 8601 时间，如 2026-01-01T00:00:00+08:00 (w3 format with zone)")
            % {"name": name},
        )
    return dt


def search(request, fmt: str) -> HttpResponse:
    qs, _client = visible(request)
    g = request.GET
    ids = [x.strip().upper() for x in g.get("service_request_id", "").split(",") if x.strip()]
    if ids:  # overrides every other parameter, as the spec says
        qs = qs.filter(tracking_no__in=ids[:MAX_REQUESTS])
    else:
        start, end = _date("start_date", g.get("start_date")), _date("end_date", g.get("end_date"))
        if start and end and end - start > WINDOW:
            raise Open311Error(
                400, _("查询时间范围不能超过 90 天 (the range may not span more than 90 days)")
            )
        if start and end and end < start:
            raise Open311Error(400, _("end_date 早于 start_date (end_date is before start_date)"))
        if end is None:
            end = start + WINDOW if start else timezone.now()
        if start is None:
            start = end - WINDOW
        qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = [x.strip() for x in g.get("service_code", "").split(",") if x.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = {x.strip().lower() for x in g.get("status", "").split(",") if x.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed (status is open or closed)"))
        if statuses == {"open"}:
            qs = qs.exclude(work_item__state__in=CLOSED_STATES)
        elif statuses == {"closed"}:
            qs = qs.filter(work_item__state__in=CLOSED_STATES)
    rows = [request_row(c) for c in qs.order_by("-submitted_at", "-pk")[:MAX_REQUESTS]]
    return render(fmt, rows, root="service_requests", item="request")


@endpoint
def requests(request, *, fmt):
    if request.method == "POST":
        return create(request, fmt)
    return search(request, fmt)


@endpoint
def request_detail(request, request_id, *, fmt):
    qs, _client = visible(request)
    c = qs.filter(tracking_no=request_id.strip().upper()).first()
    if c is None:
        raise Open311Error(404, _("service_request_id 不存在 (service_request_id not found)"))
    return render(fmt, [request_row(c)], root="service_requests", item="request")


@endpoint
def token(request, token, *, fmt):
    """The service_request_id of each request posted with `token` (by any client): once registered. A request
    still in the intake queue is answered with its token alone, as the spec's token resource foresees."""
    prefix = f"{TOKEN_PREFIX}{token}:"
    found = intake.by_token_prefix(prefix)
    rows = [
        {"service_request_id": tracking_no, "token": token} if tracking_no else {"token": token}
        for tracking_no, _key in found
    ]
    queued = {key for _t, key in found}
    # Requests posted before the queue existed went straight to complaints.
    rows += [
        {"service_request_id": tracking_no, "token": token}
        for tracking_no, key in Complaint.objects.filter(idempotency_key__startswith=prefix)
        .order_by("pk")
        .values_list("tracking_no", "idempotency_key")
        if key not in queued
    ]
    if not rows:
        raise Open311Error(404, _("token 不存在 (token not found)"))
    return render(fmt, rows, root="service_requests", item="request")
