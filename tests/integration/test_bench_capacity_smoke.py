"""The capacity benchmark still runs end to end at a tiny load (one setup, a few calls at 2 cps)."""

from __future__ import annotations

import json
import subprocess
import sys

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


@pytest.mark.timeout(180)
def test_capacity_bench_carries_a_tiny_load_with_nothing_lost() -> None:
    argv = ["--setup", "ours_1node", "--rates", "2", "--step-s", "2", "--talk", "0.5", "--agents", "3"]
    out = subprocess.run(
        [sys.executable, "-m", "bench.capacity", *argv],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=170,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result) == PUBLISHED
    assert result["setup"] == "ours_1node"
    assert (result["calls"], result["answered"], result["lost"]) == (4, 4, 0)
    assert result["concurrent_peak"] >= 1
    assert result["asa_s_p99"] is not None
