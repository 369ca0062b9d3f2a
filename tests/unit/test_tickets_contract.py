"""The work-order and knowledge repository contract (tests/tickets_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge_contract import KnowledgeContract
from tests.request_keys_contract import RequestKeysContract
from tests.tickets_contract import TicketsContract


class TestSqliteTickets(TicketsContract, KnowledgeContract, RequestKeysContract):
    """Every contract test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'tickets.db'}"
