"""The sign-language video calls of guests: credentials, the call's progress, and giving up in time.

A citizen's page asks for a credential (``issue``) and gets a guest endpoint's SIP user and password
plus a ``token`` that keys the status route. The call announces itself from the dialplan
(``HotlineGuestCall`` with the guest's endpoint): from then on the password is spent (deleted, so the
credential serves one call) and the slot is held until the call's channel hangs up. While the call
waits, ``status`` reports its place in line and estimated wait from the ACD; when no signing agent is
signed in at all, or nobody took the call within ``wait_limit_s``, the service hangs the call up and
the status says ``no_agent``: the page then offers text chat or a callback, never a voice-only seat.

Grants live in this app process (the page talks to the node that issued its credential); the slots
and passwords live in Asterisk (``hotline.guest_pool``), so expiry also holds across app restarts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from acd.errors import AcdError
from acd.model import CallState
from acd.service import AcdService
from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError, AmiEvent
from hotline.guest_pool import GuestCredential, GuestPool
from hotline.guest_records import record_ended, record_started

__all__ = ["SIGN_QUEUE", "SIGN_SKILL", "Grant", "GuestService", "GuestStatus"]

log = logging.getLogger(__name__)

SIGN_QUEUE = "sign_video"
SIGN_SKILL = "sign_language"
HOLD_SLOT_S = 4 * 3600.0
"""How long a slot stays taken once its call started (released earlier when the call hangs up)."""
State = Literal["ready", "waiting", "ringing", "talking", "no_agent", "ended", "expired"]


@dataclass(slots=True)
class Grant:
    """One credential handed to one page, and the call made with it."""

    credential: GuestCredential
    token: str
    call_id: str = ""
    channel: str = ""
    started_at: float = 0.0
    answered: bool = False
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class GuestStatus:
    """What the page shows: the state and, while waiting, the place in line and estimated wait."""

    state: State
    position: int = 0
    ewt_s: float = 0.0
    waited_s: float = 0.0


class GuestService:
    """Issues guest credentials and follows their calls (AMI events, ACD state)."""

    def __init__(
        self,
        *,
        ami: AmiLink,
        acd: AcdService,
        sessions: sessionmaker[Session],
        ttl_s: float = 300.0,
        wait_limit_s: float = 180.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pool = GuestPool(ami)
        self.ttl_s = ttl_s
        self.wait_limit_s = wait_limit_s
        self._ami = ami
        self._acd = acd
        self._sessions = sessions
        self.clock = clock
        self._by_token: dict[str, Grant] = {}
        self._by_user: dict[str, Grant] = {}

    def install(self) -> None:
        """Follow guest calls on the AMI events."""
        self._ami.on_event("UserEvent", self._on_user_event)
        self._ami.on_event("BridgeEnter", self._on_bridge_enter)
        self._ami.on_event("Hangup", self._on_hangup)

    async def issue(self) -> Grant:
        """A new credential and its status token (PoolExhausted when every slot is taken)."""
        now = self.clock()
        busy = frozenset(u for u, g in self._by_user.items() if g.call_id and not g.outcome)
        credential = await self.pool.issue(now=now, ttl_s=self.ttl_s, busy=busy)
        old = self._by_user.pop(credential.user, None)
        if old is not None:
            self._by_token.pop(old.token, None)
        grant = Grant(credential=credential, token=secrets.token_urlsafe(24))
        self._by_token[grant.token] = grant
        self._by_user[credential.user] = grant
        return grant

    def grant(self, token: str) -> Grant | None:
        """The grant whose status token is ``token``."""
        return self._by_token.get(token)

    async def status(self, grant: Grant) -> GuestStatus:
        """Where the grant's call stands now; gives the call up when no signing agent can take it."""
        now = self.clock()
        if grant.outcome:
            return GuestStatus(state="no_agent" if grant.outcome == "no_agent" else "ended")
        if not grant.call_id:
            return GuestStatus(state="expired" if grant.credential.expires_at <= now else "ready")
        waited = now - grant.started_at
        call = self._acd.engine.store.get_call(grant.call_id)
        if (call is not None and call.state is CallState.CONNECTED) or grant.answered:
            return GuestStatus(state="talking", waited_s=waited)
        if call is not None and call.state is CallState.OFFERED:
            return GuestStatus(state="ringing", waited_s=waited)
        nobody = self._acd.engine.store.count_staffed(SIGN_SKILL) == 0
        if nobody or waited >= self.wait_limit_s:
            await self._give_up(grant, reason="nobody_signed_in" if nobody else "wait_limit")
            return GuestStatus(state="no_agent", waited_s=waited)
        try:
            position, ewt_s = self._acd.engine.position(grant.call_id)
        except AcdError:
            position, ewt_s = 0, 0.0
        return GuestStatus(state="waiting", position=position, ewt_s=ewt_s, waited_s=waited)

    async def sweep(self) -> list[str]:
        """Revoke the credentials that expired unused; the guest ids revoked."""
        now = self.clock()
        revoked = []
        for user in await self.pool.expired(now=now):
            await self.pool.revoke(user)
            revoked.append(user)
            grant = self._by_user.get(user)
            if grant is not None and not grant.call_id:
                self._by_user.pop(user, None)
        stale = [t for t, g in self._by_token.items() if g.credential.expires_at + HOLD_SLOT_S < now]
        for token in stale:
            self._by_token.pop(token, None)
        return revoked

    async def run_sweeps(self, *, every_s: float = 5.0) -> None:
        """Sweep every ``every_s`` seconds (AMI trouble is logged and retried)."""
        while True:
            try:
                await self.sweep()
            except AmiError as exc:
                log.info("guest credentials not swept (%s)", exc)
            await asyncio.sleep(every_s)

    async def _give_up(self, grant: Grant, *, reason: str) -> None:
        grant.outcome = "no_agent"
        log.info("video call %s given up (%s)", grant.call_id, reason)
        try:
            await self._ami.send_action({"Action": "Hangup", "Channel": grant.call_id, "Cause": "16"})
        except AmiError as exc:
            log.info("video call %s not hung up: %s", grant.call_id, exc)

    async def _on_user_event(self, event: AmiEvent) -> None:
        kind = event.get("UserEvent", "")
        grant = self._by_user.get(event.get("Guest", ""))
        if grant is None:
            return
        if kind == "HotlineGuestCall" and not grant.call_id:
            grant.call_id, grant.channel = event.get("Uniqueid", ""), event.get("Channel", "")
            grant.started_at = self.clock()
            await self._spend(grant)
            await asyncio.to_thread(self._record_start, grant)
        elif kind == "HotlineGuestGaveUp" and grant.call_id == event.get("Uniqueid", ""):
            grant.outcome = "no_agent"

    async def _spend(self, grant: Grant) -> None:
        """The password serves this one call: delete it, keep the slot taken while the call lasts."""
        user = grant.credential.user
        try:
            await self.pool.hold(user, until=grant.started_at + HOLD_SLOT_S)
        except AmiError as exc:
            log.warning("guest %s password not spent: %s", user, exc)

    def _on_bridge_enter(self, event: AmiEvent) -> None:
        for grant in self._by_user.values():
            if grant.call_id and grant.call_id == event.get("Uniqueid", "") and not grant.outcome:
                grant.answered = True

    async def _on_hangup(self, event: AmiEvent) -> None:
        call_id = event.get("Uniqueid", "")
        grant = next((g for g in self._by_user.values() if g.call_id and g.call_id == call_id), None)
        if grant is None:
            return
        if not grant.outcome:
            grant.outcome = "answered" if grant.answered else "left"
        self._by_user.pop(grant.credential.user, None)
        try:
            await self.pool.revoke(grant.credential.user)
        except AmiError as exc:
            log.warning("guest %s not released: %s", grant.credential.user, exc)
        await asyncio.to_thread(self._record_end, grant)

    def _record_start(self, grant: Grant) -> None:
        record_started(
            self._sessions, call_id=grant.call_id, guest=grant.credential.user, at=_utc(grant.started_at)
        )

    def _record_end(self, grant: Grant) -> None:
        record_ended(
            self._sessions,
            call_id=grant.call_id,
            outcome=grant.outcome,
            answered=grant.answered,
            at=_utc(self.clock()),
        )


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
