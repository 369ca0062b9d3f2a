"""Text messages: the pluggable gateway interface and the default gateway, which keeps an outbox.

``SmsGateway`` is what the centre sends through: ``send(number, text)`` returns the message id. No SMS
vendor is assumed: ``OutboxGateway`` stores every message in ``sms_outbox`` (status ``stored``), where
admins read it (``GET /api/sms/outbox``) and a vendor integration can pick it up. A vendor gateway
implements the same protocol (it may ignore ``kind`` and ``order_number``, which only label the message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tickets.errors import TicketValidationError
from tickets.sms_models import MAX_TEXT, SmsMessage

MAX_LIST = 500
MAX_NUMBER = 32


class SmsGateway(Protocol):
    """Sends one text message; the message id (a vendor's id, or the outbox row id)."""

    def send(self, number: str, text: str, *, kind: str = "", order_number: str | None = None) -> str:
        """Send ``text`` to ``number`` (``kind``/``order_number`` label what it is about)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """One stored message as admins read it."""

    id: int
    to: str
    text: str
    kind: str
    order_number: str | None
    created_at: datetime
    status: str


def _row(m: SmsMessage) -> OutboxRow:
    return OutboxRow(
        id=m.id,
        to=m.to_number,
        text=m.text,
        kind=m.kind,
        order_number=m.order_number,
        created_at=m.created_at,
        status=m.status,
    )


def check_message(number: str, text: str) -> None:
    """A ``TicketValidationError`` for an empty or overlong number or text."""
    if not number or len(number) > MAX_NUMBER:
        raise TicketValidationError("sms_number_invalid", "SMS number empty or too long", number=number)
    if not text or len(text) > MAX_TEXT:
        raise TicketValidationError("sms_text_invalid", f"the SMS text must have 1-{MAX_TEXT} characters")


@dataclass(frozen=True, slots=True)
class OutboxGateway:
    """The default gateway: every message becomes a ``stored`` row of ``sms_outbox``."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def send(self, number: str, text: str, *, kind: str = "", order_number: str | None = None) -> str:
        """Store the message; its row id as the message id."""
        check_message(number, text)
        message = SmsMessage(
            to_number=number,
            text=text,
            kind=kind[:32],
            order_number=order_number,
            created_at=self.clock(),
            status="stored",
        )
        with self.sessions.begin() as s:
            s.add(message)
            s.flush()
            return str(message.id)

    def outbox(
        self, *, order_number: str | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        """Stored messages, newest first (``before_id`` pages on; ``order_number`` filters)."""
        stmt = select(SmsMessage).order_by(SmsMessage.id.desc()).limit(max(1, min(limit, MAX_LIST)))
        if order_number is not None:
            stmt = stmt.where(SmsMessage.order_number == order_number)
        if before_id is not None:
            stmt = stmt.where(SmsMessage.id < before_id)
        with self.sessions() as s:
            return [_row(m) for m in s.scalars(stmt)]
