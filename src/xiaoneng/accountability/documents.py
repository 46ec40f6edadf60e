"""The documents of 问责 through the shared facility (core/documents.py: gap-free numbers per issuing unit, year and
series; GB/T 9704 layout; the issued file kept): the decision notice for each person or unit (效能告诫书, 问责决定书
…, by the sanction's configured kind), the 复核决定书 on an appeal, and the 通报 drafted from the statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone, translation

from xiaoneng.core import documents
from xiaoneng.core.documents import OfficialDocument, chinese_date

from .models import Appeal, ApprovalLevel, Determination, Responsibility
from .services import case_prefix
from .workflow import limit

# notice kind → (series, suffix of the 机关代字): 青效告〔2026〕3号, 青效问决〔2026〕5号 …
SERIES = {"效能告诫书": ("效能告诫", "效告")}
DEFAULT_SERIES = ("问责决定", "效问决")
REVIEW = ("问责复核", "效复", "复核决定书")
BULLETIN = ("效能通报", "效通", "效能问责通报")


def _who(d: Determination) -> str:
    if d.person_id:
        position = d.subject.position
        return (
            f"{d.unit.name}{position}{d.person.name}同志" if position else f"{d.unit.name}{d.person.name}同志"
        )
    return d.unit.name


def _limit_words(text: str) -> str:
    """ "30d" → "30日", "15wd" → "15个工作日" (how a document states a limit)."""
    if text.endswith("wd"):
        return f"{text[:-2]}个工作日"
    if text.endswith("d"):
        return f"{text[:-1]}日"
    return text


def _table(d: Determination) -> list[tuple[str, str]]:
    from xiaoneng.web.templatetags.xiaoneng import deadline_label

    rows = [("问责对象", d.person.name if d.person_id else d.unit.name), ("单位", d.unit.name)]
    if d.person_id and d.subject.position:
        rows.append(("职务", d.subject.position))
    rows.append(("问责行为", f"{d.behaviour.category.name}：{d.behaviour.name}"))
    if d.responsibility:
        rows.append(("责任类型", str(Responsibility(d.responsibility).label)))
    rows.append(("处理", d.sanction.name))
    if d.effective_on:
        rows.append(("生效日期", chinese_date(d.effective_on)))
    if d.effect_until:
        rows.append(("影响期至", chinese_date(d.effect_until)))
    if d.appeal_deadline:
        rows.append(("申请复核期限", str(deadline_label(d.appeal_deadline))))
    return rows


def issue_determination_notice(d: Determination, actor: Any) -> tuple[Any, bytes]:
    """The decision notice for one determination taking effect (效能告诫书 etc.), addressed to the person's unit."""
    issuer = d.case.work_item.owner_unit
    series, suffix = SERIES.get(d.sanction.notice_kind, DEFAULT_SERIES)
    who = _who(d)
    name = d.person.name if d.person_id else d.unit.name

    def build(number: str) -> OfficialDocument:
        paragraphs = [f"经调查核实，{who}存在{d.behaviour.name}问题。{d.reasoning}"]
        decided = f"根据机关效能建设有关规定，经{ApprovalLevel(d.sanction.approval_level).label}，"
        if d.responsibility:
            decided += f"认定{name}负{Responsibility(d.responsibility).label}，"
        decided += f"决定给予{d.sanction.name}处理，自{chinese_date(d.effective_on)}起生效"
        if d.sanction.effect_months:
            decided += f"，影响期{d.sanction.effect_months}个月"
        paragraphs.append(decided + "。")
        paragraphs.append(
            f"如对本决定不服，可自收到本决定之日起{_limit_words(limit('appeal'))}内向本机关申请复核。"
            "复核期间，不停止本决定的执行。"
        )
        return OfficialDocument(
            issuer_mark=issuer.name,
            number=number,
            title=f"关于对{name}{d.sanction.name}的决定"
            if d.sanction.notice_kind != "效能告诫书"
            else f"效能告诫书\n（{name}）",
            recipients=d.unit.name,
            paragraphs=paragraphs,
            table=_table(d),
            signatory=issuer.name,
            date=d.effective_on or timezone.localdate(),
            printed_by=issuer.name,
        )

    with translation.override("zh-hans"):  # an official document is in Chinese whatever the reader's UI
        return documents.issue_document(
            actor=actor,
            issuer=issuer,
            series=series,
            prefix=case_prefix(issuer, suffix),
            kind=d.sanction.notice_kind,
            doc_builder=build,
            obj=d,
        )


def issue_review_decision(appeal: Appeal, actor: Any) -> tuple[Any, bytes]:
    """复核决定书: the outcome of an appeal (维持 / 变更 / 撤销), addressed to the person's unit."""
    from .models import AppealOutcome

    d = appeal.determination
    issuer = appeal.case.work_item.owner_unit
    series, suffix, kind = REVIEW
    name = d.person.name if d.person_id else d.unit.name
    outcome = {
        AppealOutcome.UPHELD: f"维持原{d.sanction.name}处理决定",
        AppealOutcome.REVOKED: f"撤销原{d.sanction.name}处理决定",
        AppealOutcome.CHANGED: (
            f"将原{d.sanction.name}处理变更为{appeal.new_determination.sanction.name}"
            if appeal.new_determination
            else ""
        ),
    }[AppealOutcome(appeal.outcome)]

    def build(number: str) -> OfficialDocument:
        return OfficialDocument(
            issuer_mark=issuer.name,
            number=number,
            title=f"关于{name}申请复核的决定",
            recipients=d.unit.name,
            paragraphs=[
                f"{_who(d)}对本机关{d.notice.number if d.notice_id else ''}决定不服，于{chinese_date(appeal.filed_on)}"
                f"申请复核。理由：{appeal.reason}",
                f"经复核，{appeal.decision} 现决定{outcome}。",
                "本决定为复核决定。",
            ],
            signatory=issuer.name,
            date=timezone.localdate(),
            printed_by=issuer.name,
        )

    with translation.override("zh-hans"):
        return documents.issue_document(
            actor=actor,
            issuer=issuer,
            series=series,
            prefix=case_prefix(issuer, suffix),
            kind=kind,
            doc_builder=build,
            obj=appeal,
        )


def issue_bulletin(actor: Any, stats: Any, typical: list[dict[str, Any]]) -> tuple[Any, bytes]:
    """效能问责通报: the period's counts in the seeds' form, by category, then the typical cases as the office would
    publish them."""
    issuer = actor.unit
    series, suffix, kind = BULLETIN
    start, end = stats.start, stats.end

    def build(number: str) -> OfficialDocument:
        paragraphs = [
            f"为深入推进机关效能建设，严肃工作纪律，现将{chinese_date(start)}至{chinese_date(end)}"
            f"机关效能问责情况通报如下。",
            f"一、总体情况。{_zh_sentence(stats)}",
        ]
        if stats.by_category:
            cats = "、".join(f"{name}{n}人次" for name, n in stats.by_category)
            paragraphs.append(f"从问题类型看，{cats}。")
        if typical:
            paragraphs.append("二、典型案例。")
            for i, row in enumerate(typical, start=1):
                case = row["case"]
                text = case.public_summary or case.summary
                decided = "；".join(f"给予{_who(d)}{d.sanction.name}处理" for d in row["determinations"])
                paragraphs.append(f"（{_zh_number(i)}）{text} {decided}。")
        paragraphs.append(
            ("三、" if typical else "二、")
            + "有关要求。各单位要以案为鉴、举一反三，严格落实首问负责、限时办结、责任追究等制度，"
            "对群众反映强烈的问题立行立改；对顶风违纪、屡查屡犯的，一律从严从重处理。"
        )
        return OfficialDocument(
            issuer_mark=issuer.name,
            number=number,
            title=f"关于{_period_words(start, end)}机关效能问责情况的通报",
            recipients="各区县机关效能建设领导小组办公室，市直各部门",
            paragraphs=paragraphs,
            signatory=issuer.name,
            date=timezone.localdate(),
            printed_by=issuer.name,
        )

    with translation.override("zh-hans"):
        return documents.issue_document(
            actor=actor,
            issuer=issuer,
            series=series,
            prefix=case_prefix(issuer, suffix),
            kind=kind,
            doc_builder=build,
        )


def _zh_sentence(stats: Any) -> str:
    parts = "、".join(f"{s.name}{n}人" for s, n in stats.by_sanction if n)
    text = f"共处理相关责任人{stats.people}人"
    if parts:
        text += f"，其中{parts}"
    if stats.units:
        text += f"；问责单位{stats.units}个"
    return text + "。"


def _zh_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def _period_words(start: date, end: date) -> str:
    if start.year == end.year and start == date(start.year, 1, 1) and end.month == 12 and end.day == 31:
        return f"{start.year}年度"
    if start.year == end.year and start.month == end.month:
        return f"{start.year}年{start.month}月"
    return f"{chinese_date(start)}至{chinese_date(end)}"
