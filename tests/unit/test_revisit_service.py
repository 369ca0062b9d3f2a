"""The revisit contract (tests/revisit_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.revisit_contract import RevisitContract

pytestmark = pytest.mark.timeout(60)


class TestSqliteRevisits(RevisitContract):
    """Every revisit contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'revisit.db'}"
