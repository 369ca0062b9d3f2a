"""The chat layer: citizens' chats through the ACD to agents' desktops, messages both ways, records.

A chat session is created with a short-lived token (``start``) and queued in the ACD as a call tagged
``chat`` whose call id is the session id (acd.chats). The ACD's offer reaches the agent's desktops
as a ``chat_offer`` frame; more chats for an agent already on chats are offered by ``top_up`` (offers
and their lapsing: chat.offers). The agent accepts over HTTP (``accept``): OfferAnswered, or
ChatJoined for a further chat. Every message is stored before it is forwarded, so a page that reloads
reads the whole history back (``chat_view``, ``agent_chats``). Receipts: the reading side
acknowledges the last sequence number it showed (``delivered``), the sending side gets a
``receipt``. Everything runs on the event loop; database work goes to a worker thread.

With several app nodes any node may serve any request of a chat: sessions and messages are in the
database, open offers in Redis and frames reach the sockets on the other nodes (chat.offers).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from acd.commands import ExitCall
from acd.errors import AcdError
from acd.events import (
    CallAbandoned,
    CallbackCancelled,
    CallQueued,
    ChatFinished,
    ChatJoined,
    OfferAnswered,
)
from acd.model import CHAT_TAG
from chat import store
from chat.errors import ChatError, not_yours
from chat.offers import CitizenSend, OfferDesk

log = logging.getLogger(__name__)

QUEUE_ALIASES = {"sign_language": "accessibility"}
"""Queues a page may ask for by their channel's name: the sign-language page's chats wait for signing
agents in the accessibility queue (which widens to general agents after its overflow step)."""
SYSTEM_NO_AGENT = "当前暂无坐席可以接待，请稍后再试，或拨打12345热线。"


@dataclass
class ChatService(OfferDesk):
    """Runs chats on this app node, with the other nodes of the centre (see the module docstring)."""

    # -- citizen side ----------------------------------------------------------------------------

    async def start(self, *, queue: str, phone: str | None) -> tuple[store.SessionRow, str]:
        """A new chat waiting in ``queue`` (or the default queue); (session, its token)."""
        session_id, token = f"chat-{secrets.token_hex(12)}", secrets.token_urlsafe(24)
        queue = QUEUE_ALIASES.get(queue, queue)
        if queue not in self.acd.engine.queues:
            known = sorted(self.acd.engine.queues)
            raise ChatError("unknown_queue", f"no queue {queue}", status_code=422, queue=queue, known=known)
        now = self._now()
        row = await self._db(
            store.create_session,
            session_id=session_id,
            token=token,
            queue=queue,
            phone=phone,
            now=now,
            expires_at=now + timedelta(seconds=self.token_ttl_s),
        )
        attrs = {"tags": CHAT_TAG}
        self.acd.submit(CallQueued(session_id, queue, phone or "", f"{CHAT_TAG}/{session_id}", attrs=attrs))
        await self.top_up()
        return row, token

    async def by_token(self, token: str) -> store.SessionRow | None:
        """The unexpired session of a citizen's token."""
        row: store.SessionRow | None = await self._db(store.session_by_token, token=token)
        if row is None or row.expires_at <= self._now():
            return None
        return row

    def attach(self, session_id: str, send: CitizenSend) -> None:
        """A citizen's socket for ``session_id`` opened."""
        self.citizens.setdefault(session_id, set()).add(send)

    def detach(self, session_id: str, send: CitizenSend) -> None:
        """A citizen's socket closed (the chat goes on: the page may come back)."""
        links = self.citizens.get(session_id)
        if links is not None:
            links.discard(send)
            if not links:
                del self.citizens[session_id]

    def position(self, session_id: str) -> tuple[int, float] | None:
        """(place in line, estimated wait) while the chat waits, else None."""
        try:
            return self.acd.engine.position(session_id)
        except AcdError:
            return None

    async def citizen_message(
        self, row: store.SessionRow, body: str, client_id: str | None
    ) -> store.MessageRow:
        """Store and forward a citizen's message."""
        if row.state == "ended":
            raise ChatError("chat_ended", "this chat has ended", session_id=row.session_id)
        message, new = await self._db(
            store.add_message,
            session_id=row.session_id,
            sender="citizen",
            body=body,
            now=self._now(),
            client_id=client_id,
        )
        current = await self._db(store.get_session, session_id=row.session_id)
        if new and current is not None and current.agent_id and current.state == "active":
            self.to_agent(
                current.agent_id, "chat_message", session_id=row.session_id, message=message.public()
            )
        return message  # type: ignore[no-any-return]

    # -- ACD side --------------------------------------------------------------------------------

    def chat_exited(self, command: ExitCall) -> None:
        """The chat reached its queue's maximum wait with nobody free: tell the citizen, end it."""
        if command.target_kind == "callback":
            self.acd.submit_quietly(CallbackCancelled(command.call_id))
        self.spawn(self._end_unserved(command.call_id))

    async def _end_unserved(self, session_id: str) -> None:
        message, _ = await self._db(
            store.add_message, session_id=session_id, sender="system", body=SYSTEM_NO_AGENT, now=self._now()
        )
        await self.to_citizen(session_id, {"type": "message", "message": message.public()})
        await self.end(session_id, by="system")

    # -- agent side ------------------------------------------------------------------------------

    async def accept(self, agent_id: str, session_id: str) -> dict[str, Any]:
        """The agent takes the chat offered to them; the chat with its history."""
        offer = await self.pending.take(session_id, agent_id=agent_id)
        if offer is None:
            raise _not_offered(session_id)
        self._stop_timer(offer.offer_id)
        event = ChatJoined(session_id, agent_id) if offer.join else OfferAnswered(session_id, agent_id)
        try:
            self.acd.submit(event)
        except AcdError as exc:
            self.to_agent(agent_id, "chat_offer_withdrawn", session_id=session_id, reason="taken")
            raise ChatError("chat_not_available", str(exc), session_id=session_id) from exc
        await self._db(store.answered, session_id=session_id, agent_id=agent_id, now=self._now())
        await self.to_citizen(session_id, {"type": "state", "state": "active"})
        await self.top_up()
        return await self.chat_view(session_id)

    async def decline(self, agent_id: str, session_id: str) -> None:
        """The agent turns the offer down: it goes to someone else (a first offer like a lapsed one)."""
        if not await self._lapse(session_id, agent_id=agent_id):
            raise _not_offered(session_id)

    async def agent_row(self, agent_id: str, session_id: str) -> store.SessionRow:
        """The active chat ``session_id`` of ``agent_id``, or ChatError."""
        row = await self.session(session_id)
        if row.agent_id != agent_id:
            raise not_yours(session_id)
        return row

    async def agent_message(
        self, agent_id: str, session_id: str, body: str, client_id: str | None
    ) -> store.MessageRow:
        """Store and forward an agent's message."""
        row = await self.agent_row(agent_id, session_id)
        if row.state != "active":
            raise ChatError("chat_ended", "this chat has ended", session_id=session_id)
        message, new = await self._db(
            store.add_message,
            session_id=session_id,
            sender="agent",
            body=body,
            now=self._now(),
            client_id=client_id,
            agent_id=agent_id,
        )
        if new:
            await self.to_citizen(session_id, {"type": "message", "message": message.public()})
        return message  # type: ignore[no-any-return]

    async def delivered(self, session_id: str, *, reader: str, up_to: int) -> None:
        """``reader`` (citizen or agent) showed the other side's messages up to ``up_to``."""
        sender = "agent" if reader == "citizen" else "citizen"
        marked = await self._db(
            store.mark_delivered, session_id=session_id, sender=sender, up_to=up_to, now=self._now()
        )
        if not marked:
            return
        if reader == "agent":
            await self.to_citizen(session_id, {"type": "receipt", "up_to": up_to})
        else:
            row = await self._db(store.get_session, session_id=session_id)
            if row is not None and row.agent_id:
                self.to_agent(row.agent_id, "chat_receipt", session_id=session_id, up_to=up_to)

    async def typing(self, session_id: str, *, who: str, typing: bool, agent_id: str | None = None) -> None:
        """Tell the other side that ``who`` is typing (or stopped)."""
        if who == "agent":
            await self.to_citizen(session_id, {"type": "typing", "typing": typing})
            return
        row = await self._db(store.get_session, session_id=session_id)
        if row is not None and row.agent_id and row.state == "active":
            self.to_agent(row.agent_id, "chat_typing", session_id=session_id, typing=typing)

    async def end(self, session_id: str, *, by: str) -> None:
        """End the chat (``by``: citizen, agent or system): out of the ACD, both sides told."""
        row = await self._db(store.ended, session_id=session_id, by=by, now=self._now())
        if row is None:
            return
        await self._withdraw(session_id, "ended")
        await self.pending.forget(session_id)
        if row.answered_at is not None and row.agent_id:
            others = await self._db(store.active_of, agent_id=row.agent_id)
            held = tuple(o.session_id for o in others)
            self.acd.submit_quietly(ChatFinished(session_id, still_held=held))
            self.to_agent(row.agent_id, "chat_ended", session_id=session_id, by=by)
        else:
            self.acd.submit_quietly(CallAbandoned(session_id))
        await self.to_citizen(session_id, {"type": "state", "state": "ended", "by": by})
        await self.top_up()

    async def agent_chats(self, agent_id: str) -> dict[str, Any]:
        """What a desktop needs after (re)loading: the agent's chats with history, and open offers."""
        rows = await self._db(store.active_of, agent_id=agent_id)
        offers = [
            {"session_id": sid, "join": offer.join}
            for sid, offer in (await self.pending.all()).items()
            if offer.agent_id == agent_id
        ]
        return {
            "chats": [await self.chat_view(r.session_id) for r in rows],
            "offers": offers,
            "limit": self.limit,
        }


def _not_offered(session_id: str) -> ChatError:
    return ChatError("chat_not_offered", f"chat {session_id} is not offered to you", session_id=session_id)
