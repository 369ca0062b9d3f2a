"""Short-lived SIP credentials for the citizen sign-language page, on a fixed pool of guest endpoints.

Asterisk has guest endpoints ``sg01``..``sg20`` (``asterisk_conf/pjsip_guests.conf``) whose only
dialplan is the sign-language entry. Handing one out writes a random password for it into AstDB
(family ``hotline-pjsip/auth``, read by res_pjsip on every authentication, as for the agents' phones:
``hotline.sip_secrets``) and the slot's expiry into ``hotline/guest``; a slot whose expiry has passed
is free again. Revoking replaces the password by a random one nobody holds, so the credential stops
working at once. A slot keeps
its password while its call lasts (the INVITE was authenticated; nothing in the call asks again).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError
from hotline.sip_secrets import AUTH_FAMILY, auth_object

__all__ = ["GUEST_IDS", "SLOT_FAMILY", "GuestCredential", "GuestPool", "PoolExhausted"]

log = logging.getLogger(__name__)

GUEST_IDS = tuple(f"sg{n:02d}" for n in range(1, 21))
"""The guest endpoints of pjsip_guests.conf."""
SLOT_FAMILY = "hotline/guest"
"""AstDB family: guest id -> epoch second its current credential expires."""


class PoolExhausted(Exception):
    """Every guest endpoint is handed out and none has expired."""


@dataclass(frozen=True, slots=True)
class GuestCredential:
    """A guest endpoint's SIP user and password, valid until ``expires_at`` (epoch seconds)."""

    user: str
    password: str
    expires_at: float


class GuestPool:
    """Hands out, revokes and expires the guest endpoints' credentials over AMI."""

    def __init__(self, ami: AmiLink, *, ids: tuple[str, ...] = GUEST_IDS) -> None:
        self._ami = ami
        self._ids = ids

    async def issue(self, *, now: float, ttl_s: float, busy: frozenset[str] = frozenset()) -> GuestCredential:
        """A fresh credential on a free slot (none of ``busy``: slots whose call still lasts)."""
        slots = await self._slots()
        free = [g for g in self._ids if g not in busy and slots.get(g, 0.0) <= now]
        if not free:
            raise PoolExhausted
        user = min(free, key=lambda g: slots.get(g, 0.0))
        password = secrets.token_urlsafe(18)
        expires_at = now + ttl_s
        await self._put(SLOT_FAMILY, user, f"{expires_at:.0f}")
        await self._put(AUTH_FAMILY, user, auth_object(user, password))
        return GuestCredential(user=user, password=password, expires_at=expires_at)

    async def revoke(self, user: str) -> None:
        """The credential of ``user`` stops working now and its slot is free."""
        await self._lock_out(user)
        try:
            await self._ami.send_action({"Action": "DBDel", "Family": SLOT_FAMILY, "Key": user})
        except AmiError as exc:
            if not _absent(exc):
                raise

    async def _lock_out(self, user: str) -> None:
        """Replace the password of ``user`` by one nobody knows (a missing auth object would make
        Asterisk answer 500 instead of refusing the credentials)."""
        await self._put(AUTH_FAMILY, user, auth_object(user, secrets.token_urlsafe(24)))

    async def hold(self, user: str, *, until: float) -> None:
        """The password of ``user`` is spent but its slot stays taken until ``until``."""
        await self._put(SLOT_FAMILY, user, f"{until:.0f}")
        await self._lock_out(user)

    async def expired(self, *, now: float) -> list[str]:
        """The handed-out slots whose expiry has passed."""
        return sorted(g for g, until in (await self._slots()).items() if until <= now)

    async def _slots(self) -> dict[str, float]:
        try:
            events = await self._ami.send_action_list(
                {"Action": "DBGetTree", "Family": SLOT_FAMILY}, complete_event="DBGetTreeComplete"
            )
        except AmiError as exc:
            if _absent(exc):
                return {}
            raise
        out: dict[str, float] = {}
        for event in events:
            if event.get("Event") != "DBGetTreeResponse":
                continue
            key = str(event.get("Key", "")).rsplit("/", 1)[-1]
            value = str(event.get("Val", ""))
            if key in self._ids and value.isdigit():
                out[key] = float(value)
        return out

    async def _put(self, family: str, key: str, value: str) -> None:
        await self._ami.send_action({"Action": "DBPut", "Family": family, "Key": key, "Val": value})


def _absent(exc: AmiError) -> bool:
    """Whether AMI refused because the AstDB entry or family is not there."""
    text = f"{exc} {exc.details}".lower()
    return "not found" in text or "could not be deleted" in text
