"""Pages of 督查督办: the ledger, issuing an item, an item with its reports and the actions open to the user."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from xiaoneng.core import scope, workitem
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import Unit
from xiaoneng.org.roles import Role
from xiaoneng.web.views import ITEM_ROLES, role_required

from . import selectors, services
from .forms import IssueForm
from .models import Quality, Source, SupervisedItem
from .workflow import WORKFLOW


@role_required(*ITEM_ROLES)
def ledger(request):
    q = request.GET
    qs = selectors.ledger(
        request.user,
        q=q.get("q", ""),
        source=q.get("source", ""),
        state=q.get("state", ""),
        stage=q.get("stage", ""),
        unit=q.get("unit", ""),
        due_within=q.get("due", ""),
    )
    page = Paginator(qs, 50).get_page(q.get("page"))
    return render(
        request,
        "supervision/ledger.html",
        {
            "page": page,
            "sources": Source.choices,
            "states": WORKFLOW.states.items(),
            "can_issue": request.user.role == Role.SUPERVISOR,
        },
    )


@role_required(Role.SUPERVISOR)
def issue(request):
    units = scope.restrict(Unit, request.user).filter(is_active=True)
    form = IssueForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item = services.issue(
                actor=request.user,
                title=d["title"],
                source=d["source"],
                lead_unit=d["lead_unit"],
                co_units=list(d["co_units"]),
                limit=d["limit"],
                due=d["due"],
                reference_no=d["reference_no"],
                urgency=d["urgency"],
                description=d["description"],
                cadence=d["cadence"],
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("事项已交办。"))
            return redirect("supervision_item", pk=item.pk)
    return render(request, "supervision/issue.html", {"form": form}, status=400 if form.errors else 200)


@role_required(*ITEM_ROLES)
def item(request, pk):
    sup = scope.access(
        SupervisedItem,
        request.user,
        pk,
        SupervisedItem.objects.select_related("work_item__owner_unit", "responsible_leader"),
    )
    wi = sup.work_item
    if request.method == "POST":
        try:
            services.act(
                sup,
                request.POST.get("action", ""),
                request.user,
                data=request.POST.dict(),
                expected_version=int(request.POST["version"])
                if request.POST.get("version", "").isdigit()
                else None,
            )
            messages.success(request, _("操作成功。"))
        except TransitionRefused as exc:
            messages.error(request, exc.message)
        return redirect("supervision_item", pk=sup.pk)
    return render(
        request,
        "supervision/item.html",
        {
            "sup": sup,
            "item": wi,
            "state_label": WORKFLOW.state_label(wi.state),
            "actions": WORKFLOW.available(wi, request.user),
            "co_units": wi.units.all(),
            "reports": sup.reports.select_related("unit", "author"),
            "timeline": [
                {"event": e, "label": workitem.timeline_label(wi, e.action)} for e in wi.timeline.all()
            ],
            "qualities": Quality.choices,
        },
    )
