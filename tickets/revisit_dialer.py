"""Revisit calls through Asterisk: the scheduler launches due attempts, the dialer originates them.

The dialer originates ``HOTLINE_EXTERNAL_DIAL`` for the citizen's number into ``[hotline-revisit]``
(``asterisk_conf/extensions.conf``), whose FastAGI route ``revisit`` (``ivr.revisit_route``) asks the
questions. The ``OriginateResponse`` of the attempt (ActionID ``revisit-<attempt id>``) says whether the
citizen picked up: a failure is a ``no_answer``/``busy`` attempt (or ``failed`` when the centre's side
could not place the call); a success moves it to ``answered`` and the IVR lands the answers. The
scheduler runs on every app node; the database's unique attempt number keeps two nodes from calling
the same citizen, and the number of calls under way over all nodes is kept within ``concurrency``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime

from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError, AmiEvent
from hotline.dialing import DialError, dial_string
from privacy.masking import for_log, mask_number, masked_connected_line
from tickets import revisit_store as store
from tickets.revisit import RevisitService
from tickets.revisit_rules import failure_outcome
from tickets.revisit_store import AttemptRow
from tickets.vocab import Satisfaction

log = logging.getLogger(__name__)

CONTEXT = "hotline-revisit"
ACTION_PREFIX = "revisit-"
CALLER_ID = '"12345 回访" <12345>'
CONNECT_POLL_S = 1.0


def action_id(attempt_id: int) -> str:
    """The Originate ActionID (and ``;1`` channel id) of attempt ``attempt_id``."""
    return f"{ACTION_PREFIX}{attempt_id}"


def attempt_of(action: str) -> int | None:
    """The attempt id an ActionID names, or None for someone else's Originate."""
    if not action.startswith(ACTION_PREFIX):
        return None
    rest = action[len(ACTION_PREFIX) :]
    return int(rest) if rest.isdigit() else None


class RevisitDialer:
    """Places revisit calls and turns their ``OriginateResponse`` into attempt outcomes."""

    def __init__(
        self,
        *,
        ami: AmiLink,
        service: RevisitService,
        external_dial: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._ami = ami
        self._service = service
        self._external_dial = external_dial
        self._clock = clock

    def install(self) -> None:
        """Listen for the outcome of our Originates."""
        self._ami.on_event("OriginateResponse", self.on_originate_response)

    async def call(self, attempt: AttemptRow) -> None:
        """Originate the attempt's call; a call that cannot be placed ends the attempt as ``failed``."""
        try:
            channel = dial_string(self._external_dial, attempt.number)
            await self._ami.originate(
                channel=channel,
                context=CONTEXT,
                exten="s",
                priority=1,
                caller_id=CALLER_ID,
                variables={
                    "HOTLINE_REVISIT_ATTEMPT": str(attempt.id),
                    "HOTLINE_REVISIT_ORDER": attempt.order_number,
                },
                channel_id=action_id(attempt.id),
                other_channel_id=f"{action_id(attempt.id)}-2",
                timeout_ms=int(self._service.policy.ring_timeout_s * 1000),
                action_id=action_id(attempt.id),
            )
        except (AmiError, DialError) as exc:
            log.warning("revisit call %s to %s not placed: %s", attempt.id, for_log(attempt.number), exc)
            await asyncio.to_thread(self._service.not_reached, attempt.id, "failed", self._clock(), str(exc))

    async def ring_agent_first(self, *, contact: str, agent_id: str, number: str, order_number: str) -> str:
        """An agent's revisit by phone: ring the agent's phone; when they answer, ``[hotline-desk]
        callback`` dials the citizen. The phone shows the order and the masked number, never the whole
        number. The agent records the result by hand afterwards. Returns the ActionID."""
        leg = f"revisit-agent-{secrets.token_hex(6)}"
        shown = mask_number(number)
        await self._ami.originate(
            channel=contact,
            context="hotline-desk",
            exten="callback",
            priority=1,
            caller_id=f'"回访 {order_number} {shown}" <{shown}>',
            variables={
                "HOTLINE_CALL_ID": leg,
                "HOTLINE_AGENT_ID": agent_id,
                "HOTLINE_DIAL": dial_string(self._external_dial, number),
                **masked_connected_line(number),
            },
            channel_id=leg,
            other_channel_id=f"{leg}-2",
            timeout_ms=int(self._service.policy.ring_timeout_s * 1000),
            action_id=leg,
        )
        return leg

    async def on_originate_response(self, event: AmiEvent) -> None:
        """The citizen picked up (the IVR takes over) or the call failed."""
        attempt_id = attempt_of(event.get("ActionID", ""))
        if attempt_id is None:
            return
        now = self._clock()
        if event.get("Response") == "Success":
            await asyncio.to_thread(self._service.answered, attempt_id, now)
            return
        reason = event.get("Reason", "")
        outcome = failure_outcome(reason)
        await asyncio.to_thread(self._service.not_reached, attempt_id, outcome, now, f"reason {reason}")


class IvrAnswers:
    """What the revisit IVR (``ivr.revisit_route.RevisitAnswers``) needs, backed by the service."""

    def __init__(self, service: RevisitService, clock: Callable[[], datetime]) -> None:
        self._service = service
        self._clock = clock

    async def answered(self, attempt_id: int) -> str | None:
        """Mark the attempt answered; the number of the order its citizen asked about."""
        row = await asyncio.to_thread(self._service.answered, attempt_id, self._clock(), in_ivr=True)
        return None if row is None else row.order_number

    async def finished(self, attempt_id: int, *, solved: bool | None, satisfaction: str | None) -> None:
        """Land the answers (or the silence) on the attempt and the order."""
        rating = None if satisfaction is None else Satisfaction(satisfaction)
        await asyncio.to_thread(
            self._service.phone_result, attempt_id, solved=solved, satisfaction=rating, now=self._clock()
        )


class RevisitScheduler:
    """Every ``tick_s`` seconds: give up stale attempts, then launch the due ones within the limit."""

    def __init__(
        self, *, service: RevisitService, dialer: RevisitDialer, ami: AmiLink, clock: Callable[[], datetime]
    ) -> None:
        self._service = service
        self._dialer = dialer
        self._ami = ami
        self._clock = clock

    async def tick(self) -> list[AttemptRow]:
        """One pass; the attempts launched."""
        now = self._clock()
        await asyncio.to_thread(self._service.sweep, now)
        if not self._ami.connected:
            return []
        busy = len(await asyncio.to_thread(store.under_way, self._service.sessions))
        free = self._service.policy.concurrency - busy
        if free <= 0:
            return []
        launched: list[AttemptRow] = []
        for item in await asyncio.to_thread(self._service.due, now):
            if len(launched) >= free:
                break
            attempt = await asyncio.to_thread(self._service.start_call, item, now)
            if attempt is None:
                continue
            launched.append(attempt)
            await self._dialer.call(attempt)
        return launched

    async def run(self) -> None:
        """Tick for ever, once Asterisk is reachable (checked every second, so the first pass after a
        start or an outage is not a whole tick late); a failing pass is logged and the next one runs."""
        while True:
            if not self._ami.connected:
                await asyncio.sleep(CONNECT_POLL_S)
                continue
            try:
                await self.tick()
            except Exception:
                log.exception("revisit scheduler pass failed")
            await asyncio.sleep(self._service.policy.tick_s)
