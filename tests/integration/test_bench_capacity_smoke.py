"""The capacity benchmark still runs end to end at a tiny load (one setup, a few calls at 2 cps): our
centre on one node, the plain-dialplan app_queue baseline on the same call (menu key, survey), and our
centre behind Kamailio with SIPp as the carrier."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.asterisk

PUBLISHED = {
    "setup",
    "calls",
    "cps",
    "concurrent_peak",
    "answered",
    "lost",
    "asa_s_p50",
    "asa_s_p99",
    "cpu_pct",
}


def run_bench(setup: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one setup at 2 cps for 2 s; its published line and its step lines."""
    argv = ["--setup", setup, "--rates", "2", "--step-s", "2", "--talk", "0.5", "--agents", "3"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.capacity", *argv],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=230,
    )
    steps = [json.loads(line)["step"] for line in done.stderr.splitlines() if line.startswith('{"step"')]
    return json.loads(done.stdout.strip().splitlines()[-1]), steps


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "setup",
    ["ours_1node", "app_queue_1node", pytest.param("ours_2nodes_kamailio", marks=pytest.mark.cluster)],
)
def test_capacity_bench_carries_a_tiny_load_with_nothing_lost(setup: str) -> None:
    result, steps = run_bench(setup)
    assert set(result) == PUBLISHED
    assert result["setup"] == setup
    assert (result["calls"], result["answered"], result["lost"]) == (4, 4, 0)
    assert result["concurrent_peak"] >= 1
    assert result["asa_s_p99"] is not None
    # The same call everywhere: the welcome cut short by the key, 0.5 s of talk, then the survey's two
    # prompts and two 5 s waits (about 27 s); without the key or the survey it would be ~37 s or ~1 s.
    call_s = steps[-1]["call_s_p50"]
    assert isinstance(call_s, float), steps
    assert 22 < call_s < 31, steps
