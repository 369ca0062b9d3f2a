"""Asterisk's own account of citizen calls, read from its channel event log (CEL as JSON lines).

Asterisk writes one JSON object per channel event (asterisk_conf/cel.conf, cel_custom.conf) whether or
not the hotline service is running. This module turns those lines into one :class:`CelCall` per citizen
call, with no I/O of its own beyond reading the file:

- a citizen call is the channel that answers in the inbound dialplan (``ANSWER`` by the ``Answer``
  application in ``hotline-inbound``, at the dialled number: 12345 or a merged line); its ``UniqueID``
  is the centre's ``call_id``;
- it reached the static fallback queue when its ``Queue`` application started on ``hotline-fallback``;
- a person answered it when another channel joined it in a bridge: a ``BRIDGE_ENTER`` of the caller
  naming a peer (the agent leg was there first, as in the fallback queue), or of another channel naming
  the caller as its peer (the caller was there first, as when the ACD's agent leg runs ``Bridge()``).
  The hold loop plays music without a bridge, so only an agent leg ever bridges with the caller;
- it ended at its ``HANGUP``; the dialplan place it hung up in tells a booked callback or a message.

:class:`CelReader` reads the file incrementally (a rotated or truncated file is read from its start
again) and hands out each call once, when it has ended.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

INBOUND_CONTEXT = "hotline-inbound"
INBOUND_EXTEN = "12345"
FALLBACK_QUEUE = "hotline-fallback"
CALLBACK_PLACE = ("hotline-desk", "callback-ack")
MESSAGE_CONTEXT = "hotline-message"


@dataclass
class CelCall:
    """One citizen call as Asterisk saw it (times are epoch seconds)."""

    call_id: str
    caller: str
    channel: str
    started_at: float
    answered_at: float | None = None
    fallback_at: float | None = None
    ended_at: float | None = None
    end_context: str = ""
    end_exten: str = ""
    dialed: str = INBOUND_EXTEN
    """The number the citizen dialled: 12345 or one of the old hotline numbers merged into it (lines)."""

    @property
    def answered(self) -> bool:
        """Whether a person (an agent leg) was bridged with the caller."""
        return self.answered_at is not None

    @property
    def via_fallback(self) -> bool:
        """Whether the caller reached the static fallback queue."""
        return self.fallback_at is not None

    @property
    def callback(self) -> bool:
        """Whether the caller left after booking a callback (the ACD still owns the call)."""
        return (self.end_context, self.end_exten) == CALLBACK_PLACE

    @property
    def message(self) -> bool:
        """Whether the caller left a message (it becomes a work order through its own route)."""
        return self.end_context == MESSAGE_CONTEXT


def _is_citizen_answer(event: dict[str, Any]) -> bool:
    return (
        event.get("eventtype") == "ANSWER"
        and event.get("appname") == "Answer"
        and event.get("context") == INBOUND_CONTEXT
        and str(event.get("exten", "")).isdigit()
    )


class CelCalls:
    """Folds CEL events into citizen calls; ended calls are taken out with :meth:`pop_ended`."""

    def __init__(self) -> None:
        self._live: dict[str, CelCall] = {}
        self._by_channel: dict[str, CelCall] = {}
        self._ended: list[CelCall] = []

    def feed(self, event: dict[str, Any]) -> None:
        """Apply one CEL event (events of other channels are ignored)."""
        uniqueid = str(event.get("uniqueid", ""))
        at = float(event.get("eventtime") or 0.0)
        kind = event.get("eventtype")
        if kind == "BRIDGE_ENTER" and (joined := self._by_channel.get(str(event.get("peer", "")))):
            joined.answered_at = joined.answered_at or at
        call = self._live.get(uniqueid)
        if call is None:
            if _is_citizen_answer(event):
                call = CelCall(
                    call_id=uniqueid,
                    caller=str(event.get("num", "")),
                    channel=str(event.get("channame", "")),
                    started_at=at,
                    dialed=str(event.get("exten", "")),
                )
                self._live[uniqueid] = self._by_channel[call.channel] = call
            return
        if kind == "APP_START" and str(event.get("appdata", "")).startswith(FALLBACK_QUEUE):
            call.fallback_at = call.fallback_at or at
        elif kind == "BRIDGE_ENTER" and event.get("peer"):
            call.answered_at = call.answered_at or at
        elif kind == "HANGUP":
            call.ended_at = at
            call.end_context = str(event.get("context", ""))
            call.end_exten = str(event.get("exten", ""))
            self._by_channel.pop(call.channel, None)
            self._ended.append(self._live.pop(uniqueid))

    def pop_ended(self) -> list[CelCall]:
        """The calls that ended since the last call, in the order they ended."""
        ended, self._ended = self._ended, []
        return ended

    @property
    def live(self) -> list[CelCall]:
        """Calls Asterisk still has."""
        return list(self._live.values())


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of ``lines``; a line that is not one (cut short while being written) is skipped."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            log.warning("CEL line skipped (not JSON): %.120s", line)
            continue
        if isinstance(event, dict):
            yield event


def read_calls(path: Path) -> tuple[list[CelCall], list[CelCall]]:
    """Every citizen call in the file at ``path``: (ended, still live)."""
    calls = CelCalls()
    reader = CelReader(path, calls)
    reader.read()
    return calls.pop_ended(), calls.live


class CelReader:
    """Reads new complete lines of a CEL file into a :class:`CelCalls`, remembering where it stopped.

    With ``since`` (epoch seconds) the first read starts at the first line logged from then on, found by
    bisecting the file (lines are written in time order), so a long log is not read from its start."""

    def __init__(self, path: Path, calls: CelCalls, *, since: float | None = None) -> None:
        self.path = path
        self.calls = calls
        self.since = since
        self._offset = 0
        self._inode: int | None = None

    def read(self) -> int:
        """Feed every complete line written since the last read; how many events were read."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0
        count = 0
        with self.path.open("rb") as f:
            if stat.st_ino != self._inode or stat.st_size < self._offset:
                self._inode = stat.st_ino
                self._offset = 0 if self.since is None else first_line_since(f, stat.st_size, self.since)
            f.seek(self._offset)
            while chunk := f.read(CHUNK_BYTES):
                complete = chunk.rfind(b"\n") + 1
                if complete == 0:
                    break
                self._offset += complete
                f.seek(self._offset)
                for event in parse_lines(chunk[:complete].decode("utf-8", "replace").splitlines()):
                    self.calls.feed(event)
                    count += 1
        return count


CHUNK_BYTES = 4 * 1024 * 1024


def _time_of_line_after(f: BinaryIO, offset: int) -> float | None:
    """The event time of the first complete line starting after ``offset`` (None: none, or unreadable)."""
    f.seek(offset)
    if offset:
        f.readline()
    line = f.readline()
    if not line:
        return None
    try:
        return float(json.loads(line).get("eventtime") or 0.0)
    except (ValueError, AttributeError):
        return None


def first_line_since(f: BinaryIO, size: int, since: float) -> int:
    """The offset of a line start at or shortly before the first line logged at ``since`` or later."""
    lo, hi = 0, size
    while hi - lo > CHUNK_BYTES:
        mid = (lo + hi) // 2
        at = _time_of_line_after(f, mid)
        if at is None or at >= since:
            hi = mid
        else:
            lo = mid
    f.seek(lo)
    if lo:
        f.readline()
    return f.tell()
