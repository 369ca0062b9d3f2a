"""The 110 linkage's use cases: hand an order off to 110, receive a transfer from 110.

Synchronous and short (the HTTP layer runs them in worker threads). What 110 receives about the caller
follows ``Linkage110Settings.caller_entitled``: by default the number masked and no name (110 is not
entitled to more until the centre's agreement says so); entitled, the full name and number, with the
confidential flag so 110 keeps them confidential too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from linkage110 import outbox, transfers
from linkage110.schemas import HandoffCaller, HandoffIn, HandoffOrder, HandoffState, TransferAck, TransferIn
from linkage110.settings import Linkage110Settings
from privacy.masking import mask_number
from tickets.rows import WorkOrderRow
from tickets.service import TicketService

__all__ = ["Linkage110", "handoff_payload"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def handoff_payload(
    order: WorkOrderRow, *, key: str, reason: str, actor: str, entitled: bool, now: datetime
) -> dict[str, Any]:
    """The JSON body handing ``order`` off to 110."""
    caller = order.caller
    body = HandoffIn(
        idempotency_key=key,
        order=HandoffOrder(
            number=order.number,
            created_at=order.created_at,
            caller=HandoffCaller(
                name=caller.name if entitled else "",
                number=caller.number if entitled else mask_number(caller.number),
                masked=not entitled,
                confidential=caller.confidential,
            ),
            address=order.address,
            content=order.content,
            matter=order.matter,
            category=order.category,
            category_label=order.category.label,
            urgency=order.urgency,
            urgency_label=order.urgency.label,
        ),
        reason=reason,
        sent_by=actor,
        sent_at=now,
    )
    return body.model_dump(mode="json")


@dataclass
class Linkage110:
    """Hand-offs and transfers over the orders of ``tickets``."""

    tickets: TicketService
    settings: Linkage110Settings = field(default_factory=Linkage110Settings)
    clock: Callable[[], datetime] = _utc_now
    on_handoff: Callable[[], None] = lambda: None

    def hand_off(self, number: str, *, actor: str, reason: str) -> tuple[HandoffState, bool]:
        """Store the hand-off of order ``number`` for the sender; ``(state, new)``."""
        order = self.tickets.get(number)
        now = self.clock()

        def payload_for(key: str) -> dict[str, Any]:
            entitled = self.settings.caller_entitled
            return handoff_payload(order, key=key, reason=reason, actor=actor, entitled=entitled, now=now)

        key = f"12345-{uuid.uuid4().hex}"
        state, new = outbox.enqueue(
            self.tickets.sessions,
            order=order,
            payload_for=payload_for,
            key=key,
            actor=actor,
            reason=reason,
            now=now,
        )
        if new:
            self.on_handoff()
        return state, new

    def handoffs(self, number: str) -> list[HandoffState]:
        """The hand-offs of order ``number`` (``TicketNotFoundError`` for an unknown order)."""
        self.tickets.get(number)
        return outbox.handoffs_of(self.tickets.sessions, number=number)

    def receive(self, transfer: TransferIn) -> tuple[TransferAck, bool]:
        """Apply a transfer from 110 once; ``(acknowledgement, applied now)``."""
        now = self.clock()

        def create(order: Any) -> WorkOrderRow:
            return self.tickets.create(order, created_by=transfers.CREATED_BY, now=now)

        return transfers.receive_transfer(self.tickets.sessions, transfer, create=create, now=now)
