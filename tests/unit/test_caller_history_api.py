"""The caller-history contract (tests/caller_history_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.caller_history_contract import CallerHistoryContract

pytestmark = pytest.mark.timeout(60)


class TestSqliteCallerHistory(CallerHistoryContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'history.db'}"
