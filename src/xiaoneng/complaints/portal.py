"""The public side of 效能投诉 (SPEC §2, §9): submit, track, rate, 回音壁 — anonymous, phone-first.

Thin views over complaints.intake (the public intake queue: a submission is checked by the rules every channel
shares, written as one row and acknowledged with its tracking number and query code at once; the worker makes the
complaint seconds later), complaints.services and the selectors below, which are the only reads the public
makes. What the public may see is decided here, once:

- the timeline shows public labels of the states, the reason for not accepting, and the public reply — never
  internal notes, the handling unit, staff names or the copy sent to the unit;
- the 回音壁 shows category, unit, dates and the public reply of complaints whose complainant consented and
  that staff published, and drops any whose reply still contains the complainant's identity;
- unit search returns unit names (public organisation data) and nothing about people.

Abuse protection: per-address rate limits (ratelimit.py), a proof-of-work challenge on the form
(challenge.py), and an idempotency key generated per form render, so a double click or a retry never makes a
second complaint.
"""

from __future__ import annotations

import time
import uuid

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.core import crypto
from xiaoneng.core.middleware import client_ip
from xiaoneng.core.models import TimelineEvent
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Unit

from . import attachments, challenge, intake, ratelimit, services
from .models import Category, Channel, Complaint, Rating
from .redaction import identity_leaks

LARGE_TYPE_COOKIE = "xn_large"
CONFIRM_SECONDS = 30 * 60  # the confirmation page (tracking number + query code) can be reloaded this long

# The states as the public reads them: the handling steps inside the office are one "办理中".
PUBLIC_STATUS = {
    "received": gettext_lazy("已收到，待受理"),
    "accepted": gettext_lazy("已受理"),
    "not_accepted": gettext_lazy("不予受理"),
    "investigating": gettext_lazy("办理中"),
    "assigned": gettext_lazy("办理中"),
    "unit_review": gettext_lazy("办理中"),
    "replied": gettext_lazy("办理中"),
    "answered": gettext_lazy("已答复"),
    "closed": gettext_lazy("已办结"),
}
# Timeline actions the public sees, with their public label. Everything else (redo, extensions, internal
# results, reminders, stage changes) stays inside.
PUBLIC_EVENTS = {
    "created": gettext_lazy("投诉已提交"),
    "accept": gettext_lazy("已受理"),
    "reject": gettext_lazy("不予受理"),
    "handle_directly": gettext_lazy("开始办理"),
    "assign": gettext_lazy("开始办理"),
    "review_pass": gettext_lazy("已答复"),
    "rate": gettext_lazy("已评价"),
    "rate_public": gettext_lazy("已评价"),
    "reopen": gettext_lazy("重新办理"),
    "close": gettext_lazy("已办结"),
}


def too_many(request, retry_after: int) -> HttpResponse:
    resp = render(request, "portal/too_many.html", {"retry_after": retry_after}, status=429)
    resp["Retry-After"] = str(retry_after)
    return resp


def limited(name: str):
    """Rate-limit a view per client address (ratelimit.py); GET-only views count every request, the others
    count their POSTs."""

    def wrap(view):
        def inner(request, *args, **kwargs):
            if request.method == "POST" or name in ("wall", "units"):
                wait = ratelimit.hit_request(name, request)
                if wait is not None:
                    return too_many(request, wait)
            return view(request, *args, **kwargs)

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


# --- forms ---------------------------------------------------------------------------------------------------


class ComplaintForm(forms.Form):
    category = forms.ModelChoiceField(
        label=gettext_lazy("投诉类别"),
        queryset=Category.objects.filter(active=True),
        empty_label=gettext_lazy("请选择"),
    )
    unit = forms.CharField(required=False, widget=forms.HiddenInput)
    unit_query = forms.CharField(label=gettext_lazy("被投诉单位"), max_length=100, required=False)
    person = forms.CharField(label=gettext_lazy("被投诉人（选填）"), max_length=60, required=False)
    content = forms.CharField(
        label=gettext_lazy("投诉内容"),
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    occurred_on = forms.DateField(
        label=gettext_lazy("发生日期（选填）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    location = forms.CharField(label=gettext_lazy("发生地点（选填）"), max_length=200, required=False)
    anonymous = forms.TypedChoiceField(
        label=gettext_lazy("投诉方式"),
        choices=[("0", gettext_lazy("实名投诉")), ("1", gettext_lazy("匿名投诉"))],
        coerce=lambda v: v == "1",
        initial="0",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=40, required=False)
    contact_kind = forms.ChoiceField(
        label=gettext_lazy("联系方式"),
        choices=[("phone", gettext_lazy("手机或电话")), ("email", gettext_lazy("电子邮箱"))],
        initial="phone",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    contact = forms.CharField(label=gettext_lazy("联系号码或邮箱"), max_length=100, required=False)
    consent_publish = forms.BooleanField(
        label=gettext_lazy("同意在回音壁公开答复（不公开任何个人信息）"), required=False
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    pow_challenge = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    pow_nonce = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    # "1" from inside <noscript>: the browser runs no script, the challenge is met by time (challenge.py).
    nojs = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1)

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"]
        try:
            return uuid.UUID(key).hex
        except ValueError:
            raise forms.ValidationError(
                _("表单已失效，请刷新页面后重新填写 (the form expired; reload)")
            ) from None

    def clean(self):
        data = super().clean()
        unit = _unit_from(data.get("unit", ""), data.get("unit_query", ""))
        if unit is None:
            self.add_error("unit_query", _("请从搜索结果中选择被投诉单位 (choose the unit from the list)"))
        data["unit_obj"] = unit
        anonymous = data.get("anonymous", False)
        contact = (data.get("contact") or "").strip()
        if not anonymous:
            if not (data.get("name") or "").strip():
                self.add_error("name", _("实名投诉请填写姓名 (a named complaint needs your name)"))
            if not contact:
                self.add_error(
                    "contact", _("实名投诉请留一种联系方式 (a named complaint needs a phone or e-mail)")
                )
        if contact and data.get("contact_kind") == "phone":
            if crypto.mask_phone(contact).startswith("*"):
                self.add_error("contact", _("联系电话格式不正确 (the phone number is not valid)"))
        elif contact and data.get("contact_kind") == "email":
            try:
                forms.EmailField().clean(contact)
            except forms.ValidationError:
                self.add_error("contact", _("电子邮箱格式不正确 (the e-mail address is not valid)"))
        key = data.get("idempotency_key")
        data["without_script"] = data.get("nojs") == "1" and not data.get("pow_nonce")
        if key and data["without_script"]:
            why = challenge.verify_waited(data.get("pow_challenge", ""), key)
            if why == "early":
                self.add_error(
                    None,
                    _(
                        "提交过快：请核对所填内容，%(n)d 秒后再提交 "
                        "(sent too quickly: check what you wrote and submit again shortly)"
                    )
                    % {"n": challenge.NOJS_MIN_SECONDS},
                )
            elif why is not None:
                self.add_error(
                    None, _("安全校验已失效，请重新提交 (the security check expired; submit again)")
                )
        elif key:
            why = challenge.verify(data.get("pow_challenge", ""), data.get("pow_nonce", ""), key)
            if why is not None:
                self.add_error(
                    None,
                    _("安全校验未完成，请稍候再提交 (the security check has not finished; submit again)")
                    if why == "unsolved"
                    else _("安全校验已失效，请重新提交 (the security check expired; submit again)"),
                )
        return data


def _unit_from(code: str, query: str) -> Unit | None:
    if code:
        return Unit.objects.filter(code=code, is_active=True).first()
    query = (query or "").strip()
    if query:  # typed in full without choosing (no script): an exact, unique name still counts
        found = list(Unit.objects.filter(name=query, is_active=True)[:2])
        if len(found) == 1:
            return found[0]
    return None


class TrackForm(forms.Form):
    tracking_no = forms.CharField(label=gettext_lazy("投诉编号"), max_length=20)
    code = forms.CharField(label=gettext_lazy("查询码"), max_length=20)


class RateForm(TrackForm):
    rating = forms.ChoiceField(
        label=gettext_lazy("您对答复的评价"),
        choices=Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=gettext_lazy("评价意见（选填）"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- pages ---------------------------------------------------------------------------------------------------


@require_GET
def index(request):
    return render(request, "portal/index.html", {"categories": Category.objects.filter(active=True)})


def _new_form_context(form: ComplaintForm | None = None, key: str | None = None, previous: str = "") -> dict:
    key = key or uuid.uuid4().hex
    if form is None:
        form = ComplaintForm(initial={"idempotency_key": key})
    # A form shown again after an error keeps its live challenge (the time it was opened counts on).
    live = previous if previous and challenge.still_valid(previous, key) else challenge.issue(key)
    return {
        "form": form,
        "challenge": live,
        "idempotency_key": key,
        "nojs_seconds": challenge.NOJS_MIN_SECONDS,
    }


@limited("submit")
@require_http_methods(["GET", "POST"])
def submit(request):
    """我要投诉: the form (GET) and the submission (POST → the confirmation page)."""
    if request.method == "GET":
        return render(request, "portal/submit.html", _new_form_context())
    form = ComplaintForm(request.POST)
    files = request.FILES.getlist("attachments")
    error = None
    if form.is_valid():
        data = form.cleaned_data
        if data["without_script"]:  # no proof of work: the no-script allowance, per address and overall
            wait = ratelimit.hit_request("submit_nojs", request) or ratelimit.hit("submit_nojs_all", "portal")
            if wait is not None:
                return too_many(request, wait)
        try:
            cleaned = attachments.clean_all(files)
            key = data["idempotency_key"]
            saved = attachments.save_files(cleaned)
            try:
                receipt = intake.accept(
                    channel=Channel.WEB,
                    category=data["category"],
                    subject_unit=data["unit_obj"],
                    subject_person_text=data.get("person", ""),
                    content=data["content"],
                    anonymous=data["anonymous"],
                    name=data.get("name", ""),
                    phone=data["contact"] if data["contact_kind"] == "phone" else "",
                    email=data["contact"] if data["contact_kind"] == "email" else "",
                    ip=client_ip(request),
                    device=request.META.get("HTTP_USER_AGENT", ""),
                    consent_publish=data.get("consent_publish", False),
                    occurred_on=data.get("occurred_on"),
                    location=data.get("location", ""),
                    idempotency_key=f"portal:{key}",
                    attachments=saved,
                )
            except BaseException:
                attachments.discard_files(saved)
                raise
            if receipt.created:
                _remember_confirmation(key, receipt.row.tracking_no, receipt.code)
            else:
                attachments.discard_files(saved)  # the first submission kept its own
            return HttpResponseRedirect(reverse("portal_submit_done") + f"?k={key}")
        except attachments.AttachmentRefused as e:
            error = e.message
        except TransitionRefused as e:
            error = e.message
    # The same idempotency key again: a corrected form is still the same submission.
    key = form.cleaned_data.get("idempotency_key") if hasattr(form, "cleaned_data") else None
    ctx = _new_form_context(
        form, key or _valid_key(request.POST.get("idempotency_key")), request.POST.get("pow_challenge", "")
    )
    ctx["error"] = error
    return render(request, "portal/submit.html", ctx, status=400)


def _valid_key(value: str | None) -> str | None:
    try:
        return uuid.UUID(value or "").hex
    except ValueError:
        return None


def _confirm_key(key: str) -> str:
    return "xn:portal:done:" + crypto.sm3_hex(key.encode())


def _remember_confirmation(key: str, tracking_no: str, code: str | None) -> None:
    """The confirmation page is reached by redirect (so a reload never resubmits) and must show the query code
    even when a double click made the browser display the second request's answer: the code waits in the
    cache, encrypted, for CONFIRM_SECONDS under a name derived from the form's idempotency key."""
    token = crypto.encrypt(f"{tracking_no}:{code}", context="portal-confirmation")
    cache.set(_confirm_key(key), token, CONFIRM_SECONDS)


@require_GET
def submit_done(request):
    key = _valid_key(request.GET.get("k"))
    found = None
    if key:
        for _attempt in range(20):  # a racing first request may still be committing
            token = cache.get(_confirm_key(key))
            if token:
                found = crypto.decrypt(token, context="portal-confirmation").split(":", 1)
                break
            if not intake.waiting(f"portal:{key}"):
                break
            time.sleep(0.1)
    if found is None:
        return render(request, "portal/submit_done.html", {"expired": True}, status=404)
    return render(request, "portal/submit_done.html", {"tracking_no": found[0], "code": found[1]})


def public_timeline(complaint: Complaint) -> list[dict]:
    """The events the public sees, in order, with public labels and no names or notes."""
    events = TimelineEvent.objects.filter(item_id=complaint.pk, action__in=PUBLIC_EVENTS).only("at", "action")
    out, last = [], None
    for e in events.order_by("at", "id"):
        label = PUBLIC_EVENTS[e.action]
        if label == last:  # "开始办理" once, not once per redo
            continue
        out.append({"at": e.at, "label": label, "action": e.action})
        last = label
    return out


def track_context(complaint: Complaint, code: str) -> dict:
    state = complaint.work_item.state
    can_rate = state == "answered" and not (
        complaint.rating
        and (
            complaint.replied_at is None
            or (complaint.rated_at is not None and complaint.rated_at >= complaint.replied_at)
        )
    )
    return {
        "complaint": complaint,
        "status": PUBLIC_STATUS.get(state, ""),
        "state": state,
        "timeline": public_timeline(complaint),
        "not_accepted_reason": complaint.not_accepted_reason if state == "not_accepted" else "",
        "public_reply": complaint.public_reply if state in ("answered", "closed") else "",
        "can_rate": can_rate,
        "rate_form": RateForm(initial={"tracking_no": complaint.tracking_no, "code": code}),
        "code": code,
    }


def queued_context(row) -> dict:
    """A submission acknowledged and not registered yet (intake.py): received, being registered."""
    return {
        "complaint": row,  # tracking number and category, as the page shows them
        "status": _("已收到，正在登记"),
        "state": "queued",
        "timeline": [{"at": row.submitted_at, "label": PUBLIC_EVENTS["created"], "action": "created"}],
        "not_accepted_reason": "",
        "public_reply": "",
        "can_rate": False,
    }


@limited("track")
@require_http_methods(["GET", "POST"])
def track(request):
    """查询进度: tracking number + query code (POSTed, so the code stays out of addresses and logs)."""
    if request.method == "GET":
        return render(request, "portal/track.html", {"form": TrackForm()})
    form = TrackForm(request.POST)
    if form.is_valid():
        complaint = services.find_by_tracking(form.cleaned_data["tracking_no"], form.cleaned_data["code"])
        if complaint is not None:
            ctx = track_context(complaint, form.cleaned_data["code"].strip().upper())
            return render(request, "portal/track_result.html", ctx)
        queued = intake.find_waiting(form.cleaned_data["tracking_no"], form.cleaned_data["code"])
        if queued is not None:
            return render(request, "portal/track_result.html", queued_context(queued))
        form.add_error(None, _("投诉编号或查询码不正确 (the tracking number or query code is wrong)"))
    return render(request, "portal/track.html", {"form": form}, status=400)


@limited("rate")
@require_POST
def rate(request):
    """评价: once the reply is given (state "answered"), once per reply."""
    form = RateForm(request.POST)
    complaint = None
    if form.is_valid():
        complaint = services.find_by_tracking(form.cleaned_data["tracking_no"], form.cleaned_data["code"])
        queued = (
            intake.find_waiting(form.cleaned_data["tracking_no"], form.cleaned_data["code"])
            if complaint is None
            else None
        )
        if queued is not None:  # nothing to rate before there is a reply
            ctx = queued_context(queued)
            ctx["error"] = _("答复之后才能评价 (you can rate the reply once it is given)")
            return render(request, "portal/track_result.html", ctx, status=409)
    if complaint is None:
        return render(
            request,
            "portal/track.html",
            {
                "form": TrackForm(),
                "error": _("投诉编号或查询码不正确 (the tracking number or query code is wrong)"),
            },
            status=400,
        )
    code = form.cleaned_data["code"].strip().upper()
    try:
        services.rate_public(complaint, form.cleaned_data["rating"], form.cleaned_data.get("note", ""))
    except TransitionRefused as e:
        ctx = track_context(complaint, code)
        ctx["error"] = e.message
        return render(request, "portal/track_result.html", ctx, status=e.status)
    complaint = services.find_by_tracking(complaint.tracking_no, code)
    ctx = track_context(complaint, code)
    ctx["thanks"] = True
    return render(request, "portal/track_result.html", ctx)


def wall_entries(q: str = "", category: str = ""):
    """回音壁: published replies of complaints whose complainant consented — only the public fields."""
    qs = (
        Complaint.objects.filter(published=True, consent_publish=True)
        .exclude(public_reply="")
        .select_related("category", "subject_unit")
        .order_by("-replied_at", "-submitted_at")
    )
    if category:
        qs = qs.filter(category__code=category)
    if q:
        qs = qs.filter(
            Q(public_reply__icontains=q) | Q(subject_unit__name__icontains=q) | Q(category__name__icontains=q)
        )
    return qs


def _wall_row(c: Complaint) -> dict | None:
    if identity_leaks(c, c.public_reply):  # a reply that still names the complainant is never shown
        return None
    return {
        "category": c.category.name,
        "unit": c.subject_unit.name,
        "submitted_on": timezone.localdate(c.submitted_at),
        "replied_on": timezone.localdate(c.replied_at) if c.replied_at else None,
        "reply": c.public_reply,
    }


@limited("wall")
@require_GET
def wall(request):
    q = request.GET.get("q", "").strip()[:50]
    category = request.GET.get("category", "").strip()[:40]
    page = Paginator(wall_entries(q, category), 20).get_page(request.GET.get("page"))
    rows = [r for r in (_wall_row(c) for c in page.object_list) if r is not None]
    return render(
        request,
        "portal/wall.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "category": category,
            "categories": Category.objects.filter(active=True),
        },
    )


@limited("units")
@require_GET
def units(request):
    """Search-as-you-type for the unit complained about (htmx): unit names only, at most 10."""
    q = request.GET.get("unit_query", request.GET.get("q", "")).strip()[:50]
    found = []
    if q:
        found = list(
            Unit.objects.filter(is_active=True)
            .filter(Q(name__icontains=q) | Q(short_name__icontains=q))
            .order_by("name")
            .values("code", "name")[:10]
        )
    return render(request, "portal/_units.html", {"units": found, "q": q})


@require_POST
def large_type(request):
    """适老化: toggle the large-type mode, remembered in a cookie for a year."""
    on = request.COOKIES.get(LARGE_TYPE_COOKIE) != "1"
    target = request.POST.get("next") or reverse("portal_index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("portal_index")
    resp = HttpResponseRedirect(target)
    resp.set_cookie(LARGE_TYPE_COOKIE, "1" if on else "0", max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp
