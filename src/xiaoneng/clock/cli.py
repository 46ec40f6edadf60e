"""Command line: ``python -m xiaoneng.clock deadline|stage|notice …`` (see docs/clock.md).

Bad input (unknown unit, naive datetime, pause ending before it starts, …) prints a Chinese + English
message on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from .calendars import Calendar
from .engine import Pause, deadline, require_aware
from .errors import ClockError
from .notice import parse_notice
from .stages import StagePolicy, stage_at

EXIT_BAD_INPUT = 2


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        zh, en = what.split(" ", 1)
        raise ClockError(
            f"无法识别的{zh} {text!r}（应为 ISO 8601，如 2026-02-13T10:00+08:00）",
            f"cannot read the {en} {text!r} (expected ISO 8601 like 2026-02-13T10:00+08:00)",
        ) from None
    return require_aware(value, what)


def _pause(value: Any) -> Pause:
    if isinstance(value, str):
        if "/" not in value:
            raise ClockError(
                f"暂停应写作 开始/结束，而不是 {value!r}", f"a pause is START/END, not {value!r}"
            )
        start_text, end_text = value.split("/", 1)
        parts: list[Any] = [start_text, end_text]
    elif isinstance(value, list | tuple) and len(value) == 2:
        parts = list(value)
    else:
        raise ClockError(
            f"暂停应为 [开始, 结束]，而不是 {value!r}", f"a pause is [start, end], not {value!r}"
        )
    start = _instant(str(parts[0]), "暂停开始 pause start")
    end_raw = parts[1]
    if end_raw is None or (isinstance(end_raw, str) and end_raw.strip().lower() in ("", "open", "null")):
        return Pause(start, None)
    return Pause(start, _instant(str(end_raw), "暂停结束 pause end"))


def _load_calendar(path: str | None) -> Calendar:
    if path is None:
        return Calendar.builtin()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ClockError(
            f"无法读取日历文件 {path}：{exc}", f"cannot read the calendar file {path}: {exc}"
        ) from None
    if not isinstance(data, dict) or "years" not in data:
        raise ClockError(f"日历文件 {path} 缺少 years", f"the calendar file {path} has no 'years'")
    return Calendar.from_data(**data)


def _one(cal: Calendar, args: argparse.Namespace) -> str:
    result = deadline(
        cal,
        _instant(args.start, "开始时间 start"),
        args.limit,
        [_pause(p) for p in args.pause],
        args.extend,
        args.office_close,
        now=None if args.now is None else _instant(args.now, "当前时间 now"),
    )
    return result.at.isoformat() + (" (provisional)" if result.provisional else "")


def _batch_line(cal: Calendar, line: str, default_now: str | None) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ClockError(f"不是合法的 JSON：{exc.msg}", f"not valid JSON: {exc.msg}") from None
    if not isinstance(item, dict):
        raise ClockError("每行应是一个 JSON 对象", "each line must be a JSON object")
    unknown = set(item) - {"start", "limit", "pauses", "extensions", "office_close", "now"}
    if unknown:
        raise ClockError(f"未知字段 {sorted(unknown)}", f"unknown fields {sorted(unknown)}")
    for field in ("start", "limit"):
        if not isinstance(item.get(field), str):
            raise ClockError(f"缺少文本字段 {field}", f"missing text field '{field}'")
    pauses = item.get("pauses") or []
    extensions = item.get("extensions") or []
    if not isinstance(pauses, list) or not isinstance(extensions, list):
        raise ClockError("pauses 与 extensions 须为列表", "pauses and extensions must be lists")
    now_text = item.get("now", default_now)
    result = deadline(
        cal,
        _instant(item["start"], "开始时间 start"),
        item["limit"],
        [_pause(p) for p in pauses],
        extensions,
        bool(item.get("office_close", False)),
        now=None if now_text is None else _instant(str(now_text), "当前时间 now"),
    )
    answer: dict[str, Any] = {"deadline": result.at.isoformat(), "provisional": result.provisional}
    if result.paused:
        answer["paused"] = True
    return answer


def _batch(cal: Calendar, source: TextIO, sink: TextIO, default_now: str | None) -> int:
    status = 0
    for line_no, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            answer = _batch_line(cal, line, default_now)
        except ClockError as exc:
            answer = {"error": str(exc), "line": line_no}
            status = EXIT_BAD_INPUT
        sink.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return status


def _stage(cal: Calendar, args: argparse.Namespace) -> str:
    info = stage_at(
        cal,
        _instant(args.start, "开始时间 start"),
        args.limit,
        _instant(args.now, "当前时间 now"),
        StagePolicy(warning=args.warning, red=args.red),
        [_pause(p) for p in args.pause],
        args.extend,
        args.office_close,
    )

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return json.dumps(
        {
            "stage": info.stage.value,
            "deadline": iso(info.deadline),
            "provisional": info.provisional,
            "paused": info.paused,
            "elapsed": round(info.elapsed_units, 6),
            "remaining": round(info.remaining_units, 6),
            "unit": info.unit.value,
            "warning_at": iso(info.warning_at),
            "red_at": iso(info.red_at),
            "next_change": iso(info.next_change),
        },
        ensure_ascii=False,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m xiaoneng.clock", description="效能 clock: deadlines and stages"
    )
    parser.add_argument("--calendar", help="calendar JSON (Calendar.to_data()); default: the built-in one")
    commands = parser.add_subparsers(dest="command", required=True)

    def limit_options(sub: argparse.ArgumentParser, required: bool) -> None:
        sub.add_argument("--start", required=required, help="start instant, ISO 8601 with offset")
        sub.add_argument("--limit", required=required, help="5wd, 30d, 16wh, 48h")
        sub.add_argument(
            "--pause",
            action="append",
            default=[],
            metavar="START/END",
            help="a pause; END empty or 'open' while it runs (needs --now); repeatable",
        )
        sub.add_argument(
            "--extend",
            action="append",
            default=[],
            metavar="LIMIT",
            help="an approved extension (延期), e.g. 10wd; repeatable",
        )
        sub.add_argument(
            "--office-close", action="store_true", help="end day limits at the close of office hours"
        )

    one = commands.add_parser("deadline", help="when a limit runs out")
    limit_options(one, required=False)
    one.add_argument("--now", help="now (ISO 8601): an open pause is taken as ending now")
    one.add_argument(
        "--batch",
        action="store_true",
        help='read JSON lines {"start", "limit", "pauses"} on stdin, write {"deadline", "provisional"}',
    )

    stage = commands.add_parser("stage", help="stage (normal/warning/yellow/red) at an instant, as JSON")
    limit_options(stage, required=True)
    stage.add_argument("--now", required=True, help="the instant to judge (ISO 8601)")
    stage.add_argument("--warning", help="warning threshold: 1wd or 20%%")
    stage.add_argument("--red", help="red threshold past the deadline: 3wd")

    notice = commands.add_parser("notice", help="check a notice text file and print it as calendar JSON")
    notice.add_argument("file", help="the notice file (- for stdin)")
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    args = _parser().parse_args(argv)
    try:
        cal = _load_calendar(args.calendar)
        if args.command == "deadline":
            if args.batch:
                return _batch(cal, stdin, stdout, args.now)
            if args.start is None or args.limit is None:
                raise ClockError(
                    "需要 --start 和 --limit（或 --batch）", "--start and --limit are required (or --batch)"
                )
            print(_one(cal, args), file=stdout)
        elif args.command == "stage":
            print(_stage(cal, args), file=stdout)
        else:
            text = stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
            parsed = parse_notice(text)
            print(
                json.dumps({"years": {parsed.year: parsed.to_data()}}, ensure_ascii=False, indent=1),
                file=stdout,
            )
    except ClockError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
