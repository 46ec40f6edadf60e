"""Build ``src/xiaoneng/clock/data/cn.json`` from the ``chinese-calendar`` package (run once, check the file in).

The clock never imports ``chinese-calendar`` at run time: this script copies the State Council's yearly
holiday notices (国务院办公厅关于部分节假日安排的通知) that the package carries into plain JSON, grouped by
the calendar year of each date:

    .venv/bin/python scripts/build_calendar_data.py [--check]

``--check`` rebuilds in memory and fails (exit 1) when the checked-in file differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "xiaoneng" / "clock" / "data" / "cn.json"


def build() -> str:
    from chinese_calendar.constants import holidays, workdays

    years: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"holidays": [], "workdays": []})
    for day in sorted(holidays):
        years[day.year]["holidays"].append(day.isoformat())
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise SystemExit(f"{day}: a 调休上班 day that is not a weekend day — data error")
        years[day.year]["workdays"].append(day.isoformat())
    first, last = min(years), max(years)
    missing = [y for y in range(first, last + 1) if y not in years]
    if missing:
        raise SystemExit(f"years without data: {missing}")
    document = {
        "source": f"chinese-calendar {version('chinese-calendar')} (国务院办公厅 yearly holiday notices)",
        "years": {str(y): years[y] for y in sorted(years)},
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the checked-in file, write nothing"
    )
    args = parser.parse_args()
    text = build()
    if args.check:
        current = json.loads(TARGET.read_text(encoding="utf-8"))
        fresh = json.loads(text)
        same = current["years"] == fresh["years"]
        print("up to date" if same else f"{TARGET} differs from chinese-calendar's data")
        return 0 if same else 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET} ({len(json.loads(text)['years'])} years)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
