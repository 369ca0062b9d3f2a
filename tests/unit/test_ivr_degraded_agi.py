"""The degraded-mode classic AGI script, run as Asterisk runs it: AGI over stdin/stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "ivr" / "degraded_agi.py"
HEADERS = (
    "agi_request: hotline/degraded.py\nagi_channel: Local/12345@hotline-inbound-0001;2\nagi_language: zh\n\n"
)

pytestmark = pytest.mark.timeout(30)


def _run(replies: list[str]) -> subprocess.CompletedProcess[str]:
    stdin = HEADERS + "".join(f"{r}\n" for r in replies)
    return subprocess.run(
        [sys.executable, str(SCRIPT)], input=stdin, capture_output=True, text=True, check=False
    )


def test_given_asterisk_answers_when_script_runs_then_notice_plays_and_channel_is_marked() -> None:
    done = _run(["200 result=1", "200 result=0 endpos=44800", "200 result=1"])
    assert done.returncode == 0, done.stderr
    commands = done.stdout.splitlines()
    assert commands[0].startswith("VERBOSE ")
    assert commands[1:] == [
        'STREAM FILE hotline/degraded_notice "" 0',
        'SET VARIABLE "HOTLINE_DEGRADED" "1"',
    ]


def test_given_caller_hangs_up_during_notice_when_script_runs_then_it_exits_non_zero() -> None:
    done = _run(["200 result=1", "200 result=-1 endpos=0"])
    assert done.returncode == 1
    assert "hotline degraded AGI" in done.stderr
