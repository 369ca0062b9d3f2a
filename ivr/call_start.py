"""What the IVR reads when a call enters it: the live flow pack, the admin switches and the caller.

All of it is read in one database transaction, in one worker-thread hop (the centre takes many calls a
second and each read of its own cost a session, a pooled connection's round trips and a hop). Nothing
is kept between calls but the parsed published versions (which never change): the live version's
number and the switches are asked afresh for every call, so a publish, a rollback or a switch set on
any node holds for the next call on every node. A failed read raises, as each of the separate reads
did: the route then leaves the dialplan to send the caller to the fallback queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog, LivePack
from ivr.flow import CallerAttributes


@dataclass(frozen=True, slots=True)
class CallStart:
    """What one call runs on: the live pack, the admin switch overrides and the caller's attributes."""

    pack: LivePack
    overrides: Mapping[str, bool]
    attributes: CallerAttributes

    def flags(self) -> dict[str, bool]:
        """The overrides of the flags the pack's main flow declares (others are ignored)."""
        declared = self.pack.main.flags
        return {k: v for k, v in self.overrides.items() if k in declared}


class CallStarts(Protocol):
    """Reads what a call needs at its start."""

    async def read(self, caller: str, *, call_id: str, now: datetime) -> CallStart:
        """The start of call ``call_id`` from ``caller`` at ``now``."""
        ...


class DbCallStarts:
    """``CallStart`` from the database, in one transaction and one worker-thread hop per call."""

    def __init__(
        self, *, sessions: sessionmaker[Session], catalog: FlowCatalog, directory: DbCallerDirectory
    ) -> None:
        self._sm = sessions
        self._catalog = catalog
        self._directory = directory

    def read_now(self, caller: str, *, call_id: str, now: datetime) -> CallStart:
        """Read in the calling thread (blocking)."""
        with self._sm() as s:
            pack = self._catalog.live_in(s)
            overrides = self._catalog.flags_in(s)
            attributes = self._directory.attributes_in(s, caller, call_id=call_id, now=now)
        return CallStart(pack, overrides, attributes)

    async def read(self, caller: str, *, call_id: str, now: datetime) -> CallStart:
        """Read in a worker thread."""
        return await asyncio.to_thread(self.read_now, caller, call_id=call_id, now=now)
