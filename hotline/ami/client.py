"""The AMI client the rest of hotline codes against: actions, events, and a connection that heals itself.

A supervisor task owns the connection: connect, log in, tell every ``on_connected`` callback (the
application re-synchronises its view of the calls), then watch. The watchdog sends ``Ping`` every
``ping_interval`` and needs the reply within ``ping_timeout``; a silent server (half-open TCP) or a lost
socket closes the transport and the supervisor reconnects with exponential backoff. A ``FullyBooted``
event that is not the echo Asterisk sends right after our login means Asterisk (re)booted underneath an
open connection, so the callbacks run again.

With ``only_handled_events`` the session asks Asterisk (AMI ``Filter`` with name match criteria, hashed
by Asterisk, no regular expression) for just the events some callback was registered for by name, at
login and whenever a new name is registered; ``"*"`` callbacks then see those events only. A PBX writes
and the centre parses a small part of the stream: VarSet, Newexten, AGIExec, RTCP and the like are most of
it during calls, and nothing here reads them. Action responses (lists such as ``CoreShowChannel``) are
never filtered. A server that refuses ``Filter`` (an older PBX, a user without the ``system`` write
class) is used unfiltered, with a warning.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import uuid
from collections.abc import Awaitable, Mapping

from hotline.ami.connection import AmiConnection
from hotline.ami.link import ConnectedCallback, EventCallback, NodeConnectedCallback
from hotline.ami.messages import (
    AmiError,
    AmiEvent,
    AmiMessage,
    AmiNotConnected,
    AmiResponse,
    HeaderValue,
)
from hotline.ami.originate import build_originate

__all__ = ["AmiClient", "AmiError", "AmiEvent", "AmiMessage", "AmiNotConnected", "AmiResponse"]

log = logging.getLogger(__name__)

MAX_RECONNECT_DELAY = 10.0


def _filter(name: str, where: tuple[str, str] | None) -> tuple[str, str, str]:
    """The AMI include filter for events ``name`` (with header ``where[0]`` equal to ``where[1]``)."""
    if where is None:
        return f"action(include),name({name})", "", name
    header, value = where
    return f"action(include),name({name}),header({header}),method(exact)", value, name


class AmiClient:
    """A self-healing AMI connection with typed actions and event callbacks."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        ping_interval: float = 5.0,
        ping_timeout: float = 3.0,
        reconnect_delay: float = 0.5,
        action_timeout: float = 10.0,
        node: str = "",
        only_handled_events: bool = False,
    ) -> None:
        self.node = node
        self._only_handled = only_handled_events
        self._named: dict[str, str] = {}
        """Event names callbacks were registered for whole: lower case → as registered."""
        self._filters: set[tuple[str, str, str]] = set()
        """Every filter asked for: (match criteria, filter value, name); see :func:`_filter`."""
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._reconnect_delay = reconnect_delay
        self._action_timeout = action_timeout
        self._handlers: dict[str, list[EventCallback]] = {}
        self._connected_callbacks: list[ConnectedCallback] = []
        self._conn: AmiConnection | None = None
        self._logged_in = False
        self._supervisor: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._last_error: BaseException | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._ids = itertools.count(1)
        self._id_prefix = f"hotline-{uuid.uuid4().hex[:12]}"
        self.connections_made = 0

    @property
    def connected(self) -> bool:
        """True while logged in on an open connection."""
        return self._logged_in and self._conn is not None and self._conn.is_open

    def on_event(self, name: str, callback: EventCallback, *, where: tuple[str, str] | None = None) -> None:
        """Call ``callback(event)`` for every event called ``name`` (any case); ``"*"`` means all events.

        ``where`` (header, value): the callback needs only events whose header has that value; with
        ``only_handled_events`` the session then asks for just those (unless some callback wants the
        name whole). The callback still checks the header: it may be given others.
        """
        self._handlers.setdefault(name.lower(), []).append(callback)
        if name == "*" or name.lower() in self._named:
            return
        wanted = _filter(name, where)
        if where is None:
            self._named[name.lower()] = name
        elif wanted in self._filters:
            return
        self._filters.add(wanted)
        conn = self._conn
        if self._only_handled and conn is not None and self.connected:
            self._spawn(self._ask_for(conn, [wanted]), f"event filter for {name}")

    def on_connected(self, callback: ConnectedCallback) -> None:
        """Run ``callback()`` after every successful login and after Asterisk reports a fresh boot."""
        self._connected_callbacks.append(callback)

    def on_node_connected(self, callback: NodeConnectedCallback) -> None:
        """Like :meth:`on_connected`, with this client's node name as the argument."""
        self._connected_callbacks.append(lambda: callback(self.node))

    @property
    def nodes(self) -> tuple[str, ...]:
        """The one node this client speaks to."""
        return (self.node,)

    def for_node(self, node: str) -> AmiClient:
        """This client, for its own node (or the empty name)."""
        if node not in ("", self.node):
            raise AmiNotConnected(f"no Asterisk node {node!r}", node=node)
        return self

    def node_connected(self, node: str) -> bool:
        """Whether the link to ``node`` is up."""
        return node in ("", self.node) and self.connected

    async def start(self, *, connect_timeout: float = 30.0) -> None:
        """Connect and log in, retrying; :class:`AmiNotConnected` when not up within ``connect_timeout``."""
        if self._supervisor is not None:
            raise RuntimeError("AmiClient already started")
        self._ready = asyncio.Event()
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")
        try:
            await asyncio.wait_for(self._ready.wait(), connect_timeout)
        except TimeoutError:
            last = self._last_error
            await self.close()
            raise AmiNotConnected(
                f"could not log in to AMI at {self._host}:{self._port} within {connect_timeout:g}s: {last}",
                host=self._host,
                port=self._port,
                last_error=repr(last),
            ) from None

    async def close(self) -> None:
        """Stop the watchdog and close the connection; no reconnection afterwards."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        self._drop_connection()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def send_action(
        self,
        action: Mapping[str, HeaderValue],
        *,
        timeout: float | None = None,
    ) -> AmiResponse:
        """Send one action and return its ``Response``; :class:`AmiError` on ``Response: Error``."""
        reply = await self._request(action, wait_s=timeout, complete_event=None)
        assert isinstance(reply, AmiResponse)
        return reply

    async def send_action_list(
        self,
        action: Mapping[str, HeaderValue],
        *,
        complete_event: str,
        timeout: float | None = None,
    ) -> list[AmiEvent]:
        """Send a list action (e.g. ``CoreShowChannels``) and return its events up to ``complete_event``."""
        reply = await self._request(action, wait_s=timeout, complete_event=complete_event)
        assert isinstance(reply, list)
        return reply

    async def originate(
        self,
        *,
        channel: str,
        application: str | None = None,
        data: str | None = None,
        context: str | None = None,
        exten: str | None = None,
        priority: int | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        timeout_ms: int = 30000,
        action_id: str | None = None,
        near: str = "",
        codecs: str | None = None,
    ) -> str:
        """Queue an ``Originate`` (always ``Async: true``) and return its ActionID.

        The outcome arrives later as an ``OriginateResponse`` event carrying the same ActionID.
        ``near`` names a live channel the new one must be on the same node as (one node here: unused).
        ``codecs`` (e.g. ``opus,vp8``) are the formats the new channel offers; left out, Asterisk offers
        audio only.
        """
        fields = build_originate(
            channel=channel,
            application=application,
            data=data,
            context=context,
            exten=exten,
            priority=priority,
            caller_id=caller_id,
            variables=variables,
            channel_id=channel_id,
            other_channel_id=other_channel_id,
            timeout_ms=timeout_ms,
            codecs=codecs,
        )
        fields["ActionID"] = action_id or self._next_id()
        await self.send_action(fields)
        return str(fields["ActionID"])

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    async def _request(
        self, action: Mapping[str, HeaderValue], *, wait_s: float | None, complete_event: str | None
    ) -> AmiResponse | list[AmiEvent]:
        conn = self._conn
        name = str(action.get("Action", ""))
        if conn is None or not self.connected:
            raise AmiNotConnected(action=name)
        given = next((v for k, v in action.items() if k.lower() == "actionid"), None)
        action_id = given if isinstance(given, str) and given else self._next_id()
        limit = self._action_timeout if wait_s is None else wait_s
        try:
            return await conn.request(
                action, action_id=action_id, wait_s=limit, complete_event=complete_event
            )
        except TimeoutError:
            raise AmiError(
                "ami.action_timeout",
                f"AMI {name} got no reply within {limit:g}s",
                action=name,
                action_id=action_id,
                timeout=limit,
            ) from None

    async def _supervise(self) -> None:
        delay = self._reconnect_delay
        while True:
            try:
                conn = await self._connect()
            except (OSError, AmiError, TimeoutError) as exc:
                self._last_error = exc
                log.warning(
                    "AMI %s:%s not available (%s); retrying in %.2fs", self._host, self._port, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, max(MAX_RECONNECT_DELAY, self._reconnect_delay))
                continue
            delay = self._reconnect_delay
            self._conn, self._logged_in = conn, True
            self.connections_made += 1
            log.info(
                "AMI logged in to %s:%s (Asterisk Call Manager %s)", self._host, self._port, conn.version
            )
            assert self._ready is not None
            self._ready.set()
            self._fire_connected()
            await self._watch(conn)
            self._drop_connection()
            log.warning("AMI connection to %s:%s lost; reconnecting", self._host, self._port)
            await asyncio.sleep(delay)

    async def _connect(self) -> AmiConnection:
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(
            loop.create_connection(lambda: AmiConnection(self._dispatch), self._host, self._port),
            self._action_timeout,
        )
        conn.login_action_id = self._next_id()
        login = {"Action": "Login", "Username": self._username, "Secret": self._secret, "Events": "on"}
        try:
            await conn.request(login, action_id=conn.login_action_id, wait_s=self._action_timeout)
        except AmiError as exc:
            conn.close()
            if exc.error_id != "ami.action_failed":
                raise
            raise AmiError("ami.login_failed", f"AMI login refused: {exc}", username=self._username) from exc
        except BaseException:
            conn.close()
            raise
        if self._only_handled and self._filters:
            try:
                await self._ask_for(conn, sorted(self._filters))
            except AmiError as exc:
                log.warning(
                    "AMI %s:%s refused event filters (%s); taking every event", self._host, self._port, exc
                )
            except BaseException:
                conn.close()
                raise
        return conn

    async def _ask_for(self, conn: AmiConnection, filters: list[tuple[str, str, str]]) -> None:
        """Add each include filter to the session on ``conn``."""
        for criteria, value, _ in filters:
            action = {"Action": "Filter", "Operation": "Add", "MatchCriteria": criteria, "Filter": value}
            await conn.request(action, action_id=self._next_id(), wait_s=self._action_timeout)

    async def _watch(self, conn: AmiConnection) -> None:
        while True:
            try:
                await asyncio.wait_for(conn.lost.wait(), self._ping_interval)
                return
            except TimeoutError:
                pass
            try:
                await conn.request({"Action": "Ping"}, action_id=self._next_id(), wait_s=self._ping_timeout)
            except (AmiError, TimeoutError) as exc:
                log.warning(
                    "AMI Ping unanswered within %.2fs (%r); dropping the connection", self._ping_timeout, exc
                )
                return

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        self._logged_in = False
        if conn is not None:
            conn.close()

    def _dispatch(self, event: AmiEvent, follows_login: bool) -> None:
        event.node = self.node
        if event.name.lower() == "fullybooted" and not follows_login and self.connected:
            log.info("Asterisk reports FullyBooted on an open connection; re-synchronising")
            self._fire_connected()
        for key in (event.name.lower(), "*"):
            for callback in self._handlers.get(key, ()):
                self._run_callback(callback, event)

    def _run_callback(self, callback: EventCallback, event: AmiEvent) -> None:
        try:
            result = callback(event)
        except Exception:
            log.exception("AMI event callback %r failed on %s", callback, event.name)
            return
        if inspect.isawaitable(result):
            self._spawn(result, f"event callback {callback!r} on {event.name}")

    def _fire_connected(self) -> None:
        for callback in self._connected_callbacks:
            try:
                self._spawn(callback(), f"on_connected callback {callback!r}")
            except Exception:
                log.exception("AMI on_connected callback %r failed", callback)

    def _spawn(self, awaitable: Awaitable[None], what: str) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)

        def done(t: asyncio.Future[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("AMI %s failed", what, exc_info=t.exception())

        task.add_done_callback(done)
