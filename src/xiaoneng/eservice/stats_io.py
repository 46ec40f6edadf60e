"""The metrics as .xlsx in the standard ledger layout (core.exports), exactly as the page shows them."""

from __future__ import annotations

from django.utils import timezone

from xiaoneng.core import audit
from xiaoneng.core.audit import AuditEventType
from xiaoneng.core.exports import Column, ledger_xlsx

from . import stats


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def export(user, query: stats.Query, result: dict) -> bytes:
    rows = [*result["rows"], result["total"]]
    targets = result["targets"]
    columns = [
        Column(str(stats.GROUPS[query.group]), lambda r: r.label, 28),
        Column("受理", lambda r: int(r.counts["accepted"]), 8),
        Column("办结", lambda r: int(r.counts["completed"]), 8),
        Column(f"按时办结率（目标{_pct(targets['on_time'])}）", lambda r: _pct(r.rate("on_time_rate")), 14),
        Column(f"现场办结率（目标≥{_pct(targets['onsite'])}）", lambda r: _pct(r.rate("onsite_rate")), 14),
        Column("提前办结率", lambda r: _pct(r.rate("early_rate")), 10),
        Column("平均用时占比", lambda r: _pct(r.rate("used_share")), 10),
        Column("评价数", lambda r: int(r.counts["rated"]), 8),
        Column(f"满意率（目标≥{_pct(targets['satisfaction'])}）", lambda r: _pct(r.rate("satisfaction")), 14),
        Column("差评", lambda r: int(r.counts["bad"]), 6),
        Column("差评整改率", lambda r: _pct(r.rate("rectification_rate")), 10),
        Column("黄牌告警", lambda r: int(r.counts["yellow"]), 8),
        Column("红牌告警", lambda r: int(r.counts["red"]), 8),
        Column("超标准收费", lambda r: int(r.counts["fee_alerts"]), 8),
        Column("疑似体外循环", lambda r: int(r.counts["offsystem_alerts"]), 8),
        Column("数据异常", lambda r: int(r.counts["anomalies"]), 8),
    ]
    now = timezone.localtime()
    data = ledger_xlsx(
        title="政务服务效能指标",
        subtitle=(
            f"统计期间：{query.start:%Y年%m月%d日}至{query.end:%Y年%m月%d日}　"
            f"导出：{user.get_full_name() or user.username}　{now:%Y年%m月%d日 %H:%M}"
        ),
        columns=columns,
        rows=rows,
    )
    audit.record(
        AuditEventType.EXPORTED,
        actor=user,
        object_type="eservice.metrics",
        data={"from": query.start.isoformat(), "to": query.end.isoformat(), "group": query.group},
    )
    return data
