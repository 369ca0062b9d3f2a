"""The decision benchmark runs (tiny sizes) and prints one JSON line per store with the agreed keys."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

KEYS = {
    "store",
    "agents",
    "waiting_calls",
    "decision_us_p50",
    "decision_us_p99",
    "assignments_per_s",
    "baseline_us_p50",
    "round_trips_per_decision",
}


def run_bench(*args: str) -> list[dict[str, object]]:
    """Run bench/acd_decisions.py --quick with ``args``; the parsed output lines."""
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "acd_decisions.py"), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_quick_bench_prints_one_json_line_per_store() -> None:
    (row,) = run_bench("--stores", "memory")
    assert set(row) == KEYS
    assert (row["store"], row["agents"], row["waiting_calls"]) == ("memory", 40, 200)
    for key in ("decision_us_p50", "decision_us_p99", "assignments_per_s", "baseline_us_p50"):
        value = row[key]
        assert isinstance(value, float)
        assert value > 0
    assert row["decision_us_p50"] <= row["decision_us_p99"]  # type: ignore[operator]
    assert row["round_trips_per_decision"] == 0.0
