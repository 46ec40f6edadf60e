"""The presets of 政务服务电子监察 (SPEC: "ship them as presets; every one stays configurable"). A deployment
overrides any of them with `ESERVICE = {...}` in its settings; where a locale differs the preset is edited, never
the code."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # A case is warned (预警) when this many units of its own promised limit are left ("1": one working day of a
    # working-day limit, one hour of an hour limit).
    "warning_units": 1,
    # Red (红牌) when overdue by this much past the promised deadline.
    "red_after": "3wd",
    # The department explains an alert within this limit; without an explanation in time the card stands.
    "explanation_limit": "3wd",
    # 差评 are verified, rectified and revisited within this limit (国办发〔2019〕51号 practice: 5 working days).
    "rectification_limit": "5wd",
    # 体外循环 (off-system handling), suspected when acceptance is recorded this long after the application …
    "late_acceptance": "5wd",
    # … or a matter that is not an instant one completes within this many seconds of its acceptance.
    "quick_completion_seconds": 60,
    # Events dated this far after their arrival are refused (a wrong clock in the source system).
    "future_tolerance_seconds": 300,
    # The card colour an alert leaves when confirmed (the supervisor may choose the other one).
    "card_colour": {
        "overdue": "yellow",
        "overdue_red": "red",
        "fee": "red",
        "late_acceptance": "yellow",
        "quick_completion": "yellow",
    },
    # Targets shown beside the actuals (the seeds: 按时办结率 100%, 现场办结率 ≥ 90%, 满意率 ≥ 95%).
    "targets": {"on_time": 1.0, "onsite": 0.9, "satisfaction": 0.95, "rectification": 1.0},
    # A stage of a parallel-approval project (并联审批), counted from its first acceptance (行政许可法 art. 42:
    # joint handling 45 days, +15 with approval).
    "stage_limit": "45wd",
    # Events per API call or file.
    "max_batch": 5000,
}


def get(name: str) -> Any:
    overrides = getattr(settings, "ESERVICE", {}) or {}
    return overrides.get(name, DEFAULTS[name])
