"""E-supervision test world: the shared story (tests/conftest.py) plus a small catalog — a licence of 东湖区住建局
(ua) promised in 5 working days, an instant matter of 东湖区市场监管局 (ua2) with a fee standard, and a matter
of 西山区住建局 (ub, county B) that county A's accounts never see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xiaoneng.eservice import catalog


def matter(unit, code, name, *, promised="5wd", statutory="20wd", fee="0", steps=None, level="county"):
    m, _created = catalog.save(
        None,
        catalog.MatterInput(
            code=code,
            name=name,
            type="licence",
            department=unit,
            level=level,
            statutory_limit=statutory,
            promised_limit=promised,
            fee_standard=Decimal(fee),
            required_steps=steps,
        ),
    )
    return m


@pytest.fixture
def matters(world):
    return {
        "licence": matter(world.ua, "DH-XK-001", "建筑工程施工许可证核发", steps="handling,review,decision"),
        "instant": matter(world.ua2, "DH-QR-002", "个体工商户登记", promised="即办", fee="50"),
        "west": matter(world.ub, "XS-XK-001", "西山区的事项目录条目"),
    }


@pytest.fixture
def source(world):
    """东湖区's approval system (reports for county A's departments)."""
    from xiaoneng.eservice import sources

    system, _key = sources.issue_key("东湖区审批系统", world.a)
    return system


class Feed:
    """Builds events for one source: feed.app("C1", "DH-XK-001", "2026-03-02 09:00") …"""

    def __init__(self) -> None:
        self.n = 0

    def ev(self, case_no: str, type: str, at: str, **fields) -> dict:
        self.n += 1
        from datetime import datetime

        when = datetime.strptime(at, "%Y-%m-%d %H:%M").isoformat() + "+08:00"
        return {"event_id": f"E{self.n:05d}", "case_no": case_no, "type": type, "at": when, **fields}

    def app(self, case_no, matter, at, **fields):
        return self.ev(case_no, "application", at, matter=matter, **fields)


@pytest.fixture
def feed():
    return Feed()


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """A request in English leaves English active on the thread; messages built afterwards must not leak it."""
    from django.utils import translation

    yield
    translation.deactivate()
