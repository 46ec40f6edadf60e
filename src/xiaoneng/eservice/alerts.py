"""Alerts (监察告警) and cards (红黄牌): raising an alert on a case as a work item for its department, the
department's explanation, the supervisor's decision, the card that stands when no explanation comes in time, and
the 差评 rectification loop. Writes go through `workitem.create` / `workitem.perform`, so the shared deadline
sweep, timeline, scope and notifications apply; the cards are core `CardRecord`s on the department's record
(the unit page and, later, accountability and assessment count them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core import audit, bulk, notify, workitem
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.models import CardRecord, WorkItem
from xiaoneng.org.models import Unit, User
from xiaoneng.org.roles import Role

from . import presets
from .models import AlertType, Case, CaseAlert, Rating
from .workflow import ALERT_KIND, RECTIFICATION_KIND, SystemActor

OFFSYSTEM = (AlertType.LATE_ACCEPTANCE, AlertType.QUICK_COMPLETION)


def _label(deadline: datetime | None) -> str:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    return deadline_label(deadline)


def describe(case: Case, alert_type: str) -> str:
    """The alert's one-line content, as the department reads it."""
    if alert_type in (AlertType.OVERDUE, AlertType.OVERDUE_RED):
        return _("承诺办结时限 %(d)s，超期%(how)s") % {
            "d": _label(case.deadline),
            "how": _("已办结") if case.completed_at else _("未办结"),
        }
    if alert_type == AlertType.FEE:
        return _("收费 %(fee)s 元，超过收费标准 %(std)s 元") % {
            "fee": case.fee_total,
            "std": case.matter.fee_standard,
        }
    if alert_type == AlertType.LATE_ACCEPTANCE:
        return _("申请 %(a)s，受理 %(b)s，受理滞后") % {
            "a": timezone.localtime(case.applied_at).strftime("%Y-%m-%d %H:%M"),
            "b": timezone.localtime(case.accepted_at).strftime("%Y-%m-%d %H:%M"),
        }
    if alert_type == AlertType.QUICK_COMPLETION:
        seconds = int((case.completed_at - case.accepted_at).total_seconds())
        return _("受理后 %(s)d 秒即办结") % {"s": seconds}
    return _("群众评价“%(r)s”") % {"r": Rating(case.rating).label if case.rating else ""}


def raise_alert(case: Case, alert_type: str, department: Unit, now: datetime) -> CaseAlert:
    """One alert on `case` as a work item of its department (the explanation limit, or the rectification
    limit for a 差评, from the clock), and a message to the department's liaisons. In the caller's
    transaction."""
    kind = RECTIFICATION_KIND if alert_type == AlertType.BAD_RATING else ALERT_KIND
    title = _("%(type)s：%(matter)s（办件 %(no)s）") % {
        "type": AlertType(alert_type).label,
        "matter": case.matter.name,
        "no": case.case_no,
    }
    item = workitem.create(
        kind=kind.code,
        actor=None,
        title=title[:300],
        owner_unit=department,
        started_at=now,
        limit=kind.default_limit,
    )
    colours = presets.get("card_colour")
    alert = CaseAlert.objects.create(
        work_item=item,
        case=case,
        type=alert_type,
        colour=colours.get(alert_type, ""),
        department=department,
        region_path=case.region_path,
        raised_at=now,
        detail=describe(case, alert_type)[:300],
    )
    verb = _("整改") if alert_type == AlertType.BAD_RATING else _("说明")
    message = _("新的政务服务监察告警，请于 %(d)s 前%(verb)s：%(t)s") % {
        "d": _label(item.deadline),
        "verb": verb,
        "t": title,
    }
    url = reverse("eservice_alert", args=[item.pk])
    notify.notify_many(
        [
            notify.Message(user_id, f"eservice_alert:{item.pk}", message[:200], url=url, item_id=item.pk)
            for user_id in User.objects.filter(
                unit_id=department.pk, role=Role.LIAISON, is_active=True
            ).values_list("pk", flat=True)
        ],
        channels=("sms",),
    )
    return alert


def warn_departments(cases_by_department: dict[int, list[Case]], now: datetime) -> int:
    """预警提醒: cases that entered the last unit of their promised limit. Not alerts (nothing to explain before
    the deadline), but the department must hear of them while there is time: each liaison of the department gets
    one inbox message a day (deduplicated by department and day, however many sweeps find new ones), linking to
    the department's cases in warning. Returns the messages created."""
    day = timezone.localdate(now).isoformat()
    liaisons = User.objects.filter(
        unit_id__in=list(cases_by_department), role=Role.LIAISON, is_active=True
    ).values_list("pk", "unit_id")
    messages = []
    for user_id, unit_id in liaisons:
        first = cases_by_department[unit_id][0]
        url = reverse("eservice_cases") + f"?measure=warning&department={unit_id}"
        title = _("政务服务办件预警：办件 %(no)s 等即将到达承诺办结时限，请抓紧办结") % {"no": first.case_no}
        messages.append(notify.Message(user_id, f"eservice_warning:{unit_id}:{day}", title[:200], url=url))
    return len(notify.notify_many(messages))


@transaction.atomic
def act_on_item(
    item: WorkItem,
    transition: str,
    actor: Any,
    *,
    note: str = "",
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
) -> WorkItem:
    """Every transition of an alert or a rectification, from the page, the API or the system: the declared
    workflow decides, and the alert's own record follows (the explanation, the card, the finding, the revisit)."""
    data = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in (data or {}).items()}
    alert = CaseAlert.objects.select_for_update().select_related("case").get(pk=item.pk)
    now = timezone.now()
    text = str(data.get("text", "")).strip()

    def effect(it: WorkItem) -> None:
        if transition == "explain":
            alert.explanation, alert.explained_at = text, now
        elif transition == "rectify":
            alert.finding, alert.explanation, alert.explained_at = data["finding"], text, now
        elif transition == "revisit":
            alert.revisit, alert.revisit_result = text, int(data["result"])
        elif transition in ("accept", "confirm", "stand", "supersede", "close"):
            alert.decided_at = now

    item = workitem.perform(
        item,
        transition,
        actor,
        note=note or text,
        expected_version=expected_version,
        data=data,
        effect=effect,
    )
    if transition == "confirm":
        alert.card_colour = data.get("colour") or alert.colour or "yellow"
        _cards(alert, now)
    elif transition == "stand":
        alert.card_colour = alert.colour or "yellow"
        _cards(alert, now)
    elif transition == "close":
        _rectified(alert, now)
    alert.save()
    return item


def _cards(alert: CaseAlert, now: datetime) -> list[Any]:
    """The card(s) a confirmed or standing alert leaves on the department's record: yellow, or yellow and red
    for a red one (as the deadline sweep records an item gone red). Once per item and colour."""
    colours = ["yellow", "red"] if alert.card_colour == "red" else ["yellow"]
    at = now
    return bulk.insert(
        CardRecord,
        [
            {
                "work_item_id": alert.pk,
                "unit_id": alert.department_id,
                "region_path": alert.region_path,
                "kind": ALERT_KIND.code,
                "stage": colour,
                "at": at,
                "year": timezone.localtime(at).year,
            }
            for colour in colours
        ],
        skip_existing=("work_item", "stage"),
    )


def _rectified(alert: CaseAlert, now: datetime) -> None:
    """A 差评 rectified and its revisit checked: the case counts in 差评整改率 (on the day it was rated)."""
    from .ingest import Counts, write_counts

    case = Case.objects.select_for_update().get(pk=alert.case_id)
    if case.rectified:
        return
    case.rectified = True
    case.save(update_fields=["rectified"])
    counts = Counts()
    counts.add(case.rated_at or now, case, "rectified")
    write_counts(counts)


def stand_unexplained(changes: list[tuple[WorkItem, str, str]]) -> None:
    """The deadline sweep's hook for alerts: an alert whose explanation is overdue (yellow or red) while still
    awaited has its card stand (逾期未说明). The sweep has already put its yellow card (and red, if it went red)
    on the department's record; a red alert adds its red card."""
    system = SystemActor()
    stood = 0
    for item, _old, new in changes:
        if new in ("yellow", "red") and item.state == "awaiting":
            act_on_item(item, "stand", system)
            stood += 1
    if stood:
        audit.record(AuditEventType.ESERVICE_CARDS_STOOD, actor_name="deadline_sweep", data={"alerts": stood})


def supersede(alert: CaseAlert) -> bool:
    """A yellow alert still awaiting its explanation when the case turns red is merged into the red alert."""
    item = alert.work_item
    if item.state != "awaiting":
        return False
    act_on_item(item, "supersede", SystemActor())
    return True


def departments(ids: set[int]) -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.filter(pk__in=ids).select_related("region")}


def by_case(alerts: list[CaseAlert]) -> dict[int, dict[str, CaseAlert]]:
    out: dict[int, dict[str, CaseAlert]] = defaultdict(dict)
    for a in alerts:
        out[a.case_id][a.type] = a
    return out


def may_act(user: Any, alert: CaseAlert) -> list[Any]:
    """The transitions this user may perform on the alert now (the page's buttons)."""
    kind = RECTIFICATION_KIND if alert.type == AlertType.BAD_RATING else ALERT_KIND
    return kind.workflow.available(alert.work_item, user)
