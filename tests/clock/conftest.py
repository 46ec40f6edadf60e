from __future__ import annotations

import pytest

from xiaoneng.clock import Calendar


@pytest.fixture(scope="session")
def cal() -> Calendar:
    return Calendar.builtin()
