"""The store contract on MemoryStore, plus what only the in-process store promises."""

from __future__ import annotations

import pytest

from acd.model import AgentStatus
from acd.store import AcdStore, MemoryStore
from tests.store_contract import StoreContract, ready


class TestMemoryContract(StoreContract):
    """Every contract test on a fresh MemoryStore."""

    @pytest.fixture
    def store(self) -> AcdStore:
        """An empty in-process store."""
        return MemoryStore()


def test_memory_store_returns_the_stored_object_and_accepts_it_back_changed() -> None:
    store = MemoryStore()
    store.put_agent(ready("a1", 1.0, tax=1))
    agent = store.get_agent("a1")
    assert agent is not None
    assert agent is store.get_agent("a1")
    agent.status = AgentStatus.PAUSED
    store.put_agent(agent)
    assert (agent.version, store.count_ready("tax")) == (2, 0)
