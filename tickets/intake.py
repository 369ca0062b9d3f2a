"""Messages left in the IVR become work orders (留言转工单), with the callback the caller asked for.

Listens to ``call.message`` on the bus. Each message opens an order at intake, linked to the call and
its recording; the agent who reviews it classifies it (the order stays amendable at intake). A database
that is briefly unavailable delays the order, it does not lose it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from hotline.bus import EventBus
from privacy.masking import mask_number
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.service import TicketService
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup

log = logging.getLogger(__name__)

CREATED_BY = "ivr"


def order_from_message(message: Mapping[str, Any]) -> NewWorkOrder:
    """The intake order for one recorded message."""
    callback = bool(message.get("callback"))
    tags = set(message.get("tags") or ())
    lines = ["来电留言（待分类）。"]
    if message.get("path"):
        lines.append(f"录音文件：{message['path']}。")
    if not message.get("recorded"):
        lines.append("录音为空或未保存，请回拨了解诉求。")
    if callback:
        lines.append("市民要求回拨。")
    return NewWorkOrder(
        caller=Caller(
            name="",
            number=str(message.get("caller") or "unknown")[:32],
            contact_preference=ContactPreference.PHONE_ONLY if callback else ContactPreference.ANY,
            special_group=SpecialGroup.ELDERLY if "elderly" in tags else SpecialGroup.NONE,
            confidential="confidential" in tags,
        ),
        channel=Channel.PHONE,
        category=Category.HELP,
        matter="留言回拨" if callback else "留言",
        content="".join(lines),
        elements=FiveElements(),
        call_id=str(message.get("call_id") or "") or None,
    )


class MessageIntake:
    """Creates a work order for every ``call.message`` event."""

    def __init__(self, *, bus: EventBus, tickets: TicketService) -> None:
        self._tickets = tickets
        self._sub = bus.subscribe("call.message", maxsize=100_000)
        self.created = 0

    async def run(self) -> None:
        """Turn messages into orders until cancelled."""
        try:
            while True:
                event = await self._sub.get()
                if event.topic == "call.message":
                    await self._create(event.data)
        finally:
            self._sub.close()

    async def _create(self, message: Mapping[str, Any]) -> None:
        order = order_from_message(message)
        delay = 0.1
        while True:
            try:
                row = await asyncio.to_thread(self._tickets.create, order, created_by=CREATED_BY)
            except SQLAlchemyError as exc:
                log.warning("work order for message %s delayed: %s", message.get("call_id"), exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.created += 1
            log.info("message from %s became work order %s", mask_number(order.caller.number), row.number)
            return
