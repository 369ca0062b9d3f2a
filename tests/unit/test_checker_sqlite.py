"""The deadline checker's contract (tests/checker_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checker_contract import CheckerContract


class TestSqliteChecker(CheckerContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'checker.db'}"
