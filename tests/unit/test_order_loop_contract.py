"""The order-loop contracts on SQLite: tests/order_loop_contract.py, order_loop_centre_contract.py and
duplicates_contract.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.duplicates_contract import DuplicatesContract
from tests.order_loop_centre_contract import OrderLoopCentreContract
from tests.order_loop_contract import OrderLoopContract


class TestSqliteOrderLoop(OrderLoopContract, OrderLoopCentreContract, DuplicatesContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'loop.db'}"
