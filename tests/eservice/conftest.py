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
