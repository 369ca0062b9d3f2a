"""Short-lived SIP credentials for the citizen sign-language page, on a fixed pool of guest endpoints.

Asterisk has guest endpoints ``sg01``..``sg20`` (``asterisk_conf/pjsip_guests.conf``) whose only
dialplan is the sign-language entry. Handing one out writes a random password for it into AstDB
(family ``hotline-pjsip/auth``, read by res_pjsip on every authentication, as for the agents' phones:
``hotline.sip_secrets``) and the slot's expiry into ``hotline/guest``; a slot whose expiry has passed
is free again. Revoking replaces the password by a random one nobody holds, so the credential stops
working at once. A slot keeps
its password while its call lasts (the INVITE was authenticated; nothing in the call asks again).

Several Asterisk nodes (Kamailio in front) each keep their own AstDB, and a guest's call may be
dispatched to any of them: every write goes to every connected node over its own AMI link, and a
credential is handed out only once every connected node holds it (else it is locked out again and the
issue fails). A slot counts as taken while any node says so. A node that (re)connects gets the guest
entries of a node that stayed up, so a password revoked or spent while it was away does not work there.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hotline import astdb
from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError, AmiNotConnected
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
        if len(ami.nodes) > 1:
            ami.on_node_connected(self.sync_node)

    async def issue(
        self,
        *,
        now: float,
        ttl_s: float,
        busy: frozenset[str] = frozenset(),
        claim: Callable[[str], Awaitable[bool]] | None = None,
    ) -> GuestCredential:
        """A fresh credential on a free slot (none of ``busy``: slots whose call still lasts), the one
        free the longest that ``claim`` grants: issues at one instant, on any app node, read the same
        expiries, and the claim keeps them from writing their passwords over one slot."""
        slots = await self._slots()
        free = [g for g in self._ids if g not in busy and slots.get(g, 0.0) <= now]
        free.sort(key=lambda g: slots.get(g, 0.0))
        user = await _first_claimed(free, claim)
        password = secrets.token_urlsafe(18)
        expires_at = now + ttl_s
        await self._put(SLOT_FAMILY, user, f"{expires_at:.0f}")
        try:
            await self._put(AUTH_FAMILY, user, auth_object(user, password))
        except AmiError:
            try:
                await self._lock_out(user)
            except AmiError as exc:
                log.warning("guest %s not locked out after a failed issue: %s", user, exc)
            raise
        return GuestCredential(user=user, password=password, expires_at=expires_at)

    async def revoke(self, user: str) -> None:
        """The credential of ``user`` stops working now and its slot is free."""
        await self._lock_out(user)
        await self._everywhere({"Action": "DBDel", "Family": SLOT_FAMILY, "Key": user}, absent_ok=True)

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

    async def sync_node(self, node: str) -> None:
        """``node`` (re)connected: give it the guest passwords and slots of a node that stayed up (it may
        hold a password revoked or spent while it was away); without such a node it keeps its own."""
        peers = [n for n in self._ami.nodes if n != node and self._ami.node_connected(n)]
        if not peers:
            return
        source, target = self._ami.for_node(peers[0]), self._ami.for_node(node)
        passwords = await astdb.tree(source, AUTH_FAMILY)
        for user in self._ids:
            if user in passwords:
                await astdb.put(target, AUTH_FAMILY, user, passwords[user])
            else:
                await astdb.put(target, AUTH_FAMILY, user, auth_object(user, secrets.token_urlsafe(24)))
        wanted, have = await astdb.tree(source, SLOT_FAMILY), await astdb.tree(target, SLOT_FAMILY)
        for user in self._ids:
            if user in wanted and have.get(user) != wanted[user]:
                await astdb.put(target, SLOT_FAMILY, user, wanted[user])
            elif user in have and user not in wanted:
                await target.send_action({"Action": "DBDel", "Family": SLOT_FAMILY, "Key": user})
        log.info("guest credentials on Asterisk node %s updated from %s", node, peers[0])

    async def _slots(self) -> dict[str, float]:
        """Each slot's expiry: the latest any connected node holds."""
        out: dict[str, float] = {}
        for node in self._up():
            for key, value in (await astdb.tree(self._ami.for_node(node), SLOT_FAMILY)).items():
                if key in self._ids and value.isdigit():
                    out[key] = max(out.get(key, 0.0), float(value))
        return out

    async def _put(self, family: str, key: str, value: str) -> None:
        await self._everywhere({"Action": "DBPut", "Family": family, "Key": key, "Val": value})

    def _up(self) -> list[str]:
        up = [n for n in self._ami.nodes if self._ami.node_connected(n)]
        if not up:
            raise AmiNotConnected("no Asterisk node connected for guest credentials")
        return up

    async def _everywhere(self, action: dict[str, str], *, absent_ok: bool = False) -> None:
        """Send ``action`` to every connected node, each over its own link; the first error (after all
        were tried) is raised, except a missing entry when ``absent_ok``."""
        results = await asyncio.gather(
            *(self._ami.for_node(n).send_action(action) for n in self._up()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, AmiError) and absent_ok and astdb.absent(result):
                continue
            if isinstance(result, BaseException):
                raise result


async def _first_claimed(free: list[str], claim: Callable[[str], Awaitable[bool]] | None) -> str:
    """The first of ``free`` that ``claim`` grants (the first when there is no claim)."""
    for user in free:
        if claim is None or await claim(user):
            return user
    raise PoolExhausted
