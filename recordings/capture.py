"""Records every answered citizen call with MixMonitor, one file per side, and files the results.

Rules of this module:
- The recording runs on the citizen's own channel (the call id is its uniqueid), on the node holding
  it: ``r()`` is what the citizen says (side ``caller``), ``t()`` everything the citizen hears from the
  centre (side ``agent``: the agent, a consulted party, a department, a three-way conference).
- A segment is one stretch with one party: it starts when an agent answers (``call.changed``
  connected) and again when the call is handed on (``call.transferred`` to a number, by an attended
  transfer, to a supervisor taking over); the previous segment is stopped first (AMI StopMixMonitor
  with its MixMonitorID). An agent's consultation leg waiting in the ACD is no citizen call and is not
  recorded. A person of the static fallback queue answering (``call.fallback_answered``, which every
  app node hears) starts one too, on the node that claims its rows first (ids made from what every
  node reads alike in Asterisk's AgentConnect: the member and the caller's hold time).
- A segment ends when it is stopped or the citizen's channel hangs up. Its files are then waited for
  until Asterisk has closed them (header sizes match the file), moved from the node's spool into the
  recordings root, and the rows marked ``saved`` with duration, size and SHA-256, or ``missing``.
- Nothing here blocks the ACD: AMI failures are logged and the call goes on unrecorded.
- A supervisor barging into a recorded call is added into the centre side (recordings.barge).
- Each node is told on login whether waiting citizens hear the recording notice (AstDB
  ``hotline/recording_notice``, read by the hold loop of the dialplan).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from acd.model import CONSULT_TAG
from hotline.ami.client import AmiError, AmiEvent
from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiNotConnected
from hotline.bus import EventBus
from privacy.masking import for_log
from recordings import files
from recordings.barge import Barges, mix_barges
from recordings.files import Spools
from recordings.jobs import enqueue_recording
from recordings.recover import recover_periodically
from recordings.segments import Segment
from recordings.store import (
    Opened,
    Sessions,
    claim_recordings,
    close_recording,
    next_segment,
    open_recordings,
)

log = logging.getLogger(__name__)

SIDES = ("caller", "agent")
CLOSE_WAIT_S = 15.0
GONE_KEPT = 10_000
GONE_FOR_S = 60.0
NEW_SEGMENT_TRANSFERS = frozenset({"number", "attended", "supervisor"})


class CallRecording:
    """Starts, stops and files the recordings of citizen calls (see the module rules)."""

    def __init__(
        self,
        *,
        ami: AmiLink,
        bus: EventBus,
        sessions: Sessions,
        root: Path,
        spools: Spools,
        notice: bool = True,
    ) -> None:
        self._ami = ami
        self._notice = notice
        self._sm = sessions
        self._root = root
        self._spools = spools
        self._sub = bus.subscribe(
            "call.changed", "call.transferred", "call.fallback_answered", maxsize=100_000
        )
        self._live: dict[str, Segment] = {}
        self._next: dict[str, int] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._barges = Barges(ami=ami, live=self._live)
        self._gone: dict[str, float] = {}
        """Citizens' channels that hung up lately (a hangup may overtake the MixMonitor reply)."""

    def install(self) -> None:
        """Follow hangups on every node; tell each node about the notice when it connects."""
        self._ami.on_event("Hangup", self._on_hangup)
        self._ami.on_node_connected(self._tell_notice)
        self._barges.install()

    async def _tell_notice(self, node: str) -> None:
        action = {
            "Action": "DBPut",
            "Family": "hotline",
            "Key": "recording_notice",
            "Val": str(int(self._notice)),
        }
        try:
            await self._ami.for_node(node).send_action(action)
        except (AmiError, AmiNotConnected) as exc:
            log.warning("node %s not told about the recording notice: %s", node, for_log(exc))

    async def run(self) -> None:
        """Follow the bus until cancelled (recordings an earlier process left open are filed meanwhile)."""
        recovering = asyncio.create_task(recover_periodically(self._sm, root=self._root, spools=self._spools))
        try:
            await self._follow_bus()
        finally:
            recovering.cancel()

    async def _follow_bus(self) -> None:
        while True:
            event = await self._sub.get()
            try:
                await self._follow(event.topic, event.data)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("recording: malformed %s skipped: %r", event.topic, exc)

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until every ended segment is filed (tests, shutdown)."""
        if self._closing:
            await asyncio.wait_for(asyncio.gather(*list(self._closing)), timeout)

    def close(self) -> None:
        """Stop listening to the bus."""
        self._sub.close()

    async def _follow(self, topic: str, d: Mapping[str, Any]) -> None:
        call_id = str(d["call_id"])
        if topic == "call.changed":
            if d["state"] != "connected" or CONSULT_TAG in str(d.get("tags") or "").split(","):
                return
            await self._start(call_id, d.get("agent_id"))
        elif topic == "call.fallback_answered":
            await self._start(call_id, None, claim_as=f"{d['member']}-{d['waited_s']}")
        elif d["kind"] in NEW_SEGMENT_TRANSFERS and call_id in self._live:
            await self._start(call_id, None)

    async def _start(self, call_id: str, agent_id: object, *, claim_as: str = "") -> None:
        """A new segment; with ``claim_as`` (the answering channel of the static fallback queue, which
        every app node hears) only the node that claims its rows first records it."""
        previous = self._live.pop(call_id, None)
        if previous is not None:
            await self._stop(previous)
        if claim_as:
            segment = await asyncio.to_thread(next_segment, self._sm, call_id)
            base = f"{call_id}-fallback-{claim_as}"
        else:
            segment, base = self._next.get(call_id, 0), call_id
            self._next[call_id] = segment + 1
        started = datetime.now(UTC)
        ids = {side: files.recording_id(base, segment, side) for side in SIDES}
        node = self._node_of(call_id)
        opened = [
            Opened(
                recording_id=ids[side],
                call_id=call_id,
                node=node,
                side=side,
                segment=segment,
                agent_id=str(agent_id) if agent_id else None,
                path=files.root_path(ids[side], started),
                started_at=started,
            )
            for side in SIDES
        ]
        if claim_as and not await asyncio.to_thread(claim_recordings, self._sm, opened):
            return
        options = f"r({files.spool_name(ids['caller'])})t({files.spool_name(ids['agent'])})"
        try:
            reply = await self._ami.send_action(
                {"Action": "MixMonitor", "Channel": call_id, "Options": options}
            )
        except (AmiError, AmiNotConnected) as exc:
            log.error("recording of %s not started: %s", call_id, for_log(exc))
            if claim_as:
                for o in opened:
                    await asyncio.to_thread(self._file_one, o.recording_id, None, o.path)
            return
        seg = Segment(
            call_id=call_id,
            segment=segment,
            node=node,
            started_at=started,
            mixmonitor_id=str(reply.get("MixMonitorID", "")),
            ids=ids,
            paths={side: files.root_path(ids[side], started) for side in SIDES},
        )
        self._live[call_id] = seg
        if not claim_as:
            await asyncio.to_thread(open_recordings, self._sm, opened)
        if call_id in self._gone:
            self._live.pop(call_id)
            self._file_later(seg)

    def _node_of(self, call_id: str) -> str:
        node_of = getattr(self._ami, "node_of", None)
        if callable(node_of):
            return str(node_of(call_id))
        nodes = self._ami.nodes
        return nodes[0] if len(nodes) == 1 else ""

    async def _stop(self, seg: Segment) -> None:
        action = {"Action": "StopMixMonitor", "Channel": seg.call_id}
        if seg.mixmonitor_id:
            action["MixMonitorID"] = seg.mixmonitor_id
        try:
            await self._ami.send_action(action)
        except (AmiError, AmiNotConnected) as exc:
            log.warning("recording of %s not stopped (%s); filed when it closes", seg.call_id, for_log(exc))
        self._file_later(seg)

    def _on_hangup(self, event: AmiEvent) -> None:
        uniqueid = event.get("Uniqueid", "")
        now = time.time()
        self._gone[uniqueid] = now
        if len(self._gone) > GONE_KEPT:
            self._gone = {u: t for u, t in self._gone.items() if now - t < GONE_FOR_S}
        seg = self._live.pop(uniqueid, None)
        if seg is not None:
            self._next.pop(seg.call_id, None)
            self._file_later(seg)

    def _file_later(self, seg: Segment) -> None:
        seg.ended = time.time()
        task = asyncio.get_running_loop().create_task(self._file(seg))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _file(self, seg: Segment) -> None:
        spool = self._spools.of(seg.node)
        for side in SIDES:
            rec_id = seg.ids[side]
            source = None if spool is None else spool / files.spool_name(rec_id)
            try:
                closed = source is not None and await files.wait_closed(source, CLOSE_WAIT_S)
                if closed and side == "agent" and seg.spies and spool is not None and source is not None:
                    await mix_barges(seg, spool, source, CLOSE_WAIT_S)
                if await asyncio.to_thread(self._file_one, rec_id, source, seg.paths[side]):
                    await asyncio.to_thread(enqueue_recording, rec_id)
            except Exception:
                log.exception("recording %s could not be filed", rec_id)

    def _file_one(self, rec_id: str, source: Path | None, relative: str) -> bool:
        """File one side; whether it was saved (then it is queued for transcription at once)."""
        ended = datetime.now(UTC)
        if source is None or not source.exists():
            log.error("recording %s: no file %s", rec_id, source)
            close_recording(
                self._sm, recording_id=rec_id, ended_at=ended, duration_s=None, size=None, sha256=None
            )
            return False
        target = files.move_into_root(source, self._root, relative)
        close_recording(
            self._sm,
            recording_id=rec_id,
            ended_at=ended,
            duration_s=files.duration_s(target),
            size=target.stat().st_size,
            sha256=files.sha256_of(target),
        )
        return True
