"""Pages of 政务服务电子监察. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiaoneng.core import scope
from xiaoneng.core.exports import xlsx_response
from xiaoneng.core.imports import ImportRefused
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import RegionLevel, Unit
from xiaoneng.org.roles import Role
from xiaoneng.web.views import ITEM_ROLES, role_required

from . import catalog, catalog_io, selectors
from .forms import MatterForm
from .models import Matter, MatterType

PAGE = 50


@role_required(*ITEM_ROLES)
def index(request):
    return matters(request)


@role_required(*ITEM_ROLES)
def matters(request):
    """事项目录: the catalog in the user's scope, filtered; supervisors import and edit it."""
    qs = selectors.matters(request.user, request.GET)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "eservice/matters.html",
        {
            "page": page,
            "types": MatterType.choices,
            "levels": RegionLevel.choices,
            "departments": scope.restrict(Unit, request.user)
            .filter(service_matters__isnull=False)
            .distinct(),
            "can_edit": catalog.may_edit(request.user),
            "tab": "matters",
        },
    )


@role_required(*ITEM_ROLES)
def matters_export(request):
    data = catalog_io.export(request.user, selectors.matters(request.user, request.GET))
    return xlsx_response(data, "政务服务事项目录.xlsx")


@role_required(Role.SUPERVISOR)
def matter_form(request, pk=None):
    """One matter, new or edited; the rule promised ≤ statutory answers in both languages."""
    matter = scope.access(Matter, request.user, pk) if pk is not None else None
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    initial = {}
    if matter is not None:
        initial = {
            "code": matter.code,
            "name": matter.name,
            "type": matter.type,
            "department": matter.department_id,
            "level": matter.level,
            "statutory_limit": matter.statutory_limit,
            "promised_limit": matter.promised_limit,
            "fee_standard": matter.fee_standard,
            "required_steps": matter.steps,
            "is_active": matter.is_active,
        }
    form = MatterForm(request.POST or None, units=units, initial=initial)
    if matter is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved, _created = catalog.save(
                request.user,
                catalog.MatterInput(
                    code=matter.code if matter else d["code"],
                    name=d["name"],
                    type=d["type"],
                    department=d["department"],
                    level=d["level"],
                    statutory_limit=d["statutory_limit"],
                    promised_limit=d["promised_limit"],
                    fee_standard=d["fee_standard"],
                    required_steps=",".join(d["required_steps"]),
                    is_active=d["is_active"],
                ),
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("事项已保存。"))
            return redirect(f"{_matters_url()}?q={saved.code}")
    return render(
        request,
        "eservice/matter_form.html",
        {"form": form, "matter": matter, "tab": "matters"},
        status=400 if form.errors else 200,
    )


def _matters_url() -> str:
    from django.urls import reverse

    return reverse("eservice_matters")


@role_required(Role.SUPERVISOR)
def matters_template(request):
    return xlsx_response(catalog_io.template(), "政务服务事项目录导入模板.xlsx")


@role_required(Role.SUPERVISOR)
def matters_import(request):
    """Upload the catalog: all-or-nothing, every row's errors listed; matters are added or updated by code."""
    errors, refused = [], None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            refused = _("请选择文件 (choose a file)")
        else:
            try:
                saved, errors = catalog_io.import_matters(request.user, upload)
            except ImportRefused as exc:
                refused = exc.message
            else:
                if not errors:
                    messages.success(request, _("已导入 %(n)d 项政务服务事项。") % {"n": len(saved)})
                    return redirect("eservice_matters")
    status = 400 if (errors or refused) else 200
    return render(
        request,
        "eservice/matters_import.html",
        {"errors": errors, "refused": refused, "tab": "matters"},
        status=status,
    )
