"""政务服务好差评 on the public portal (/portal/service/): anonymous, phone-first, rate-limited per address like the
portal's other forms (complaints.ratelimit: lookups count against "track", ratings against "rate"). The proof
travels by POST only, so it stays out of addresses and logs. What a visitor sees of a case is decided here: its
matter, department, dates and state, and only after the proof matched (ratings.find_for_applicant)."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xiaoneng.complaints import ratelimit
from xiaoneng.complaints.portal import too_many

from . import ratings
from .models import CaseStatus, Rating

PUBLIC_STATUS = {
    CaseStatus.APPLIED: gettext_lazy("已申请，待受理"),
    CaseStatus.ACCEPTED: gettext_lazy("办理中"),
    CaseStatus.COMPLETED: gettext_lazy("已办结"),
    CaseStatus.DELIVERED: gettext_lazy("已办结并送达"),
}


class LookupForm(forms.Form):
    case_no = forms.CharField(label=gettext_lazy("办件编号"), max_length=64)
    proof = forms.CharField(label=gettext_lazy("查询码或申请人手机号"), max_length=32)


class RateForm(LookupForm):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("您对这次办事的评价"),
        choices=Rating.choices,
        coerce=int,
        error_messages={"required": gettext_lazy("请选择评价等级 (choose a rating)")},
    )


def _not_found() -> str:
    return _(
        "办件编号与查询码或手机号不匹配 (the case number and the query code or phone number do not match)"
    )


def _lookup_page(request, form: LookupForm, status: int = 200):
    return render(request, "eservice/portal_rating.html", {"form": form}, status=status)


def _case_page(request, case, proof: str, *, thanks: bool = False, error: str = "", status: int = 200):
    return render(
        request,
        "eservice/portal_rating_case.html",
        {
            "case": case,
            "proof": proof,
            "status_label": PUBLIC_STATUS.get(case.status, ""),
            "can_rate": ratings.can_rate(case),
            "levels": Rating.choices,
            "thanks": thanks,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def rating(request):
    """评价办件: the lookup form (GET) and the lookup (POST → the case, with the rating form when it may be
    rated)."""
    if request.method == "GET":
        return _lookup_page(request, LookupForm())
    wait = ratelimit.hit_request("track", request)
    if wait is not None:
        return too_many(request, wait)
    form = LookupForm(request.POST)
    if form.is_valid():
        case, wait = _find(form.cleaned_data["case_no"], form.cleaned_data["proof"])
        if wait is not None:
            return too_many(request, wait)
        if case is not None:
            return _case_page(request, case, form.cleaned_data["proof"])
        form.add_error(None, _not_found())
    return _lookup_page(request, form, status=400)


def _find(case_no: str, proof: str):
    """(the applicant's case or None, None) — or (None, seconds) while the case number is locked: past
    `case_proof_fail` wrong proofs for one number within the hour, from whatever addresses, it cannot be looked
    up until the hour ends (a guess spread over many addresses gets nowhere). Only failures count."""
    who = (case_no or "").strip()[:64]
    wait = ratelimit.blocked("case_proof_fail", who)
    if wait is not None:
        return None, wait
    case = ratings.find_for_applicant(case_no, proof)
    if case is None and who:
        ratelimit.hit("case_proof_fail", who)
    return case, None


@require_POST
def rate(request):
    """提交评价: the proof again, then the rating through the intake (ratings.rate)."""
    wait = ratelimit.hit_request("rate", request)
    if wait is not None:
        return too_many(request, wait)
    form = RateForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    case = None
    if "case_no" in data and "proof" in data:
        case, wait = _find(data["case_no"], data["proof"])
        if wait is not None:
            return too_many(request, wait)
    if case is None:
        lookup = LookupForm(request.POST)
        if lookup.is_valid():
            lookup.add_error(None, _not_found())
        return _lookup_page(request, lookup, status=400)
    if not valid:
        return _case_page(request, case, data["proof"], error=form.errors["rating"][0], status=400)
    try:
        ratings.rate(case, data["rating"])
    except ratings.RatingRefused as e:
        case.refresh_from_db()
        return _case_page(request, case, data["proof"], error=e.message, status=409)
    case.refresh_from_db()
    return _case_page(request, case, data["proof"], thanks=True)
