"""Asterisk node failure: a node whose AMI link stays down is taken as dead, and its calls are settled.

While a node is unreachable its callers are looked after by Asterisk itself (the hold loop's stale
heartbeat sends them to the static fallback queue) or are gone with it. After ``failure_after_s`` without
its link the ACD stops counting on the node: its waiting and offered calls end as ``node_failure`` (their
agents free), or, when the centre enables it and the caller's number can be dialled, a waiting call
becomes a callback entry that keeps its place in line and is called back through a live node; its
connected calls end (their agents go to wrap-up). Calls on other nodes are untouched. When the node
comes back, its own resync (acd.ami_consume) settles whatever is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from acd.events import CallAbandoned, CallbackRequested, CallFinished
from acd.model import DIALABLE, NODE_ATTR, NODE_FAILURE, CallState
from acd.service import AcdService
from hotline.ami.link import AmiLink

log = logging.getLogger(__name__)


class NodeWatch:
    """Notices nodes whose link stays down and settles their calls once per outage."""

    def __init__(
        self,
        *,
        ami: AmiLink,
        service: AcdService,
        failure_after_s: float,
        callbacks: bool,
        clock: Callable[[], float],
    ) -> None:
        self._ami = ami
        self._service = service
        self._failure_after_s = failure_after_s
        self._callbacks = callbacks
        self._clock = clock
        self._down_since: dict[str, float] = {}
        self.failed: set[str] = set()

    def check(self) -> None:
        """Look at every node once."""
        now = self._clock()
        for node in self._ami.nodes:
            if self._ami.node_connected(node):
                self._down_since.pop(node, None)
                self.failed.discard(node)
                continue
            since = self._down_since.setdefault(node, now)
            if node not in self.failed and now - since >= self._failure_after_s:
                self.failed.add(node)
                self.node_failed(node)

    async def run(self, every_s: float = 1.0) -> None:
        """Check the nodes every ``every_s`` seconds, for ever."""
        while True:
            self.check()
            await asyncio.sleep(every_s)

    def node_failed(self, node: str) -> None:
        """Settle every call on ``node`` (see the module docstring)."""
        store = self._service.engine.store
        calls = [c for c in store.iter_calls() if c.attrs.get(NODE_ATTR, "") == node and c.callback is None]
        log.error("Asterisk node %s is down; settling its %d calls", node, len(calls))
        for call in calls:
            self._service.forget_call_legs(call.call_id)
            if call.state is CallState.CONNECTED:
                self._service.submit_quietly(CallFinished(call_id=call.call_id))
            elif call.state is CallState.WAITING and self._callbacks and DIALABLE.fullmatch(call.caller):
                self._service.submit_quietly(CallbackRequested(call_id=call.call_id, number=call.caller))
            else:
                self._service.submit_quietly(CallAbandoned(call_id=call.call_id, reason=NODE_FAILURE))
