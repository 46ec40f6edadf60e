"""The command line, run as a user runs it: ``python -m xiaoneng.clock …`` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xiaoneng.clock import Calendar

SRC = str(Path(__file__).resolve().parents[2] / "src")


def clock(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xiaoneng.clock", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def test_the_golden_case() -> None:
    run = clock("deadline", "--start", "2026-02-13T10:00+08:00", "--limit", "5wd")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "2026-02-28T00:00:00+08:00\n"


def test_office_close_pause_and_extension() -> None:
    run = clock(
        "deadline",
        "--start=2026-02-13T10:00+08:00",
        "--limit=5wd",
        "--pause=2026-02-24T10:00+08:00/2026-02-26T09:00+08:00",
        "--extend=1wd",
        "--office-close",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "2026-03-03T17:30:00+08:00\n"


def test_a_provisional_deadline_says_so() -> None:
    run = clock("deadline", "--start", "2026-12-28T10:00+08:00", "--limit", "5wd")
    assert run.stdout == "2027-01-06T00:00:00+08:00 (provisional)\n"


def test_an_open_pause_needs_now() -> None:
    args = [
        "deadline",
        "--start",
        "2026-02-13T10:00+08:00",
        "--limit",
        "5wd",
        "--pause",
        "2026-02-24T10:00+08:00/",
    ]
    refused = clock(*args)
    assert refused.returncode == 2
    assert "pause is still open" in refused.stderr
    run = clock(*args, "--now", "2026-02-26T09:00+08:00")
    assert run.stdout == "2026-03-03T00:00:00+08:00\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-02-13T10:00+08:00", "--limit", "5wk"], "unknown limit unit 'wk'"),
        (["--start", "2026-02-13T10:00", "--limit", "5wd"], "is naive"),
        (
            [
                "--start",
                "2026-02-13T10:00+08:00",
                "--limit",
                "5wd",
                "--pause",
                "2026-02-24T10:00+08:00/2026-02-23T10:00+08:00",
            ],
            "ends (2026-02-23T10:00:00+08:00) before it starts",
        ),
        (["--start", "yesterday", "--limit", "5wd"], "cannot read the start"),
        (["--limit", "5wd"], "--start and --limit are required"),
    ],
)
def test_bad_input_is_a_clear_error_with_status_2(args: list[str], message: str) -> None:
    run = clock("deadline", *args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "错误" in run.stderr
    assert run.stdout == ""


def test_batch_answers_every_line_in_order() -> None:
    lines = [
        {"start": "2026-02-13T10:00+08:00", "limit": "5wd"},
        {"start": "2026-02-13T10:00", "limit": "5wd"},
        {
            "start": "2026-02-13T10:00+08:00",
            "limit": "5wd",
            "pauses": [["2026-02-24T10:00+08:00", "2026-02-26T09:00+08:00"]],
        },
        {"start": "2026-12-28T10:00+08:00", "limit": "5wd"},
        {
            "start": "2026-02-13T10:00+08:00",
            "limit": "5wd",
            "pauses": [["2026-02-24T10:00+08:00", None]],
            "now": "2026-02-26T09:00+08:00",
        },
        {"start": "2026-02-13T10:00+08:00", "limit": "3xx"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\nnot json\n\n"
    run = clock("deadline", "--batch", stdin=text)
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert answers[0] == {"deadline": "2026-02-28T00:00:00+08:00", "provisional": False}
    assert "naive" in answers[1]["error"] and answers[1]["line"] == 2
    assert answers[2] == {"deadline": "2026-03-03T00:00:00+08:00", "provisional": False}
    assert answers[3] == {"deadline": "2027-01-06T00:00:00+08:00", "provisional": True}
    assert answers[4] == {"deadline": "2026-03-03T00:00:00+08:00", "provisional": False, "paused": True}
    assert "unknown limit unit" in answers[5]["error"]
    assert "not valid JSON" in answers[6]["error"]
    assert len(answers) == 7
    assert run.returncode == 2  # some lines were bad; all were answered


def test_a_clean_batch_exits_0() -> None:
    run = clock("deadline", "--batch", stdin='{"start": "2026-03-02T10:00+08:00", "limit": "16wh"}\n')
    assert run.returncode == 0
    assert json.loads(run.stdout) == {"deadline": "2026-03-04T12:00:00+08:00", "provisional": False}


def test_stage_command() -> None:
    run = clock(
        "stage",
        "--start",
        "2026-02-13T10:00+08:00",
        "--limit",
        "5wd",
        "--now",
        "2026-02-27T12:00+08:00",
        "--warning",
        "1wd",
        "--red",
        "3wd",
    )
    assert run.returncode == 0, run.stderr
    info = json.loads(run.stdout)
    assert info["stage"] == "warning"
    assert info["remaining"] == 0.5
    assert info["next_change"] == "2026-02-28T00:00:00+08:00"


def test_notice_command_and_a_calendar_file(tmp_path: Path) -> None:
    notice = tmp_path / "2027.txt"
    notice.write_text("year: 2027\n放假 2027-02-05..2027-02-12\n上班 2027-02-20\n", encoding="utf-8")
    run = clock("notice", str(notice))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["years"]["2027"]["workdays"] == ["2027-02-20"]

    cal = Calendar.builtin().with_year(2027, [f"2027-02-{d:02d}" for d in range(5, 13)], ["2027-02-20"])
    cal_file = tmp_path / "calendar.json"
    cal_file.write_text(json.dumps(cal.to_data()), encoding="utf-8")
    run = clock(
        "--calendar", str(cal_file), "deadline", "--start", "2027-02-04T10:00+08:00", "--limit", "5wd"
    )
    assert run.stdout == "2027-02-20T00:00:00+08:00\n"  # Mon 15 … Fri 19, not provisional


def test_a_bad_notice_file_names_the_line(tmp_path: Path) -> None:
    notice = tmp_path / "bad.txt"
    notice.write_text("year: 2027\n放假 2027-02-30\n", encoding="utf-8")
    run = clock("notice", str(notice))
    assert run.returncode == 2
    assert "第 2 行" in run.stderr and "line 2" in run.stderr
