"""The screen-pop benchmark runs end to end at a tiny size and prints one JSON object of the agreed shape."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(90)


def test_given_quick_run_when_benchmark_finishes_then_every_socket_got_one_offer_and_json_has_figures() -> (
    None
):
    done = subprocess.run(
        [sys.executable, "-m", "bench.screen_pop", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert result["sockets"] == result["connected"] == result["offers_received"] == 20
    assert result["distinct_calls"] == 20
    for key in ("p50_ms", "p99_ms", "baseline_p50_ms", "baseline_p99_ms"):
        assert isinstance(result[key], float), key
        assert result[key] > 0, key
    assert result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["baseline_p50_ms"] <= result["baseline_p99_ms"]
