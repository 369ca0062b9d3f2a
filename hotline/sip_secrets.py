"""Random SIP passwords for agent phones, kept in Asterisk and rotated when their user changes.

Where they live: Asterisk's own database (AstDB), family ``hotline-pjsip/auth``, key = extension, value =
the PJSIP auth object as JSON. ``asterisk_conf/sorcery.conf`` makes res_pjsip read auth objects from
there on every authentication, so a password written over AMI (DBPut) applies at once, with no reload or
restart, and the password that it replaces stops working at once. No password is derived from anything,
none is in a config file, and an extension that was never handed out has none (nobody can register it).

Who holds one: ``hotline/sip-owner`` records, per extension, the owner the current password was handed
to: the user's id and a fingerprint of their record (phone, role, password hash). A user who asks for
their phone (after signing in) gets the current password only if they are its recorded owner; anyone
else gets a new one, which locks the previous holder out. :meth:`SipSecrets.reconcile` rotates every
extension whose owner is no longer a user entitled to it (the user was removed, changed phone, role or
password), so a former agent's password stops working within one check interval even if nobody else
takes the phone. Several app nodes share one Asterisk and so share these records.

Where phones register at a Kamailio front (the cluster layout), it checks the same passwords: every
rotation is told to the listeners added with :meth:`SipSecrets.on_rotated` (hotline.kamailio.phone_passwords),
and :meth:`SipSecrets.held_passwords` is what the front should hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Protocol

from hotline import astdb
from hotline.ami.link import AmiLink
from hotline.ami.messages import AmiError

__all__ = [
    "AUTH_FAMILY",
    "OWNER_FAMILY",
    "SipSecrets",
    "UserRecord",
    "entitled_owners",
    "keep_owners_entitled",
    "owner_of",
]

log = logging.getLogger(__name__)

RotationListener = Callable[[str, str | None], Awaitable[None]]
"""Told ``(extension, new password)`` after a rotation; the password is None when nobody holds it."""

AUTH_FAMILY = "hotline-pjsip/auth"
OWNER_FAMILY = "hotline/sip-owner"
META_FAMILY = "hotline/sip-meta"
GENERATION_KEY = "generation"
"""When the passwords last changed (ns since the epoch): with several nodes the newest copy wins."""
CONTACT_PREFIX = "PJSIP/"
CONTACT_FAMILY = "registrar/contact"
"""Where res_pjsip keeps registered contacts (sorcery ``contact=astdb,registrar``), key ``<aor>;@<hash>``."""


def owner_of(user_id: str, *, contact: str, role: str, password_hash: str | None) -> str:
    """The owner mark of a user record: their id and a fingerprint of what makes them entitled."""
    material = "\n".join((user_id, contact, role, password_hash or ""))
    return f"{user_id}:{hashlib.sha256(material.encode()).hexdigest()[:20]}"


def extension_of(user_id: str, contact: str) -> str:
    """The extension of a user's browser phone: ``PJSIP/<ext>`` or, without a contact, their id."""
    if contact:
        return contact.removeprefix(CONTACT_PREFIX) if contact.startswith(CONTACT_PREFIX) else ""
    return user_id


def entitled_owners(users: Iterable[tuple[str, str, str, str | None]]) -> dict[str, set[str]]:
    """Per extension, the owner marks of the users entitled to it, from (id, contact, role, hash) rows."""
    out: dict[str, set[str]] = {}
    for user_id, contact, role, password_hash in users:
        extension = extension_of(user_id, contact)
        if extension:
            mark = owner_of(user_id, contact=contact, role=role, password_hash=password_hash)
            out.setdefault(extension, set()).add(mark)
    return out


def auth_object(extension: str, password: str) -> str:
    """The JSON of the PJSIP auth object res_sorcery_astdb reads (every value a string)."""
    return json.dumps({"auth_type": "userpass", "username": extension, "password": password})


class SipSecrets:
    """Reads, hands out and rotates the agent phones' SIP passwords over AMI."""

    def __init__(self, ami: AmiLink) -> None:
        self._ami = ami
        self._listeners: list[RotationListener] = []
        if len(ami.nodes) > 1:
            ami.on_node_connected(self.sync_node)

    async def sync_node(self, node: str) -> None:
        """Several Asterisk nodes each keep their own AstDB: a node that (re)connects may have missed
        rotations made while it was away (a former agent could still register there), or may hold the
        newest ones. Every connected node older than the newest (``GENERATION_KEY``, written with each
        rotation) gets the newest node's passwords and owners; what the newest does not have is removed."""
        up = [n for n in self._ami.nodes if self._ami.node_connected(n)]
        generations = {n: await self._generation(n) for n in up}
        if len(generations) < 2:
            return
        newest = max(generations, key=lambda n: generations[n])
        for stale in (n for n in up if generations[n] < generations[newest]):
            changed = await _copy_families(self._ami.for_node(newest), self._ami.for_node(stale))
            log.warning(
                "SIP passwords on Asterisk node %s were stale (%d entries); updated from %s",
                stale,
                changed,
                newest,
            )

    def on_rotated(self, listener: RotationListener) -> None:
        """Call ``listener`` after each rotation made through this store (its failures are logged)."""
        self._listeners.append(listener)

    async def generation(self) -> int:
        """When the passwords last changed (ns since the epoch; 0: never), as the default node has it."""
        value = (await astdb.tree(self._ami, META_FAMILY)).get(GENERATION_KEY, "0")
        return int(value) if value.isdigit() else 0

    async def held_passwords(self) -> dict[str, str]:
        """The password of every extension somebody holds (an extension rotated to nobody has none)."""
        owners = await self.owners()
        held: dict[str, str] = {}
        for extension, stored in (await astdb.tree(self._ami, AUTH_FAMILY)).items():
            if owners.get(extension, "-") == "-":
                continue
            with contextlib.suppress(ValueError, AttributeError):
                password = json.loads(stored).get("password")
                if isinstance(password, str) and password:
                    held[extension] = password
        return held

    async def _generation(self, node: str) -> int:
        value = (await astdb.tree(self._ami.for_node(node), META_FAMILY)).get(GENERATION_KEY, "0")
        return int(value) if value.isdigit() else 0

    async def password_for(self, extension: str, owner: str) -> str:
        """The password of ``extension`` for ``owner``; a new one unless ``owner`` holds the current one."""
        if await self._get(OWNER_FAMILY, extension) == owner:
            stored = await self._get(AUTH_FAMILY, extension)
            if stored is not None:
                password = json.loads(stored).get("password")
                if isinstance(password, str) and password:
                    return password
        return await self.rotate(extension, owner=owner)

    async def rotate(self, extension: str, *, owner: str = "") -> str:
        """Give ``extension`` a new random password (held by ``owner``; nobody when empty); returns it."""
        password = secrets.token_urlsafe(18)
        await self._put(AUTH_FAMILY, extension, auth_object(extension, password))
        await self._put(OWNER_FAMILY, extension, owner or "-")
        await self._put(META_FAMILY, GENERATION_KEY, str(time.time_ns()))
        log.info("SIP password of extension %s rotated", extension)
        for listener in self._listeners:
            try:
                await listener(extension, password if owner else None)
            except Exception:
                log.exception("the rotation of extension %s was not passed on", extension)
        return password

    async def owners(self) -> dict[str, str]:
        """The recorded owner of every extension handed out so far."""
        return await astdb.tree(self._ami, OWNER_FAMILY)

    async def reconcile(self, entitled: Mapping[str, set[str]]) -> list[str]:
        """Rotate (to nobody) every extension whose owner is not among ``entitled[ext]``; the rotated ones."""
        rotated = []
        for extension, owner in sorted((await self.owners()).items()):
            if owner != "-" and owner not in entitled.get(extension, set()):
                await self.rotate(extension)
                rotated.append(extension)
        return rotated

    async def retire(self, extension: str) -> int:
        """Lock ``extension`` out at once (a user was disabled): a new password nobody holds, and every
        contact registered for it removed on every connected Asterisk node, so calls no longer reach the
        phone and it cannot register again. How many contacts were removed."""
        await self.rotate(extension)
        return await self.remove_contacts(extension)

    async def remove_contacts(self, extension: str) -> int:
        """Delete the registered contacts of ``extension``'s AOR on every connected node; how many."""
        removed = 0
        for node in (n for n in self._ami.nodes if self._ami.node_connected(n)):
            link = self._ami.for_node(node)
            for key in await astdb.tree(link, CONTACT_FAMILY):
                if key.split(";@", 1)[0] == extension:
                    await link.send_action({"Action": "DBDel", "Family": CONTACT_FAMILY, "Key": key})
                    removed += 1
        if removed:
            log.warning("removed %d registered contact(s) of extension %s", removed, extension)
        return removed

    async def _get(self, family: str, key: str) -> str | None:
        try:
            events = await self._ami.send_action_list(
                {"Action": "DBGet", "Family": family, "Key": key}, complete_event="DBGetComplete"
            )
        except AmiError as exc:
            if astdb.absent(exc):
                return None
            raise
        values = [str(e.get("Val", "")) for e in events if e.get("Event") == "DBGetResponse"]
        return values[0] if values else None

    async def _put(self, family: str, key: str, value: str) -> None:
        await astdb.put(self._ami, family, key, value)


async def _copy_families(source: AmiLink, target: AmiLink) -> int:
    """Make ``target``'s password, owner and generation entries those of ``source``; entries changed."""
    changed = 0
    for family in (AUTH_FAMILY, OWNER_FAMILY, META_FAMILY):
        wanted, have = await astdb.tree(source, family), await astdb.tree(target, family)
        for key, value in wanted.items():
            if have.get(key) != value:
                await target.send_action({"Action": "DBPut", "Family": family, "Key": key, "Val": value})
                changed += 1
        for key in have.keys() - wanted.keys():
            await target.send_action({"Action": "DBDel", "Family": family, "Key": key})
            changed += 1
    return changed


class UserRecord(Protocol):
    """The fields of a user that decide which phone they are entitled to (hotline.db AgentRow)."""

    @property
    def agent_id(self) -> str: ...
    @property
    def contact(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def password_hash(self) -> str | None: ...


async def keep_owners_entitled(
    store: SipSecrets, users: Callable[[], Iterable[UserRecord]], *, every_s: float
) -> None:
    """Every ``every_s``, rotate the password of each extension whose holder is no longer entitled to it
    (``users`` is called in a worker thread and returns every user record)."""
    while True:
        try:
            rows = await asyncio.to_thread(lambda: list(users()))
            entitled = entitled_owners((r.agent_id, r.contact, r.role, r.password_hash) for r in rows)
            rotated = await store.reconcile(entitled)
        except AmiError as exc:
            log.info("SIP password holders not checked (%s); next try in %.0f s", exc, every_s)
        else:
            if rotated:
                log.warning("SIP passwords rotated for extensions no longer held: %s", ", ".join(rotated))
        await asyncio.sleep(every_s)
