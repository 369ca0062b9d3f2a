"""FastAGI route ``position``: tells the hold loop what to say about the caller's place in line.

The route does not play the announcement itself. It sets ``HOTLINE_ANNOUNCE`` to the prompt files
joined by ``&`` and returns within milliseconds; the dialplan plays them with ``Background()``,
exactly like the hold options. So key 1 during the announcement books a callback through the same
``1`` extension, an agent leg's ``Bridge()`` picks the caller out of it as out of any other prompt,
and the service never holds a waiting caller's channel for the length of a sentence.

A call the ACD does not know gets nothing. On entry to the queue (argument ``entry``) the route
first gives the ACD a moment to learn the call, because the ``HotlineQueued`` AMI event and this
FastAGI connection race each other. A call that is known but no longer waiting gets nothing at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import NamedTuple

from acd.errors import AcdError, UnknownCall
from acd.events import PositionQuery
from acd.service import AcdService
from hotline.fastagi.session import AgiSession
from ivr.player import PROMPT_DIR
from ivr.position_speech import announcement

log = logging.getLogger(__name__)

ANNOUNCE_VARIABLE = "HOTLINE_ANNOUNCE"
ENTRY_ARGUMENT = "entry"


class Standing(NamedTuple):
    """Where a call the ACD knows stands: 1-based ``position`` (0: not waiting) and wait estimate."""

    position: int
    ewt_s: float


PositionLookup = Callable[[str], Standing | None]
"""Call id -> its standing, or None when the ACD has no such call."""


def acd_position(acd: AcdService) -> PositionLookup:
    """Ask ``acd`` for a call's standing; a waiting call's query also publishes ``call.position``."""

    def position_of(call_id: str) -> Standing | None:
        try:
            place, ewt_s = acd.engine.position(call_id)
        except UnknownCall:
            return None
        except AcdError:
            return Standing(0, 0.0)
        acd.submit_quietly(PositionQuery(call_id=call_id))
        return Standing(place, ewt_s)

    return position_of


def announce_value(prompt_ids: list[str]) -> str:
    """The ``Background()`` argument that plays ``prompt_ids`` in order."""
    return "&".join(f"{PROMPT_DIR}/{prompt}" for prompt in prompt_ids)


class PositionRoute:
    """FastAGI route ``position`` (argument ``entry`` on the caller's first pass through the loop)."""

    def __init__(self, *, position_of: PositionLookup, settle_s: float = 1.0, poll_s: float = 0.05) -> None:
        self._position_of = position_of
        self._settle_s = settle_s
        self._poll_s = poll_s

    async def standing(self, call_id: str, *, entry: bool) -> Standing | None:
        """The call's standing; on entry, waits up to ``settle_s`` for the ACD to learn the call."""
        retries = math.ceil(self._settle_s / self._poll_s) if entry else 0
        for _ in range(retries):
            if (found := self._position_of(call_id)) is not None:
                return found
            await asyncio.sleep(self._poll_s)
        return self._position_of(call_id)

    async def __call__(self, session: AgiSession) -> None:
        """Set ``HOTLINE_ANNOUNCE`` for a waiting caller; leave it unset otherwise."""
        entry = ENTRY_ARGUMENT in session.args
        found = await self.standing(session.uniqueid, entry=entry)
        if found is None:
            log.debug("position: call %s is not in the ACD; nothing announced", session.uniqueid)
            return
        prompts = announcement(found.position, found.ewt_s)
        if prompts:
            await session.set_variable(ANNOUNCE_VARIABLE, announce_value(prompts))
