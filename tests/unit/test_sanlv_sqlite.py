"""The 三率 contract (tests/sanlv_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sanlv_contract import SanlvContract


class TestSqliteSanlv(SanlvContract):
    """Every 三率 contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'sanlv.db'}"
