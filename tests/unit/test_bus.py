"""The event bus never blocks a publisher and tells a slow subscriber what it missed."""

from __future__ import annotations

from hotline.bus import EventBus


async def test_given_prefix_subscription_when_published_then_only_matching_topics_arrive() -> None:
    bus = EventBus()
    sub = bus.subscribe("agent.")
    bus.publish("call.changed", {"n": 1})
    bus.publish("agent.changed", {"n": 2})
    event = await sub.get()
    assert (event.topic, event.data["n"]) == ("agent.changed", 2)


async def test_given_full_subscriber_when_published_then_oldest_dropped_and_overflow_reported() -> None:
    bus = EventBus()
    sub = bus.subscribe(maxsize=3)
    for n in range(10):
        bus.publish("call.changed", {"n": n})
    received = [await sub.get() for _ in range(3)]
    topics = [e.topic for e in received]
    assert "bus.overflow" in topics
    assert received[-1].data["n"] == 9
    assert sub.dropped > 0


async def test_given_closed_subscription_when_published_then_nothing_queued() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    sub.close()
    bus.publish("x", {})
    assert bus.subscriber_count == 0
