"""The ACD-vs-app_queue benchmark still runs and reports comparable figures (tiny sizes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.asterisk


@pytest.mark.timeout(240)
def test_benchmark_prints_one_json_object_with_both_sides() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "acd_vs_app_queue.py"),
            "--calls",
            "4",
            "--agents",
            "2",
            "--talk",
            "0.5",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=230,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    for key in (
        "calls",
        "agents",
        "ours_free_to_ring_ms_p50",
        "app_queue_free_to_ring_ms_p50",
        "ratio",
        "ours_asa_s",
        "app_queue_asa_s",
    ):
        assert key in result
    assert result["ours_answered"] == 4
    assert result["app_queue_answered"] == 4
    assert result["ours_free_to_ring_ms_p50"] is not None
