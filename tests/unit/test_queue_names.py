"""The live queue names the IVR and call control are given follow the ACD's configuration: a queue an
admin adds (AcdEngine.reconfigure) is known at once, one removed is gone, without a restart."""

from __future__ import annotations

from acd.engine import AcdEngine
from acd.model import QueueConfig
from acd.queue_names import QueueNames
from acd.store import MemoryStore


def test_names_follow_the_engine_as_its_queues_are_reconfigured() -> None:
    engine = AcdEngine(
        queues=[QueueConfig(name="general", skill="general"), QueueConfig(name="tax", skill="tax")],
        store=MemoryStore(),
    )
    names = QueueNames(engine)
    assert set(names) == {"general", "tax"}
    assert "heating" not in names
    engine.reconfigure(
        [QueueConfig(name="general", skill="general"), QueueConfig(name="heating", skill="heating")], now=0.0
    )
    assert "heating" in names
    assert "tax" not in names
    assert sorted(names) == ["general", "heating"]
    assert len(names) == 2
    assert frozenset(names) == {"general", "heating"}
