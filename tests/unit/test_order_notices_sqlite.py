"""The order-notice contract (tests/order_notices_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.order_notices_contract import OrderNoticesContract


class TestSqliteOrderNotices(OrderNoticesContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'notices.db'}"
