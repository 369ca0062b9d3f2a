"""Follows supervisors' ChanSpy sessions on recorded calls so that a barge reaches the centre side.

When a spy starts (AMI ``ChanSpyStart``) on the agent of a call being recorded (the spy channel's
``HOTLINE_SPY_CALL``), the spy leg is recorded on its own (``r()``: what the supervisor says) and its
mode followed: the starting extension, then each ``HOTLINE_SPY_MODE`` the service sets when it
switches. When the call's segment is filed, the stretches spent in barge mode are added into the
centre side (recordings.mixing) and the spy file is removed; listening and whispering add nothing,
since the citizen did not hear them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from pathlib import Path

from hotline.ami.client import AmiError, AmiEvent
from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiNotConnected
from privacy.masking import for_log
from recordings import files
from recordings.mixing import add_stretches
from recordings.segments import Segment, Spy

log = logging.getLogger(__name__)

MODES = frozenset({"listen", "whisper", "barge"})


class Barges:
    """The spies on live segments (``live``: call id -> running segment, shared with the recorder)."""

    def __init__(self, *, ami: AmiLink, live: Mapping[str, Segment]) -> None:
        self._ami = ami
        self._live = live
        self._spies: dict[str, Spy] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        """Follow spy starts, mode changes and spy hangups."""
        self._ami.on_event("ChanSpyStart", self._on_start)
        self._ami.on_event("VarSet", self._on_var, where=("Variable", "HOTLINE_SPY_MODE"))
        self._ami.on_event("Hangup", self._on_hangup)

    def _on_start(self, event: AmiEvent) -> None:
        spyer = event.get("SpyerUniqueid", "")
        if spyer and spyer not in self._spies:
            task = asyncio.get_running_loop().create_task(self._start(spyer, event.get("SpyerExten", "")))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _start(self, spyer: str, exten: str) -> None:
        try:
            reply = await self._ami.send_action(
                {"Action": "Getvar", "Channel": spyer, "Variable": "HOTLINE_SPY_CALL"}
            )
            seg = self._live.get(reply.get("Value", ""))
            if seg is None:
                return
            name = files.spool_name(f"{seg.ids['agent']}-spy{len(seg.spies)}")
            spy = Spy(spyer=spyer, spool_name=name, started=time.time())
            spy.modes.append((0.0, exten if exten in MODES else "listen"))
            self._spies[spyer] = spy
            seg.spies.append(spy)
            await self._ami.send_action({"Action": "MixMonitor", "Channel": spyer, "Options": f"r({name})"})
        except (AmiError, AmiNotConnected) as exc:
            log.warning("spy %s on a recorded call not recorded: %s", spyer, for_log(exc))

    def _on_var(self, event: AmiEvent) -> None:
        spy = self._spies.get(event.get("Uniqueid", ""))
        mode = event.get("Value", "")
        if spy is not None and event.get("Variable") == "HOTLINE_SPY_MODE" and mode in MODES:
            spy.modes.append((time.time() - spy.started, mode))

    def _on_hangup(self, event: AmiEvent) -> None:
        spy = self._spies.pop(event.get("Uniqueid", ""), None)
        if spy is not None:
            spy.ended = time.time()


async def mix_barges(seg: Segment, spool: Path, agent_file: Path, wait: float) -> None:
    """Add each spy's barge stretches into ``agent_file`` (the segment's closed centre side) and
    remove the spy files; a spy file that does not close in ``wait`` seconds is left out."""
    until = seg.ended or time.time()
    offset0 = seg.started_at.timestamp()
    for spy in seg.spies:
        source = spool / spy.spool_name
        if not await files.wait_closed(source, wait):
            log.error("spy recording %s did not close; its barge is not in %s", source.name, agent_file.name)
            continue
        stretches = spy.barge_stretches(until)
        if stretches:
            await asyncio.to_thread(
                add_stretches, agent_file, source, offset_s=spy.started - offset0, stretches=stretches
            )
        source.unlink(missing_ok=True)
