"""The 三率 report benchmark still runs end to end on PostgreSQL at a tiny size."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


def test_sanlv_bench_prints_its_figures() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.sanlv", "--orders", "3000"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=170,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert {"orders", "history_rows", "month_report_s", "week_report_s", "baseline_s"} <= set(result)
    assert result["orders"] == 3000
    assert 0 < result["month_dispatched"] < 3000
    assert result["history_rows"] > 3000
