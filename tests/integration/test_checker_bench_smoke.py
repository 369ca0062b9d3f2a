"""The deadline-checker benchmark still runs end to end on PostgreSQL at a tiny size."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


def test_checker_bench_prints_its_figures_and_a_second_pass_adds_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.deadline_checker", "--orders", "3000"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=170,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert {"orders", "pass_s", "baseline_s", "second_pass_s", "worst_case_pass_s"} <= set(result)
    assert result["orders"] == 3000
    assert result["overdue"] > 0
    assert result["due_soon"] > 0
    assert result["raised"]["sign_overdue"] > 0
    assert result["raised"]["dissatisfied"] == 30
    assert result["raised_again"] == 0
    # Realistic data: a minority of the limits is overdue; the worst case has nearly all of them.
    assert result["overdue"] < 3000 * 3 * 0.2 < result["worst_case_overdue"]
    assert result["worst_case_raised"] > 0
