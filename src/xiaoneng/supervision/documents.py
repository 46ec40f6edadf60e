"""督办通知单 and 催办单: official documents generated from a supervised item through the shared facility
(core/documents.py: gap-free numbers per issuing unit, year and series; GB/T 9704 layout; the file kept)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation

from xiaoneng.core import documents
from xiaoneng.core.documents import OfficialDocument
from xiaoneng.core.workflow import TransitionRefused
from xiaoneng.org.models import RegionLevel, Unit

from .models import SupervisedItem

# series → (机关代字 suffix, document kind)
NOTICE = ("督办", "效督", "督办通知单")
REMINDER = ("催办", "效催", "催办单")


def prefix(issuer: Unit, suffix: str) -> str:
    """机关代字: the region's short name and the series' mark — 青效督 for the city office, 东湖效督 for a
    district's (local offices configure their own in practice; this is the default)."""
    region = issuer.region
    name = region.name
    if region.level == RegionLevel.CITY:
        base = name[:1]
    else:
        base = name[:-1] if len(name) > 2 and name[-1] in "区县市旗" else name
    return f"{base}{suffix}"


def _issuer(actor: Any) -> Unit:
    unit = getattr(actor, "unit", None)
    if unit is None:
        raise TransitionRefused("no issuing unit", status=403, code="no_unit")
    return unit


def _table(sup: SupervisedItem) -> list[tuple[str, str]]:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    wi = sup.work_item
    co = "、".join(u.name for u in wi.units.all())
    rows = [
        ("督办事项", wi.title),
        (
            "事项来源",
            f"{sup.get_source_display()}{'（' + sup.reference_no + '）' if sup.reference_no else ''}",
        ),
        ("牵头单位", wi.owner_unit.name),
    ]
    if co:
        rows.append(("协办单位", co))
    rows += [
        ("办理时限", str(deadline_label(wi.deadline)) + ("（暂定）" if wi.provisional else "")),
        ("报送要求", sup.get_cadence_display()),
    ]
    if sup.description:
        rows.append(("事项内容", sup.description))
    return rows


def issue_notice(sup: SupervisedItem, actor: Any) -> tuple[Any, bytes]:
    """督办通知单: tells the lead unit (and co-units in 抄送) what, by when, and how to report."""
    issuer = _issuer(actor)
    series, suffix, kind = NOTICE
    wi = sup.work_item
    today = timezone.localdate()

    def build(number: str) -> OfficialDocument:
        return OfficialDocument(
            issuer_mark=issuer.name,
            number=number,
            title=f"关于{wi.title}的督办通知",
            recipients=wi.owner_unit.name,
            paragraphs=[
                f"现将“{wi.title}”列为督办事项，由你单位牵头办理。请于一个工作日内在效能平台签收，"
                f"明确责任领导和责任人，按要求报送办理进展，并在办理时限内办结。",
                "确有特殊情况不能按期办结的，须在时限届满前提出延期申请，说明理由；"
                "逾期未办结的，将按规定予以预警、亮牌并通报。",
            ],
            table=_table(sup),
            signatory=issuer.name,
            date=today,
            cc="、".join(u.name for u in wi.units.all()),
            printed_by=issuer.name,
        )

    with translation.override("zh-hans"):  # an official document is in Chinese whatever the reader's UI
        return documents.issue_document(
            actor=actor,
            issuer=issuer,
            series=series,
            prefix=prefix(issuer, suffix),
            kind=kind,
            doc_builder=build,
            obj=sup,
        )


def issue_reminder(sup: SupervisedItem, actor: Any, n: int, message: str) -> tuple[Any, bytes]:
    """催办单: the n-th reminder, with the office's message; from the second on addressed to the unit's head too."""
    issuer = _issuer(actor)
    series, suffix, kind = REMINDER
    wi = sup.work_item
    today = timezone.localdate()

    def build(number: str) -> OfficialDocument:
        paragraphs = [
            f"“{wi.title}”系督办事项，办理时限为{_deadline_text(wi)}。经查，该事项目前仍未办结"
            + ("，且已逾期" if wi.stage in ("yellow", "red") else "")
            + f"。现予第{n}次催办。",
        ]
        if message:
            paragraphs.append(message)
        paragraphs.append("请你单位高度重视，抓紧办理，并于收到本催办单后一个工作日内报送办理进展。")
        return OfficialDocument(
            issuer_mark=issuer.name,
            number=number,
            title=f"关于{wi.title}的催办单（第{n}次）",
            recipients=wi.owner_unit.name + ("主要负责人" if n >= 2 else ""),
            paragraphs=paragraphs,
            table=_table(sup),
            signatory=issuer.name,
            date=today,
            cc="、".join(u.name for u in wi.units.all()),
            printed_by=issuer.name,
        )

    with translation.override("zh-hans"):  # an official document is in Chinese whatever the reader's UI
        return documents.issue_document(
            actor=actor,
            issuer=issuer,
            series=series,
            prefix=prefix(issuer, suffix),
            kind=kind,
            doc_builder=build,
            obj=sup,
        )


def _deadline_text(wi) -> str:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    return str(deadline_label(wi.deadline))


def for_item(sup: SupervisedItem, user: Any):
    """The documents issued about `sup` that `user` may see (through the scope layer), newest first."""
    from xiaoneng.core import scope
    from xiaoneng.core.models import IssuedDocument

    return scope.restrict(IssuedDocument, user).filter(
        object_type="supervision.superviseditem", object_id=str(sup.pk)
    )
