"""The agents' phone passwords at the Kamailio front(s), where phones register in the cluster layout.

Kamailio checks a REGISTER against the htable ``phones`` (extension -> SIP password, route[REGISTRAR]
of ``kamailio_conf/kamailio.cfg``); the passwords themselves live in Asterisk (hotline.sip_secrets).
The app keeps the front in step over its JSON-RPC (``HOTLINE_KAMAILIO_RPC_URLS``):

- at once, when this app node rotates an extension's password (sign-in of a new holder, a disabled or
  changed user): the new password is set, or the entry removed when nobody holds it, and the
  extension's registered contacts are removed from the location table, so calls through the front no
  longer reach a phone registered with the old password;
- every few seconds, when the front's ``phones_sync`` generation differs from Asterisk's (a restarted
  front has an empty table; a rotation it missed while unreachable, or made by another app node): the
  whole table is compared and made equal, contacts removed for every extension whose password changed
  or went, and the generation written last.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

from hotline.ami.messages import AmiError
from hotline.kamailio.jsonrpc import KamailioRpcError, rpc_call
from hotline.sip_secrets import SipSecrets

__all__ = ["KamailioPhones", "keep_phones_in_step", "phones_at_kamailio"]

log = logging.getLogger(__name__)

PHONES = "phones"
SYNC = "phones_sync"
GENERATION = "generation"
NOT_FOUND = 404
CHECK_EVERY_S = 2.0
"""How often each front's generation is compared (a restarted front takes up to this to be refilled)."""


class KamailioPhones:
    """The ``phones`` table and location contacts of one or more Kamailio fronts (their RPC URLs)."""

    def __init__(self, urls: Sequence[str], *, token: str = "", timeout_s: float = 3.0) -> None:
        self.urls = tuple(urls)
        self.timeout_s = timeout_s
        self._token = token
        self._lock = asyncio.Lock()

    async def _call(self, url: str, method: str, *params: str) -> object:
        return await rpc_call(url, method, *params, timeout_s=self.timeout_s, token=self._token)

    async def rotated(self, extension: str, password: str | None) -> None:
        """Give ``extension`` its new password at every front (none: remove it) and drop its contacts.
        A front that does not answer is left to :meth:`converge`."""
        async with self._lock:
            for url in self.urls:
                try:
                    await self._set(url, extension, password)
                    await self._drop_contacts(url, extension)
                except KamailioRpcError as exc:
                    log.warning("phone %s not updated at Kamailio %s now (%s)", extension, url, exc)

    async def _set(self, url: str, extension: str, password: str | None) -> None:
        if password is not None:
            await self._call(url, "htable.sets", PHONES, extension, password)
            return
        try:
            await self._call(url, "htable.delete", PHONES, extension)
        except KamailioRpcError as exc:
            if exc.code != NOT_FOUND:
                raise

    async def _drop_contacts(self, url: str, extension: str) -> None:
        try:
            await self._call(url, "ul.rm", "location", extension)
        except KamailioRpcError as exc:
            if exc.code != NOT_FOUND:
                raise
        log.info("contacts of extension %s removed at Kamailio %s", extension, url)

    async def generation(self, url: str) -> str:
        """The generation of the passwords the front at ``url`` holds ("" when it was never filled)."""
        try:
            answer = await self._call(url, "htable.get", SYNC, GENERATION)
        except KamailioRpcError as exc:
            if exc.code in (NOT_FOUND, 500) and "exist" in str(exc):
                return ""
            raise
        item = answer.get("item") if isinstance(answer, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        return str(value) if value is not None else ""

    async def held(self, url: str) -> dict[str, str]:
        """The ``phones`` table of the front at ``url``."""
        answer = await self._call(url, "htable.dump", PHONES)
        found: dict[str, str] = {}
        for entry in answer if isinstance(answer, list) else []:
            slots = entry.get("slot", []) if isinstance(entry, dict) else []
            for item in slots if isinstance(slots, list) else []:
                if isinstance(item, dict) and "name" in item and "value" in item:
                    found[str(item["name"])] = str(item["value"])
        return found

    async def converge(self, url: str, wanted: Mapping[str, str], generation: str) -> int:
        """Make the front's table ``wanted`` and mark it ``generation``; how many entries changed."""
        async with self._lock:
            have = await self.held(url)
            changed = 0
            for extension, password in wanted.items():
                if have.get(extension) != password:
                    await self._set(url, extension, password)
                    if extension in have:
                        await self._drop_contacts(url, extension)
                    changed += 1
            for extension in have.keys() - wanted.keys():
                await self._set(url, extension, None)
                await self._drop_contacts(url, extension)
                changed += 1
            await self._call(url, "htable.sets", SYNC, GENERATION, generation)
            return changed


def phones_at_kamailio(urls: str, secrets: SipSecrets, *, token: str = "") -> KamailioPhones | None:
    """The fronts of ``urls`` (comma-separated RPC URLs; empty: none), told of every rotation; requests
    bear ``token`` (the fronts' ``HOTLINE_KAMAILIO_RPC_TOKEN``) when given."""
    found = [u.strip() for u in urls.split(",") if u.strip()]
    if not found:
        return None
    phones = KamailioPhones(found, token=token)
    secrets.on_rotated(phones.rotated)
    return phones


async def keep_phones_in_step(
    secrets: SipSecrets, phones: KamailioPhones, *, every_s: float = CHECK_EVERY_S
) -> None:
    """Every ``every_s``, refill each front whose generation is not Asterisk's (see the module notes).
    A front refilled while a rotation is being written is compared again on the next pass."""
    while True:
        for url in phones.urls:
            try:
                generation = str(await secrets.generation())
                if await phones.generation(url) != generation:
                    wanted = await secrets.held_passwords()
                    if str(await secrets.generation()) == generation:
                        changed = await phones.converge(url, wanted, generation)
                        log.info("Kamailio %s brought in step: %d phone password(s) changed", url, changed)
            except (AmiError, KamailioRpcError) as exc:
                log.info(
                    "phone passwords at Kamailio %s not checked (%s); next try in %.0f s", url, exc, every_s
                )
        await asyncio.sleep(every_s)
