"""The KPI contract (tests/kpis_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kpis_contract import KpiContract

pytestmark = pytest.mark.timeout(60)


class TestKpisSqlite(KpiContract):
    """Every KPI contract test on a fresh SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """An empty SQLite database file."""
        return f"sqlite:///{tmp_path / 'kpis.db'}"
