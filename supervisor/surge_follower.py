"""Keeps this app node's ACD surge seats in line with the call flow's ``surge`` flag.

Surge mode is one switch for the whole centre: the flag lives in the database (the call flow's flags),
while the surge seats are state of each app node's ACD. The supervisor's switch sets both on the node
that served the request; every node (that one included, after a restart) follows the flag within
``interval_s``: when the flag and the node's ACD differ, the ACD is told (``SurgeMode``). The flag is
the truth, so an admin setting it alone through the flow API turns the seats with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from acd.events import SurgeMode
from acd.service import AcdService

log = logging.getLogger(__name__)

FOLLOW_INTERVAL_S = 3.0


class SurgeFollower:
    """Reads the flag (``flag``, blocking: run in a thread) and turns the ACD's surge seats to match."""

    def __init__(
        self, *, acd: AcdService, flag: Callable[[], bool | None], interval_s: float = FOLLOW_INTERVAL_S
    ) -> None:
        self._acd = acd
        self._flag = flag
        self._interval_s = interval_s

    async def follow_once(self) -> bool | None:
        """One comparison; the surge state the ACD was turned to, or None when nothing changed (or the
        flag could not be read: the database is down, the seats stay as they are)."""
        try:
            wanted = await asyncio.to_thread(self._flag)
        except Exception:
            log.warning("surge flag unreadable; the ACD's surge seats stay as they are", exc_info=True)
            return None
        if wanted is None or wanted == bool(self._acd.engine.routing.surge):
            return None
        self._acd.submit(SurgeMode(on=wanted))
        log.info("surge seats turned %s to follow the centre's surge flag", "on" if wanted else "off")
        return wanted

    async def run(self) -> None:
        """Follow until cancelled."""
        while True:
            await self.follow_once()
            await asyncio.sleep(self._interval_s)
