"""The clock stays framework-free: importing it loads neither Django nor the build-time calendar package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import xiaoneng.clock

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_importing_the_clock_loads_no_django() -> None:
    code = (
        "import json, sys, xiaoneng.clock as c\n"
        "c.deadline(c.Calendar.builtin(), __import__('datetime').datetime.now(__import__('datetime').timezone.utc),"
        " '5wd')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('django', 'chinese_calendar', 'hypothesis', 'rest_framework'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC},
        timeout=60,
        check=True,
    )
    assert json.loads(run.stdout) == []


def test_the_public_names() -> None:
    assert sorted(xiaoneng.clock.__all__) == sorted(set(xiaoneng.clock.__all__))
    for name in xiaoneng.clock.__all__:
        assert hasattr(xiaoneng.clock, name), name


def test_the_package_is_typed_and_ships_its_data() -> None:
    package = Path(xiaoneng.clock.__file__).parent
    assert (package / "py.typed").exists()
    assert (package / "data" / "cn.json").exists()
