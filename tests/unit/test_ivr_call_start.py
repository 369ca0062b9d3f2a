"""The IVR's per-call reads contract (tests/call_start_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.call_start_contract import CallStartContract


class TestSqliteCallStart(CallStartContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh, empty database."""
        return f"sqlite:///{tmp_path / 'hotline.db'}"
