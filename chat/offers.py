"""Chat offers to agents' desktops, and what every part of the chat layer shares.

An offer is ``pending`` from the moment the agent's desktops are told (``chat_offer``) until the agent
accepts, declines or lets it lapse (``offer_timeout_s``; then ``chat_offer_withdrawn``). The first
chat of an agent is offered by the ACD (``offer_chat``); further ones, for agents already on chats, by
``top_up`` (chat.router), which runs after every chat event and every ``run`` round. A lapsed first
offer goes back to the ACD as OfferFailed (the agent pauses "no answer", as for a call); a lapsed or
declined further offer is only not made to that agent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from acd.commands import OfferCall
from acd.events import OfferFailed
from acd.service import AcdService
from agent_desktop.hub import DesktopHub
from agent_desktop.protocol import server_frame
from chat import store
from chat.errors import not_found
from chat.figures import chat_figures
from chat.router import pick_joins
from hotline.bus import EventBus
from hotline.db.access import Sessions

log = logging.getLogger(__name__)

CitizenSend = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class Pending:
    """A chat offered to an agent and not yet answered."""

    agent_id: str
    join: bool
    timer: asyncio.TimerHandle | None = None


@dataclass
class OfferDesk:
    """The chat layer's state and its offers (chat.service adds the citizens' and agents' actions)."""

    sessions: Sessions
    acd: AcdService
    hub: DesktopHub
    limit: int = 3
    offer_timeout_s: float = 30.0
    token_ttl_s: float = 4 * 3600.0
    clock: Callable[[], float] = time.time
    pending: dict[str, Pending] = field(default_factory=dict)
    declined: dict[str, frozenset[str]] = field(default_factory=dict)
    citizens: dict[str, set[CitizenSend]] = field(default_factory=dict)
    bus: EventBus | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def _db(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, self.sessions, **kwargs)

    async def session(self, session_id: str) -> store.SessionRow:
        """The chat ``session_id`` as stored now, or ChatError."""
        row: store.SessionRow | None = await self._db(store.get_session, session_id=session_id)
        if row is None:
            raise not_found(session_id)
        return row

    async def to_citizen(self, session_id: str, frame: dict[str, Any]) -> None:
        """Send ``frame`` to every open socket of the chat's citizen."""
        for send in tuple(self.citizens.get(session_id, ())):
            with contextlib.suppress(Exception):  # a socket that is gone is detached by its handler
                await send(frame)

    def to_agent(self, agent_id: str, kind: str, **fields: Any) -> int:
        """Send a desktop frame to every desktop of ``agent_id``."""
        return self.hub.send_to_user(agent_id, server_frame(kind, **fields))

    async def offer_chat(self, offer: OfferCall) -> None:
        """The ACD offers the chat to an available idle agent: show it on their desktops."""
        self._offer(offer.call_id, offer.agent_id, join=False, waited_s=offer.waited_s, queue=offer.queue)

    def _offer(self, session_id: str, agent_id: str, *, join: bool, waited_s: float, queue: str) -> None:
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.offer_timeout_s, self._lapse, session_id, agent_id)
        old = self.pending.pop(session_id, None)
        if old is not None and old.timer is not None:
            old.timer.cancel()
        self.pending[session_id] = Pending(agent_id, join, timer)
        chat = {"session_id": session_id, "queue": queue, "waited_s": round(waited_s, 1), "join": join}
        self.to_agent(agent_id, "chat_offer", chat=chat)

    def _lapse(self, session_id: str, agent_id: str) -> None:
        pending = self.pending.get(session_id)
        if pending is None or pending.agent_id != agent_id:
            return
        self._withdraw(session_id, "timeout")
        if pending.join:
            self.declined[session_id] = self.declined.get(session_id, frozenset()) | {agent_id}
        else:
            self.acd.submit_quietly(OfferFailed(session_id, agent_id, reason="chat_not_accepted"))
        self.top_up()

    def _withdraw(self, session_id: str, reason: str) -> None:
        pending = self.pending.pop(session_id, None)
        if pending is not None:
            if pending.timer is not None:
                pending.timer.cancel()
            self.to_agent(pending.agent_id, "chat_offer_withdrawn", session_id=session_id, reason=reason)

    def top_up(self) -> None:
        """Offer waiting chats to agents already on chats with room under the limit (chat.router)."""
        engine = self.acd.engine
        joins = pick_joins(
            agents=engine.store.iter_agents(),
            calls=engine.store.iter_calls(),
            limit=self.limit,
            pending={sid: p.agent_id for sid, p in self.pending.items()},
            declined=self.declined,
            entry_tiers=engine.routing.entry_tiers,
        )
        now = self.clock()
        for join in joins:
            call = engine.store.get_call(join.call_id)
            if call is not None:
                self._offer(
                    join.call_id, join.agent_id, join=True, waited_s=now - call.entered_at, queue=call.queue
                )

    async def run(self, every_s: float = 2.0) -> None:
        """Offer further chats regularly too (an agent on chats coming back from a pause, or a chat
        reaching a wider tier of its queue, triggers no chat event), and publish the chat figures
        (``queue.chats``, to supervisors) when they changed."""
        last: object = None
        while True:
            await asyncio.sleep(every_s)
            try:
                self.top_up()
                figures = await asyncio.to_thread(chat_figures, self.sessions, self.acd.engine, self.clock())
            except Exception:  # the next round tries again; a store outage must not end the loop
                log.exception("chat round failed")
                continue
            if self.bus is not None and figures != last:
                last = figures
                self.bus.publish(
                    "queue.chats",
                    {
                        "channel": figures["channel"],
                        "since": figures["since"],
                        "queues": figures["queues"],
                        "at": self.clock(),
                    },
                )

    async def chat_view(self, session_id: str) -> dict[str, Any]:
        """A chat with its whole history, as pages show it."""
        row = await self._db(store.get_session, session_id=session_id)
        if row is None:
            raise not_found(session_id)
        messages = await self._db(store.messages, session_id=session_id)
        return {
            "session_id": row.session_id,
            "queue": row.queue,
            "phone": row.phone,
            "state": row.state,
            "queued_at": row.queued_at.isoformat(),
            "order_number": row.order_number,
            "messages": [m.public() for m in messages],
        }
