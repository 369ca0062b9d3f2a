"""A message left in the IVR becomes a work order at intake, on a real SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from tickets import repository as tickets_repo
from tickets.intake import MessageIntake, order_from_message
from tickets.service import TicketService


def test_given_callback_request_when_converted_then_phone_only_help_order_linked_to_call() -> None:
    order = order_from_message(
        {
            "call_id": "c-1",
            "caller": "13800138000",
            "path": "/rec/c-1.wav",
            "recorded": True,
            "callback": True,
            "tags": ["elderly"],
        }
    )
    assert (order.call_id, order.caller.number, order.matter) == ("c-1", "13800138000", "留言回拨")
    assert order.caller.contact_preference == "phone_only"
    assert order.caller.special_group == "elderly"
    assert "/rec/c-1.wav" in order.content
    assert "回拨" in order.content


async def test_given_message_event_when_published_then_work_order_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    bus = EventBus()
    intake = MessageIntake(bus=bus, tickets=TicketService(sessions=sessions))
    task = asyncio.create_task(intake.run())
    try:
        bus.publish(
            "call.message",
            {
                "call_id": "c-2",
                "caller": "13900139000",
                "path": "",
                "recorded": False,
                "callback": False,
                "tags": [],
                "at": 0.0,
            },
        )
        for _ in range(100):
            if intake.created:
                break
            await asyncio.sleep(0.02)
        orders = tickets_repo.list_work_orders(sessions, caller_number="13900139000")
        assert [(o.call_id, o.status, o.created_by) for o in orders] == [("c-2", "intake", "ivr")]
        assert "请回拨" in orders[0].content
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()
