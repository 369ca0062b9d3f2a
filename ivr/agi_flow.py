"""FastAGI route ``ivr``: runs the menu on a live call and hands the caller to the ACD.

The handler only decides; Asterisk does the waiting. Whatever goes wrong here (a crash, a timeout, a
caller who hangs up), the dialplan still has a way to a person: without ``HOTLINE_ROUTE=acd`` it sends
the caller to the static fallback queue.
"""

from __future__ import annotations

import asyncio
import logging
import time

from hotline.bus import EventBus
from hotline.fastagi.server import AgiHangup, AgiSession
from ivr.menu import MenuOutcome, MenuSpec, route_keys

log = logging.getLogger(__name__)


class IvrRoute:
    """The FastAGI handler for the inbound menu, publishing what happens on the bus."""

    def __init__(self, *, bus: EventBus, menu: MenuSpec, overall_timeout: float = 120.0) -> None:
        self._bus = bus
        self._menu = menu
        self._overall_timeout = overall_timeout

    async def __call__(self, session: AgiSession) -> None:
        """Run the menu for one call and set the dialplan variables that route it."""
        call_id = session.uniqueid
        self._bus.publish(
            "call.ivr_started",
            {
                "call_id": call_id,
                "caller": session.caller_id,
                "channel": session.channel,
                "dialed": session.headers.get("agi_extension", ""),
                "at": time.time(),
            },
        )
        try:
            outcome = await asyncio.wait_for(self._run(session), self._overall_timeout)
        except AgiHangup:
            self._bus.publish("call.ivr_hangup", {"call_id": call_id, "at": time.time()})
            return
        except Exception:
            log.exception("IVR failed for %s; the dialplan falls back to a person", call_id)
            self._bus.publish("call.ivr_failed", {"call_id": call_id, "at": time.time()})
            return
        await self._hand_over(session, outcome)

    async def _run(self, session: AgiSession) -> MenuOutcome:
        menu = self._menu
        attempts: list[str] = []
        digit = await session.stream_file(menu.welcome_prompt, escape_digits=menu.keys)
        while True:
            if not digit:
                digit = await session.get_data(
                    menu.menu_prompt, timeout_ms=menu.digit_timeout_ms, max_digits=1
                )
            attempts.append(digit)
            outcome = route_keys(menu, attempts)
            if outcome is not None:
                return outcome
            digit = await session.stream_file(menu.invalid_prompt, escape_digits=menu.keys)

    async def _hand_over(self, session: AgiSession, outcome: MenuOutcome) -> None:
        try:
            await session.set_variable("HOTLINE_QUEUE", outcome.queue)
            await session.set_variable("HOTLINE_KEYS", outcome.keys)
            await session.set_variable("HOTLINE_PRIORITY", str(outcome.priority))
            await session.set_variable("HOTLINE_FLOW_VERSION", self._menu.version)
            await session.set_variable("HOTLINE_ROUTE", "acd")
        except AgiHangup:
            self._bus.publish("call.ivr_hangup", {"call_id": session.uniqueid, "at": time.time()})
            return
        self._bus.publish(
            "call.ivr_finished",
            {
                "call_id": session.uniqueid,
                "queue": outcome.queue,
                "keys": outcome.keys,
                "reason": str(outcome.reason),
                "flow_version": self._menu.version,
                "at": time.time(),
            },
        )
