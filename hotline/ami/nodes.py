"""Several Asterisk nodes behind one AMI interface (:class:`hotline.ami.link.AmiLink`).

Rules of this module:
- Every node has its own :class:`AmiClient`, named after the node; its events carry ``event.node``.
- An action naming a ``Channel`` goes to the node that holds that channel: learnt from the channel's
  events (name and uniqueid), set at once for a channel this module originated; only when the channel
  is unknown are the nodes tried in turn (an error moves on to the next node). Names repeat across
  nodes (``PJSIP/1001-00000001``), uniqueids do not (``systemname``): an action naming a channel name
  that is live on two nodes at once is refused (``ami.ambiguous_channel``), never sent to a guess.
- An action naming no channel (AstDB writes: heartbeat, agents' phones, SIP secrets) goes to every
  connected node; the first success answers. A list action without a channel gathers every node's items.
- An Originate runs on the node of the live channel it must join (``near``), else on a connected node
  in turn.
- One node's loss concerns only that node: ``connected`` is true while any node is up.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping, Sequence

from hotline.ami.client import AmiClient
from hotline.ami.link import ConnectedCallback, EventCallback, NodeConnectedCallback
from hotline.ami.messages import AmiError, AmiEvent, AmiNotConnected, AmiResponse, HeaderValue

log = logging.getLogger(__name__)

CHANNEL_KEYS = ("Channel", "Uniqueid", "DestChannel", "DestUniqueid")
MAX_KNOWN_CHANNELS = 200_000


class PbxNodes:
    """AMI links to every Asterisk node of the centre, used as one."""

    def __init__(self, clients: Sequence[AmiClient]) -> None:
        if not clients or len({c.node for c in clients}) != len(clients) or any(not c.node for c in clients):
            raise ValueError("every Asterisk node needs a distinct, non-empty name")
        self._clients = {c.node: c for c in clients}
        self._where: dict[str, set[str]] = {}
        self._turn = itertools.cycle(self._clients)
        self._starting: list[asyncio.Task[None]] = []
        for client in clients:
            client.on_event("*", self._learn)
            client.on_node_connected(self._forget_node)

    @property
    def connected(self) -> bool:
        """True while at least one node's link is up."""
        return any(c.connected for c in self._clients.values())

    @property
    def connections_made(self) -> int:
        """Logins so far, over every node."""
        return sum(c.connections_made for c in self._clients.values())

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes' names, in configuration order."""
        return tuple(self._clients)

    def node_connected(self, node: str) -> bool:
        """Whether ``node``'s link is up (any node's, for the empty name)."""
        return self.connected if not node else node in self._clients and self._clients[node].connected

    def for_node(self, node: str) -> AmiClient:
        """The link to ``node``."""
        try:
            return self._clients[node]
        except KeyError:
            raise AmiNotConnected(f"no Asterisk node {node!r}", node=node) from None

    def node_of(self, channel: str) -> str:
        """The node known to hold ``channel`` (a name or uniqueid); empty when unknown."""
        nodes = self._where.get(channel, set())
        return next(iter(nodes)) if len(nodes) == 1 else ""

    def on_event(self, name: str, callback: EventCallback, *, where: tuple[str, str] | None = None) -> None:
        """Events from every node."""
        for client in self._clients.values():
            client.on_event(name, callback, where=where)

    def on_connected(self, callback: ConnectedCallback) -> None:
        """After every (re)connection of any node."""
        for client in self._clients.values():
            client.on_connected(callback)

    def on_node_connected(self, callback: NodeConnectedCallback) -> None:
        """After every (re)connection of a node, with its name."""
        for client in self._clients.values():
            client.on_node_connected(callback)

    async def start(self, *, connect_timeout: float = 30.0) -> None:
        """Connect every node in the background (each keeps trying); return once one is up, else
        :class:`AmiNotConnected` after ``connect_timeout`` (the attempts go on)."""
        if not self._starting:
            self._starting = [asyncio.create_task(self._keep_starting(c)) for c in self._clients.values()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + connect_timeout
        while not self.connected:
            if loop.time() >= deadline:
                raise AmiNotConnected(f"no Asterisk node reachable within {connect_timeout:g}s")
            await asyncio.sleep(0.05)

    @staticmethod
    async def _keep_starting(client: AmiClient) -> None:
        while True:
            try:
                await client.start()
                return
            except AmiNotConnected as exc:
                log.warning("Asterisk node %s unreachable, retrying: %s", client.node, exc)

    async def close(self) -> None:
        """Close every link."""
        for task in self._starting:
            task.cancel()
        await asyncio.gather(*self._starting, return_exceptions=True)
        for client in self._clients.values():
            await client.close()

    async def send_action(
        self, action: Mapping[str, HeaderValue], *, timeout: float | None = None
    ) -> AmiResponse:
        """To the node holding the action's channel, or (no channel) to every connected node."""
        channel = _channel_of(action)
        if not channel:
            replies = await self._everywhere(action, timeout)
            return replies[0]
        last: AmiError = AmiNotConnected(action=str(action.get("Action", "")))
        for client in self._candidates(channel):
            try:
                return await client.send_action(action, timeout=timeout)
            except AmiError as exc:
                last = exc
        raise last

    async def send_action_list(
        self, action: Mapping[str, HeaderValue], *, complete_event: str, timeout: float | None = None
    ) -> list[AmiEvent]:
        """Every connected node's items (or the items of the node holding the action's channel)."""
        channel = _channel_of(action)
        clients = self._candidates(channel)[:1] if channel else self._up()
        if not clients:
            raise AmiNotConnected(action=str(action.get("Action", "")))
        items: list[AmiEvent] = []
        for client in clients:
            for event in await client.send_action_list(
                action, complete_event=complete_event, timeout=timeout
            ):
                event.node = client.node
                items.append(event)
        return items

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
        """An Originate on the node of ``near`` (else the next connected node in turn)."""
        client = self._candidates(near)[0] if near else self._next_up()
        if channel_id:
            self._where[channel_id] = {client.node}
        return await client.originate(
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
            action_id=action_id,
            codecs=codecs,
        )

    def _learn(self, event: AmiEvent) -> None:
        if event.name == "Hangup":
            for key in ("Channel", "Uniqueid"):
                self._drop(event.get(key, ""), event.node)
            return
        if event.name == "Rename":
            self._drop(event.get("Channel", ""), event.node)
            self._where.setdefault(event.get("Newname", ""), set()).add(event.node)
            return
        if len(self._where) > MAX_KNOWN_CHANNELS:
            self._where.clear()
        for key in CHANNEL_KEYS:
            value = event.get(key, "")
            if value:
                self._where.setdefault(value, set()).add(event.node)

    def _drop(self, channel: str, node: str) -> None:
        nodes = self._where.get(channel)
        if nodes is not None:
            nodes.discard(node)
            if not nodes:
                del self._where[channel]

    async def _forget_node(self, node: str) -> None:
        """A node (re)connected: what was learnt of its channels before may be stale."""
        for channel in [c for c, nodes in self._where.items() if node in nodes]:
            self._drop(channel, node)

    def _up(self) -> list[AmiClient]:
        return [c for c in self._clients.values() if c.connected]

    def _candidates(self, channel: str) -> list[AmiClient]:
        """The node known to hold ``channel`` alone (a channel name may exist on several nodes: never
        try another one then); for an unknown channel every connected node in turn."""
        nodes = self._where.get(channel, set())
        if len(nodes) > 1:
            raise AmiError(
                "ami.ambiguous_channel",
                f"channel {channel!r} exists on several Asterisk nodes; name it by its uniqueid",
                channel=channel,
                nodes=sorted(nodes),
            )
        if nodes:
            return [self._clients[next(iter(nodes))]]
        return self._up() or list(self._clients.values())[:1]

    def _next_up(self) -> AmiClient:
        for _ in range(len(self._clients)):
            client = self._clients[next(self._turn)]
            if client.connected:
                return client
        return next(iter(self._clients.values()))

    async def _everywhere(
        self, action: Mapping[str, HeaderValue], timeout: float | None
    ) -> list[AmiResponse]:
        clients = self._up() or list(self._clients.values())[:1]
        results = await asyncio.gather(
            *(c.send_action(action, timeout=timeout) for c in clients), return_exceptions=True
        )
        replies = [r for r in results if isinstance(r, AmiResponse)]
        if replies:
            return replies
        for result in results:
            if isinstance(result, BaseException):
                raise result
        raise AmiNotConnected(action=str(action.get("Action", "")))


def _channel_of(action: Mapping[str, HeaderValue]) -> str:
    value = next((v for k, v in action.items() if k.lower() == "channel"), "")
    return value if isinstance(value, str) else ""
