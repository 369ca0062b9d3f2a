"""bench/reports.py at a tiny size, so it cannot rot: it fills a scratch PostgreSQL database, times the
KPI queries and the reports, prints the issue's JSON fields and drops the database."""

from __future__ import annotations

import json

import pytest

from bench import reports
from bench.report_data import database_exists

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

FIELDS = {"rows", "kpi_query_ms_p95", "daily_report_ms", "monthly_report_ms"}


def test_given_a_tiny_volume_then_the_bench_prints_its_fields_and_drops_its_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--calls", "3000", "--states", "3000", "--agents", "3", "--queries", "4", "--repeat", "1"]
    assert reports.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= FIELDS
    assert result["rows"] == 3000
    assert result["agent_state_rows"] > 0
    assert result["call_event_rows"] > result["rows"]
    assert result["monthly_offered"] > 0
    assert result["monthly_agent_answered"] > 0
    assert all(result[f] > 0 for f in FIELDS - {"rows"})
    assert not database_exists(f"postgresql://localhost/{result['database']}")
