"""Chat offers to agents' desktops, and what every part of the chat layer shares.

An offer is ``pending`` from the moment the agent's desktops are told (``chat_offer``) until the agent
accepts, declines or lets it lapse (``offer_timeout_s``; then ``chat_offer_withdrawn``). The first
chat of an agent is offered by the ACD (``offer_chat``); further ones, for agents already on chats, by
``top_up`` (chat.router), which runs after every chat event and every ``run`` round. A lapsed first
offer goes back to the ACD as OfferFailed (the agent pauses "no answer", as for a call); a lapsed or
declined further offer is only not made to that agent again.

Several app nodes: open offers live where every node sees them (chat.pending_offers, in Redis), so an
offer made by one node's ACD is accepted through another; the lapse timer runs on the node that made
the offer and lapses it only if it is still that offer (an accept elsewhere took it first). Frames to a
citizen's socket or an agent's desktop go to the sockets on this node and, through chat.fanout, to
those on the other nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
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
from chat.fanout import ChatFanout
from chat.figures import chat_figures
from chat.pending_offers import MemoryPendingOffers, Offer, PendingOffers
from chat.router import pick_joins
from hotline.bus import EventBus
from hotline.db.access import Sessions

log = logging.getLogger(__name__)

CitizenSend = Callable[[dict[str, Any]], Awaitable[None]]


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
    offers: PendingOffers | None = None
    fanout: ChatFanout | None = None
    citizens: dict[str, set[CitizenSend]] = field(default_factory=dict)
    bus: EventBus | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.offers is None:
            self.offers = MemoryPendingOffers(self.clock)

    @property
    def pending(self) -> PendingOffers:
        """The open offers (every node's)."""
        assert self.offers is not None  # set in __post_init__
        return self.offers

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def _db(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, self.sessions, **kwargs)

    def spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        """Run ``coro`` in the background, kept until it ends (failures are logged)."""
        task = asyncio.get_running_loop().create_task(_logged(coro))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def session(self, session_id: str) -> store.SessionRow:
        """The chat ``session_id`` as stored now, or ChatError."""
        row: store.SessionRow | None = await self._db(store.get_session, session_id=session_id)
        if row is None:
            raise not_found(session_id)
        return row

    async def to_citizen(self, session_id: str, frame: dict[str, Any]) -> None:
        """Send ``frame`` to every open socket of the chat's citizen, on any node."""
        if self.fanout is not None:
            self.fanout.send("citizen", session_id, frame)
        await self._to_citizen_here(session_id, frame)

    async def _to_citizen_here(self, session_id: str, frame: dict[str, Any]) -> None:
        for send in tuple(self.citizens.get(session_id, ())):
            with contextlib.suppress(Exception):  # a socket that is gone is detached by its handler
                await send(frame)

    def to_agent(self, agent_id: str, kind: str, **fields: Any) -> int:
        """Send a desktop frame to every desktop of ``agent_id`` on any node; how many are on this one."""
        frame = server_frame(kind, **fields)
        if self.fanout is not None:
            self.fanout.send("agent", agent_id, frame)
        return self.hub.send_to_user(agent_id, frame)

    async def offer_chat(self, offer: OfferCall) -> None:
        """The ACD offers the chat to an available idle agent: show it on their desktops."""
        await self._offer(
            offer.call_id, offer.agent_id, join=False, waited_s=offer.waited_s, queue=offer.queue
        )

    async def _offer(
        self, session_id: str, agent_id: str, *, join: bool, waited_s: float, queue: str
    ) -> None:
        offer = Offer(agent_id, join, secrets.token_hex(8), self.clock() + self.offer_timeout_s)
        if not await self.pending.put(session_id, offer, only_new=join):
            return  # another node offered it meanwhile
        loop = asyncio.get_running_loop()
        self.timers[offer.offer_id] = loop.call_later(
            self.offer_timeout_s, self._lapse_later, session_id, offer.offer_id
        )
        chat = {"session_id": session_id, "queue": queue, "waited_s": round(waited_s, 1), "join": join}
        self.to_agent(agent_id, "chat_offer", chat=chat)

    def _lapse_later(self, session_id: str, offer_id: str) -> None:
        self.timers.pop(offer_id, None)
        self.spawn(self._lapse(session_id, offer_id=offer_id))

    async def _lapse(
        self, session_id: str, *, agent_id: str | None = None, offer_id: str | None = None
    ) -> bool:
        """The offer named ends unanswered; False when it is no longer open."""
        offer = await self.pending.take(session_id, agent_id=agent_id, offer_id=offer_id)
        if offer is None:
            return False
        self._stop_timer(offer.offer_id)
        self.to_agent(offer.agent_id, "chat_offer_withdrawn", session_id=session_id, reason="timeout")
        if offer.join:
            await self.pending.decline(session_id, offer.agent_id)
        else:
            self.acd.submit_quietly(OfferFailed(session_id, offer.agent_id, reason="chat_not_accepted"))
        await self.top_up()
        return True

    def _stop_timer(self, offer_id: str) -> None:
        timer = self.timers.pop(offer_id, None)
        if timer is not None:
            timer.cancel()

    async def _withdraw(self, session_id: str, reason: str) -> None:
        offer = await self.pending.take(session_id)
        if offer is not None:
            self._stop_timer(offer.offer_id)
            self.to_agent(offer.agent_id, "chat_offer_withdrawn", session_id=session_id, reason=reason)

    async def top_up(self) -> None:
        """Offer waiting chats to agents already on chats with room under the limit (chat.router)."""
        engine = self.acd.engine
        pending = await self.pending.all()
        joins = pick_joins(
            agents=engine.store.iter_agents(),
            calls=engine.store.iter_calls(),
            limit=self.limit,
            pending={sid: offer.agent_id for sid, offer in pending.items()},
            declined=await self.pending.declined(),
            entry_tiers=engine.routing.entry_tiers,
        )
        now = self.clock()
        for join in joins:
            call = engine.store.get_call(join.call_id)
            if call is not None:
                await self._offer(
                    join.call_id, join.agent_id, join=True, waited_s=now - call.entered_at, queue=call.queue
                )

    async def run(self, every_s: float = 2.0) -> None:
        """Offer further chats regularly too (an agent on chats coming back from a pause, or a chat
        reaching a wider tier of its queue, triggers no chat event), publish the chat figures
        (``queue.chats``, to supervisors) when they changed, and (several nodes) carry chat frames
        from and to the other nodes."""
        linking = None
        if self.fanout is not None:
            linking = asyncio.create_task(
                self.fanout.run(to_citizen=self._to_citizen_here, to_agent=self.hub.send_to_user)
            )
        try:
            await self._rounds(every_s)
        finally:
            if linking is not None:
                linking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await linking
            for timer in self.timers.values():
                timer.cancel()

    async def _rounds(self, every_s: float) -> None:
        last: object = None
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.top_up()
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


async def _logged(coro: Coroutine[Any, Any, object]) -> None:
    try:
        await coro
    except Exception:
        log.exception("chat background work failed")
