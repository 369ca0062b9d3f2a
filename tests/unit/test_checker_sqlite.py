"""The deadline checker's contract (tests/checker_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checker_contract import CheckerContract
from tests.checker_marks_contract import CheckerMarksContract


class TestSqliteChecker(CheckerContract, CheckerMarksContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'checker.db'}"
