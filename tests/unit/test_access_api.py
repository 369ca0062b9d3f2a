"""Who may see citizens' data (tests/access_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.access_contract import AccessContract

pytestmark = pytest.mark.timeout(60)


class TestSqliteAccess(AccessContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'access.db'}"
