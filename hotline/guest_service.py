"""The sign-language video calls of guests: credentials, the call's progress, and giving up in time.

A citizen's page asks for a credential (``issue``) and gets a guest endpoint's SIP user and password
plus a ``token`` that keys the status route. The call announces itself from the dialplan
(``HotlineGuestCall`` with the guest's endpoint): from then on the password is spent (deleted, so the
credential serves one call) and the slot is held until the call's channel hangs up. While the call
waits, ``status`` reports its place in line and estimated wait from the ACD; when no signing agent is
signed in at all, or nobody took the call within ``wait_limit_s``, the service hangs the call up and
the status says ``no_agent``: the page then offers text chat or a callback, never a voice-only seat.

Grants live in Redis when the centre has one (hotline.guest_grants), so the page's status requests
may reach any app node, and of the nodes hearing one AMI event exactly one acts on it; in memory
otherwise. The slots and passwords live in Asterisk (``hotline.guest_pool``), so expiry also holds
across app restarts.
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
from hotline.guest_grants import Grant, GrantStore, MemoryGrants
from hotline.guest_pool import GUEST_IDS, GuestPool
from hotline.guest_records import record_ended, record_started

__all__ = ["SIGN_QUEUE", "SIGN_SKILL", "Grant", "GuestService", "GuestStatus"]

log = logging.getLogger(__name__)

SIGN_QUEUE = "sign_video"
SIGN_SKILL = "sign_language"
HOLD_SLOT_S = 4 * 3600.0
"""How long a slot stays taken once its call started (released earlier when the call hangs up)."""
CLAIM_S = 30.0
"""How long an issue reserves the slot it picked: it has written the slot's expiry into Asterisk by
then, which keeps the slot taken from there on."""
State = Literal["ready", "waiting", "ringing", "talking", "no_agent", "ended", "expired"]


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
        grants: GrantStore | None = None,
    ) -> None:
        self.pool = GuestPool(ami)
        self.ttl_s = ttl_s
        self.wait_limit_s = wait_limit_s
        self._ami = ami
        self._acd = acd
        self._sessions = sessions
        self.clock = clock
        self.grants: GrantStore = grants or MemoryGrants(keep_s=HOLD_SLOT_S)
        self._events = asyncio.Lock()
        """AMI callbacks run as concurrent tasks: this keeps one call's events in their order."""

    def install(self) -> None:
        """Follow guest calls on the AMI events."""
        self._ami.on_event("UserEvent", self._on_user_event)
        self._ami.on_event("BridgeEnter", self._on_bridge_enter)
        self._ami.on_event("Hangup", self._on_hangup)

    async def issue(self) -> Grant:
        """A new credential and its status token (PoolExhausted when every slot is taken)."""
        now = self.clock()
        busy = await self.grants.busy(GUEST_IDS)
        claimed: list[str] = []

        async def claim(user: str) -> bool:
            if await self.grants.claim(user, hold_s=CLAIM_S):
                claimed.append(user)
                return True
            return False

        try:
            credential = await self.pool.issue(now=now, ttl_s=self.ttl_s, busy=busy, claim=claim)
        except BaseException:
            for user in claimed:
                await self.grants.release(user)
            raise
        grant = Grant(credential=credential, token=secrets.token_urlsafe(24))
        await self.grants.add(grant)
        return grant

    async def grant(self, token: str) -> Grant | None:
        """The grant whose status token is ``token``, as it stands now."""
        return await self.grants.by_token(token)

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
            await self.grants.drop_unused(user)
        await self.grants.forget_stale(now)
        return revoked

    async def run_sweeps(self, *, every_s: float = 5.0) -> None:
        """Sweep every ``every_s`` seconds (AMI trouble is logged and retried); when cancelled (the
        centre stops), close the grant store."""
        try:
            while True:
                try:
                    await self.sweep()
                except AmiError as exc:
                    log.info("guest credentials not swept (%s)", exc)
                await asyncio.sleep(every_s)
        finally:
            await self.grants.close()

    async def _give_up(self, grant: Grant, *, reason: str) -> None:
        if not await self.grants.settle(grant.token, "no_agent"):
            return
        log.info("video call %s given up (%s)", grant.call_id, reason)
        try:
            await self._ami.send_action({"Action": "Hangup", "Channel": grant.call_id, "Cause": "16"})
        except AmiError as exc:
            log.info("video call %s not hung up: %s", grant.call_id, exc)

    async def _on_user_event(self, event: AmiEvent) -> None:
        kind = event.get("UserEvent", "")
        if kind not in ("HotlineGuestCall", "HotlineGuestGaveUp"):
            return
        async with self._events:
            await self._on_guest_event(kind, event)

    async def _on_guest_event(self, kind: str, event: AmiEvent) -> None:
        grant = await self.grants.by_user(event.get("Guest", ""))
        if grant is None:
            return
        call_id = event.get("Uniqueid", "")
        if kind == "HotlineGuestCall" and not grant.call_id:
            at = self.clock()
            if await self.grants.start(grant.token, call_id=call_id, channel=event.get("Channel", ""), at=at):
                await self._spend(grant.credential.user, started_at=at)
                await asyncio.to_thread(self._record_start, call_id, grant.credential.user, at)
        elif kind == "HotlineGuestGaveUp" and grant.call_id == call_id:
            await self.grants.settle(grant.token, "no_agent")

    async def _spend(self, user: str, *, started_at: float) -> None:
        """The password serves this one call: delete it, keep the slot taken while the call lasts."""
        try:
            await self.pool.hold(user, until=started_at + HOLD_SLOT_S)
        except AmiError as exc:
            log.warning("guest %s password not spent: %s", user, exc)

    async def _on_bridge_enter(self, event: AmiEvent) -> None:
        async with self._events:
            grant = await self.grants.by_call(event.get("Uniqueid", ""))
            if grant is not None:
                await self.grants.answer(grant.token)

    async def _on_hangup(self, event: AmiEvent) -> None:
        async with self._events:
            found = await self.grants.by_call(event.get("Uniqueid", ""))
            grant = None if found is None else await self.grants.finish(found.token)
        if grant is None:
            return
        try:
            await self.pool.revoke(grant.credential.user)
        except AmiError as exc:
            log.warning("guest %s not released: %s", grant.credential.user, exc)
        await asyncio.to_thread(self._record_end, grant)

    def _record_start(self, call_id: str, guest: str, at: float) -> None:
        record_started(self._sessions, call_id=call_id, guest=guest, at=_utc(at))

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
