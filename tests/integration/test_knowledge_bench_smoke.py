"""The knowledge-search benchmark still runs end to end on PostgreSQL at a tiny size."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


def test_knowledge_bench_prints_its_figures() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.knowledge_search", "--entries", "500", "--queries", "20"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=170,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert {"entries", "p50_ms", "p95_ms", "baseline_ms"} <= set(result)
    assert result["entries"] == 500
    assert result["queries"] == 20
    assert result["mean_hits"] > 0, "the generated queries find entries"
    assert 0 < result["p50_ms"] <= result["p95_ms"]
