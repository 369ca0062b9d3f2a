"""What the rest of hotline needs from AMI, whether one Asterisk (AmiClient) or several (PbxNodes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from hotline.ami.messages import AmiEvent, AmiResponse, HeaderValue

EventCallback = Callable[[AmiEvent], Awaitable[None] | None]
ConnectedCallback = Callable[[], Awaitable[None]]
NodeConnectedCallback = Callable[[str], Awaitable[None]]


class AmiLink(Protocol):
    """AMI actions and events for one Asterisk node or a cluster of them."""

    @property
    def connected(self) -> bool:
        """True while AMI is usable (for a cluster: at least one node)."""
        ...

    @property
    def nodes(self) -> tuple[str, ...]:
        """The Asterisk nodes' names."""
        ...

    def node_connected(self, node: str) -> bool:
        """Whether the link to ``node`` is up."""
        ...

    def for_node(self, node: str) -> AmiLink:
        """The link to one node (AmiNotConnected for a name the cluster does not have)."""
        ...

    def on_event(self, name: str, callback: EventCallback, *, where: tuple[str, str] | None = None) -> None:
        """Call ``callback(event)`` for every event ``name`` from any node (``"*"``: all). ``where``
        (header, value) says the callback wants only such events, so that a session that asks for
        only the handled events need not get every one of that name (the callback may still see
        others that another callback asked for)."""
        ...

    def on_connected(self, callback: ConnectedCallback) -> None:
        """Run ``callback()`` after every (re)connection of any node."""
        ...

    def on_node_connected(self, callback: NodeConnectedCallback) -> None:
        """Run ``callback(node)`` after every (re)connection of ``node``."""
        ...

    async def send_action(
        self, action: Mapping[str, HeaderValue], *, timeout: float | None = None
    ) -> AmiResponse:
        """Send one action where it belongs (the node holding its ``Channel``) and return the reply."""
        ...

    async def send_action_list(
        self, action: Mapping[str, HeaderValue], *, complete_event: str, timeout: float | None = None
    ) -> list[AmiEvent]:
        """A list action's events up to ``complete_event``."""
        ...

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
        """Queue an Originate (on the node holding the live channel ``near``, when given)."""
        ...
