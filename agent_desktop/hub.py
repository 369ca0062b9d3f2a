"""Open desktop connections, grouped by user, and what each one is sent.

One bus subscription serves every connection: each event is encoded once and routed to the agent it is
about (all of that agent's tabs) and to every supervisor. Each connection has its own outbound queue and
writer task, so a slow browser delays only itself; when its queue overflows it loses the oldest frames
and is told to resynchronise. A connection lives as long as its session: when its token is revoked
(sign-out, user changed) or expires, it is asked to close (:meth:`Connection.end`). Screen-pops are
delivered directly and awaited (the ACD rings the phone only after the offer frame was written). A
call tagged ``confidential`` (by the IVR or a caller profile) reaches agents with the caller number
masked (``138****8000``); supervisors and admins see it in full.

With several app nodes (agent_desktop.cross_node) the hub also routes the events other nodes relayed,
and a ``bus.relay_gap`` (events from other nodes may be lost) asks every desktop to resynchronise.
Offers reach desktops only through :meth:`DesktopHub.deliver_offer` (called by the deciding node, or
on its request), never through routing, so a desktop gets each offer exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from agent_desktop.auth import Principal, Role
from agent_desktop.protocol import server_frame
from hotline.bus import RELAY_GAP, BusEvent, EventBus
from privacy.masking import is_confidential as is_confidential_attrs
from privacy.masking import mask_number

log = logging.getLogger(__name__)

SendText = Callable[[str], Awaitable[None]]
PresenceListener = Callable[[str, int], None]
Outbound = tuple[str, "asyncio.Future[bool] | None"]


def is_confidential(call: dict[str, object]) -> bool:
    """Whether a call (offer payload or agent-view call) carries the ``confidential`` tag."""
    return is_confidential_attrs(call.get("ivr"))


def masked_call(call: dict[str, object]) -> dict[str, object]:
    """The call as an agent may see it: the caller number masked when the call is confidential."""
    if not is_confidential(call):
        return call
    caller = call.get("caller")
    return {**call, "caller": mask_number(caller) if isinstance(caller, str) else caller, "masked": True}


def encode(frame: dict[str, Any]) -> str:
    """A frame as JSON text."""
    return json.dumps(frame, ensure_ascii=False)


class Connection:
    """One websocket of one user, with its outbound queue."""

    def __init__(
        self, principal: Principal, send_text: SendText, *, token: str = "", maxsize: int = 1000
    ) -> None:
        self.principal = principal
        self.token = token
        self._send_text = send_text
        self._queue: asyncio.Queue[Outbound] = asyncio.Queue(maxsize=max(maxsize, 4))
        self.closed = False
        self.dropped = 0
        self.ended = asyncio.Event()
        self.end_reason = ""

    def end(self, reason: str) -> None:
        """Send nothing more and ask the socket to close: its session ended (``reason``: expired,
        revoked, user changed)."""
        if not self.ended.is_set():
            self.end_reason = reason
            self.ended.set()
        self.close()

    @property
    def supervising(self) -> bool:
        """Supervisors and admins see every agent, call and queue event."""
        return self.principal.may(Role.SUPERVISOR, Role.ADMIN)

    def enqueue(self, text: str, done: asyncio.Future[bool] | None = None) -> None:
        """Queue a frame for sending, dropping the oldest one (and asking for a resync) when full."""
        if self.closed:
            if done is not None and not done.done():
                done.set_result(False)
            return
        if self._queue.qsize() >= self._queue.maxsize - 1:
            self._drop_oldest(2)
            resync = encode(server_frame("resync_needed", dropped=self.dropped))
            self._queue.put_nowait((resync, None))
        self._queue.put_nowait((text, done))

    def _drop_oldest(self, count: int) -> None:
        for _ in range(min(count, self._queue.qsize())):
            _, lost = self._queue.get_nowait()
            if lost is not None and not lost.done():
                lost.set_result(False)
            self.dropped += 1

    async def send(self, frame: dict[str, Any]) -> bool:
        """Queue one frame and wait until it is written; False when the socket is gone."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.enqueue(encode(frame), done)
        return await done

    async def run_writer(self) -> None:
        """Write queued frames until the connection closes."""
        while True:
            text, done = await self._queue.get()
            try:
                await self._send_text(text)
            except Exception:  # any transport failure means the peer is gone
                self.close()
                if done is not None and not done.done():
                    done.set_result(False)
                return
            if done is not None and not done.done():
                done.set_result(True)

    def close(self) -> None:
        """Mark closed and release everyone waiting on a queued frame."""
        self.closed = True
        while not self._queue.empty():
            _, done = self._queue.get_nowait()
            if done is not None and not done.done():
                done.set_result(False)


NODE_LOCAL_TOPICS = frozenset({"queue.figures", "queue.kpis", "queue.chats"})
"""Topics every app node publishes for its own desktops (computed from shared state): relayed copies
from other nodes are not forwarded."""


class Addressed(dict[str, Any]):
    """Event data for some supervising users only (``to``: their user ids): the hub sends it to their
    supervisor and admin desktops and no one else's (each supervisor's own ``queue_kpis``)."""

    def __init__(self, data: Mapping[str, Any], to: Iterable[str]) -> None:
        super().__init__(data)
        self.to = frozenset(to)


class DesktopHub:
    """Registry of open connections; implements the ACD's offer notifier."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._by_user: dict[str, set[Connection]] = {}
        self._supervisors: set[Connection] = set()
        self._presence_listeners: list[PresenceListener] = []

    def watch_presence(self, listener: PresenceListener) -> None:
        """Call ``listener(user_id, open_desktops)`` whenever a user's desktop opens or closes."""
        self._presence_listeners.append(listener)

    def _presence_changed(self, user_id: str) -> None:
        count = self.connections_of(user_id)
        for listener in self._presence_listeners:
            listener(user_id, count)

    def supervising(self) -> list[Principal]:
        """The principals of the open supervisor and admin desktops (one per connection)."""
        return [conn.principal for conn in tuple(self._supervisors)]

    def users(self) -> Iterator[str]:
        """The users with at least one open desktop."""
        return iter(tuple(self._by_user))

    def add(self, conn: Connection) -> None:
        """Register a connection."""
        self._by_user.setdefault(conn.principal.user_id, set()).add(conn)
        if conn.supervising:
            self._supervisors.add(conn)
        self._presence_changed(conn.principal.user_id)

    def remove(self, conn: Connection) -> None:
        """Unregister a connection."""
        conn.close()
        self._supervisors.discard(conn)
        conns = self._by_user.get(conn.principal.user_id)
        if conns is not None and conn in conns:
            conns.discard(conn)
            if not conns:
                del self._by_user[conn.principal.user_id]
            self._presence_changed(conn.principal.user_id)

    def end_session(self, token: str, reason: str) -> None:
        """Close every desktop signed in with ``token`` (the token was revoked)."""
        for conns in tuple(self._by_user.values()):
            for conn in tuple(conns):
                if conn.token == token:
                    conn.end(reason)

    def connections_of(self, user_id: str) -> int:
        """Number of open desktops of ``user_id``."""
        return len(self._by_user.get(user_id, ()))

    @property
    def total(self) -> int:
        """Number of open connections."""
        return sum(len(c) for c in self._by_user.values())

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Send the screen-pop to every desktop of ``agent_id``; return how many got it.

        Connections of supervisors and admins get the full caller number; others may get it masked.
        """
        full = encode(server_frame("offer", call=payload))
        view = masked_call(payload)
        masked = full if view is payload else encode(server_frame("offer", call=view))
        loop = asyncio.get_running_loop()
        waits = []
        for conn in tuple(self._by_user.get(agent_id, ())):
            done: asyncio.Future[bool] = loop.create_future()
            conn.enqueue(full if conn.supervising else masked, done)
            waits.append(done)
        results = await asyncio.gather(*waits)
        return sum(1 for ok in results if ok)

    def send_to_user(self, user_id: str, frame: dict[str, Any]) -> int:
        """Queue ``frame`` for every open desktop of ``user_id`` (chat frames, see chat.service); how many."""
        conns = tuple(self._by_user.get(user_id, ()))
        text = encode(frame)
        for conn in conns:
            conn.enqueue(text)
        return len(conns)

    def route(self, event: BusEvent) -> None:
        """Send one bus event to the connections that should see it (offers excepted: see the module)."""
        if event.topic == "agent.offer" or (event.origin and event.topic in NODE_LOCAL_TOPICS):
            return
        text: str | None = None
        if isinstance(event.data, Addressed):  # for some supervising users only
            for conn in tuple(self._supervisors):
                if conn.principal.user_id in event.data.to:
                    text = text or encode(server_frame(event.topic.replace(".", "_"), data=dict(event.data)))
                    conn.enqueue(text)
            return
        agent_id = event.data.get("agent_id")
        mine = self._by_user.get(agent_id, ()) if isinstance(agent_id, str) else ()
        personal = event.topic in ("agent.changed", "call.changed", "call.consult", "agent.supervisor_action")
        for conn in (*self._supervisors, *(c for c in mine if personal and not c.supervising)):
            text = text or encode(server_frame(event.topic.replace(".", "_"), data=dict(event.data)))
            conn.enqueue(text)

    def resync_all(self, dropped: object) -> None:
        """Ask every desktop to resynchronise: events it should have seen were lost (``dropped`` of
        them, 0 when the number is unknown, as after a lost link to the other nodes)."""
        count = dropped if isinstance(dropped, int) and dropped >= 0 else 0
        text = encode(server_frame("resync_needed", dropped=count))
        for conns in self._by_user.values():
            for conn in conns:
                conn.enqueue(text)

    async def run(self) -> None:
        """Route bus events (this node's and, when relayed, the other nodes') until cancelled."""
        sub = self._bus.subscribe("agent.", "call.", "queue.", RELAY_GAP, maxsize=100_000, foreign=True)
        try:
            while True:
                event = await sub.get()
                if event.topic in ("bus.overflow", RELAY_GAP):
                    self.resync_all(event.data.get("dropped"))
                else:
                    self.route(event)
        finally:
            sub.close()
