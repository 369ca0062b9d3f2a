"""Data access for chats (chat.models): sessions, their messages, receipts and the transcript.

Plain synchronous functions with keyword-only arguments, run by the service in a worker thread. A
message is numbered in the same transaction that stores it (one more than the session's last); a
message whose sender already sent the same ``client_id`` in the session is not stored again, the
first copy is returned (``added`` False), so a page that resends after a lost connection loses nothing
and duplicates nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chat.models import ChatMessage, ChatSession
from hotline.db.access import Sessions, aware, writing


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One chat session as stored."""

    session_id: str
    queue: str
    phone: str | None
    state: str
    agent_id: str | None
    queued_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    outcome: str | None
    wait_seconds: float | None
    order_number: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One stored message."""

    seq: int
    sender: str
    agent_id: str | None
    client_id: str | None
    body: str
    sent_at: datetime
    delivered_at: datetime | None

    def public(self) -> dict[str, object]:
        """As sent to pages."""
        return {
            "seq": self.seq,
            "sender": self.sender,
            "client_id": self.client_id,
            "body": self.body,
            "sent_at": self.sent_at.isoformat(),
            "delivered": self.delivered_at is not None,
        }


def token_hash(token: str) -> str:
    """What is stored of a chat token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session(obj: ChatSession) -> SessionRow:
    return SessionRow(
        session_id=obj.session_id,
        queue=obj.queue,
        phone=obj.phone,
        state=obj.state,
        agent_id=obj.agent_id,
        queued_at=obj.queued_at,
        answered_at=obj.answered_at,
        ended_at=obj.ended_at,
        ended_by=obj.ended_by,
        outcome=obj.outcome,
        wait_seconds=obj.wait_seconds,
        order_number=obj.order_number,
        expires_at=obj.expires_at,
    )


def _message(obj: ChatMessage) -> MessageRow:
    return MessageRow(
        seq=obj.seq,
        sender=obj.sender,
        agent_id=obj.agent_id,
        client_id=obj.client_id,
        body=obj.body,
        sent_at=obj.sent_at,
        delivered_at=obj.delivered_at,
    )


def create_session(
    sm: Sessions,
    *,
    session_id: str,
    token: str,
    queue: str,
    phone: str | None,
    now: datetime,
    expires_at: datetime,
) -> SessionRow:
    """Store a new waiting chat."""
    with writing(sm) as s:
        obj = ChatSession(
            session_id=session_id,
            token_hash=token_hash(token),
            queue=queue,
            phone=phone,
            state="waiting",
            queued_at=aware(now, "now"),
            expires_at=aware(expires_at, "expires_at"),
        )
        s.add(obj)
        s.flush()
        return _session(obj)


def session_by_token(sm: Sessions, *, token: str) -> SessionRow | None:
    """The session of a citizen's chat token, or None."""
    with sm() as s:
        obj = s.scalar(select(ChatSession).where(ChatSession.token_hash == token_hash(token)))
        return None if obj is None else _session(obj)


def get_session(sm: Sessions, *, session_id: str) -> SessionRow | None:
    """The session, or None."""
    with sm() as s:
        obj = s.get(ChatSession, session_id)
        return None if obj is None else _session(obj)


def active_of(sm: Sessions, *, agent_id: str) -> list[SessionRow]:
    """The chats ``agent_id`` is handling now, oldest first."""
    with sm() as s:
        rows = s.scalars(
            select(ChatSession)
            .where(ChatSession.agent_id == agent_id, ChatSession.state == "active")
            .order_by(ChatSession.answered_at, ChatSession.session_id)
        )
        return [_session(o) for o in rows]


def answered(sm: Sessions, *, session_id: str, agent_id: str, now: datetime) -> None:
    """The chat was accepted by ``agent_id``."""
    now = aware(now, "now")
    with writing(sm) as s:
        obj = s.get(ChatSession, session_id)
        if obj is None or obj.state != "waiting":
            return
        obj.state, obj.agent_id, obj.answered_at, obj.outcome = "active", agent_id, now, "answered"
        obj.wait_seconds = max(0.0, (now - obj.queued_at).total_seconds())


def ended(sm: Sessions, *, session_id: str, by: str, now: datetime) -> SessionRow | None:
    """End the chat (``by``: citizen, agent, system); a chat nobody answered is abandoned."""
    now = aware(now, "now")
    with writing(sm) as s:
        obj = s.get(ChatSession, session_id)
        if obj is None or obj.state == "ended":
            return None
        if obj.state == "waiting":
            obj.outcome = "abandoned"
            obj.wait_seconds = max(0.0, (now - obj.queued_at).total_seconds())
        obj.state, obj.ended_at, obj.ended_by = "ended", now, by
        return _session(obj)


def attach_order(sm: Sessions, *, session_id: str, number: str) -> None:
    """Link the work order created from the chat."""
    with writing(sm) as s:
        s.execute(update(ChatSession).where(ChatSession.session_id == session_id).values(order_number=number))


def add_message(
    sm: Sessions,
    *,
    session_id: str,
    sender: str,
    body: str,
    now: datetime,
    client_id: str | None = None,
    agent_id: str | None = None,
) -> tuple[MessageRow, bool]:
    """Store a message; (the message, whether it is new). A repeated ``client_id`` returns the first."""
    for _ in range(5):
        try:
            with writing(sm) as s:
                if client_id is not None:
                    found = _by_client_id(s, session_id, sender, client_id)
                    if found is not None:
                        return _message(found), False
                last = s.scalar(select(func.max(ChatMessage.seq)).where(ChatMessage.session_id == session_id))
                obj = ChatMessage(
                    session_id=session_id,
                    seq=(last or 0) + 1,
                    sender=sender,
                    agent_id=agent_id,
                    client_id=client_id,
                    body=body,
                    sent_at=aware(now, "now"),
                )
                s.add(obj)
                s.flush()
                return _message(obj), True
        except IntegrityError:  # a concurrent message took the number (or the client id): again
            continue
    raise RuntimeError(f"could not number a message of chat {session_id}")


def _by_client_id(s: Session, session_id: str, sender: str, client_id: str) -> ChatMessage | None:
    return s.scalar(
        select(ChatMessage).where(
            ChatMessage.session_id == session_id,
            ChatMessage.sender == sender,
            ChatMessage.client_id == client_id,
        )
    )


def mark_delivered(sm: Sessions, *, session_id: str, sender: str, up_to: int, now: datetime) -> int:
    """Mark ``sender``'s messages up to ``up_to`` delivered; how many were newly marked."""
    with writing(sm) as s:
        result = s.execute(
            update(ChatMessage)
            .where(
                ChatMessage.session_id == session_id,
                ChatMessage.sender == sender,
                ChatMessage.seq <= up_to,
                ChatMessage.delivered_at.is_(None),
            )
            .values(delivered_at=aware(now, "now"))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def messages(sm: Sessions, *, session_id: str, after: int = 0) -> list[MessageRow]:
    """The session's messages after ``after``, in order."""
    with sm() as s:
        rows = s.scalars(
            select(ChatMessage)
            .where(ChatMessage.session_id == session_id, ChatMessage.seq > after)
            .order_by(ChatMessage.seq)
        )
        return [_message(o) for o in rows]
