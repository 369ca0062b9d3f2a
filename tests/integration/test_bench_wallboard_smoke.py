"""The wallboard benchmark runs end to end at a tiny size: every supervisor sees every change, and the JSON
carries the figures the issue names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(150)

NAMED = {"agents", "supervisors", "p50_ms", "p99_ms", "baseline_ms"}


def test_given_a_quick_run_then_every_supervisor_saw_every_change_and_the_json_has_the_named_figures() -> (
    None
):
    done = subprocess.run(
        [sys.executable, "-m", "bench.wallboard", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=140,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert set(result) >= NAMED
    assert (result["agents"], result["supervisors"], result["changes"]) == (40, 3, 20)
    assert result["observations"] == 3 * 20
    assert result["missed"] == 0
    for key in ("p50_ms", "p99_ms", "baseline_ms"):
        assert isinstance(result[key], float), key
        assert result[key] > 0, key
    assert result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
