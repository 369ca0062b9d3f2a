"""The browser phone of the signed-in agent: where it registers (SIP over websocket) and with what.

An agent whose contact is ``PJSIP/<extension>`` (or, without a contact, whose id is an extension) has a
WebRTC endpoint on Asterisk; the page registers it with JsSIP using the credentials given here. The SIP
password is random, kept in Asterisk and handed only to the signed-in user entitled to the extension; handing
it to someone else rotates it (hotline.sip_secrets).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from agent_desktop.api import Ctx, Me
from agent_desktop.errors import DesktopError
from hotline.ami.messages import AmiError
from hotline.db import repository as repo
from hotline.settings import Settings
from hotline.sip_secrets import SipSecrets, owner_of
from hotline.turn.credentials import IceServers
from hotline.turn.settings import ice_servers_from_settings

__all__ = ["PhoneDirectory", "PhonePublic", "install_phone_directory", "router"]

router = APIRouter(prefix="/api")
CONTACT_PREFIX = "PJSIP/"


class PhonePublic(BaseModel):
    """What the page needs to register the agent's browser phone."""

    extension: str
    contact: str
    ws_url: str
    sip_uri: str
    authorization_user: str
    password: str
    display_name: str
    ice_servers: list[dict[str, str | list[str]]]


@dataclass(frozen=True, kw_only=True)
class PhoneDirectory:
    """The Asterisk side of browser phones, as the centre is configured."""

    secrets: SipSecrets
    extensions: frozenset[str]
    http_port: int = 8088
    ws_url: str = ""
    ice: IceServers = field(default_factory=IceServers)

    @classmethod
    def from_settings(cls, settings: Settings, *, secrets: SipSecrets) -> PhoneDirectory:
        """The directory for ``settings``; ``secrets`` keeps the SIP passwords (in Asterisk)."""
        return cls(
            secrets=secrets,
            extensions=frozenset(settings.extension_list()),
            http_port=settings.asterisk_http_port,
            ws_url=settings.sip_ws_url,
            ice=ice_servers_from_settings(settings),
        )

    def allows_contact(self, contact: str) -> bool:
        """Whether ``contact`` is ``PJSIP/<ext>`` for an extension in HOTLINE_AGENT_EXTENSIONS."""
        return contact.startswith(CONTACT_PREFIX) and contact.removeprefix(CONTACT_PREFIX) in self.extensions

    def websocket_url(self, *, page_host: str, secure: bool) -> str:
        """The configured URL, or Asterisk's ``/ws`` on the host the page was loaded from."""
        if self.ws_url:
            return self.ws_url
        host = f"[{page_host}]" if ":" in page_host else page_host
        return f"{'wss' if secure else 'ws'}://{host}:{self.http_port}/ws"

    async def phone(self, *, extension: str, name: str, ws_url: str, owner: str) -> PhonePublic:
        """The registration details of ``extension`` for ``owner`` (hotline.sip_secrets.owner_of)."""
        if extension not in self.extensions:
            raise DesktopError(
                "no_browser_phone",
                f"extension {extension} has no browser phone",
                status_code=404,
                details={"extension": extension},
            )
        try:
            password = await self.secrets.password_for(extension, owner)
        except AmiError as exc:
            raise DesktopError("phone_unavailable", "telephony is unreachable", status_code=503) from exc
        domain = urlsplit(ws_url).hostname or "localhost"
        domain = f"[{domain}]" if ":" in domain else domain
        return PhonePublic(
            extension=extension,
            contact=f"{CONTACT_PREFIX}{extension}",
            ws_url=ws_url,
            sip_uri=f"sip:{extension}@{domain}",
            authorization_user=extension,
            password=password,
            display_name=name,
            ice_servers=self.ice.for_user(extension),
        )


def install_phone_directory(app: FastAPI, directory: PhoneDirectory) -> None:
    """Make ``directory`` the one ``GET /api/me/phone`` answers from."""
    app.state.phone = directory


def _directory(request: Request) -> PhoneDirectory:
    directory: PhoneDirectory | None = getattr(request.app.state, "phone", None)
    if directory is None:
        raise DesktopError("phone_not_configured", "browser phones are not set up", status_code=503)
    return directory


Directory = Annotated[PhoneDirectory, Depends(_directory)]


@router.get("/me/phone", response_model=PhonePublic, tags=["agent"])
async def my_phone(request: Request, me: Me, ctx: Ctx, directory: Directory) -> PhonePublic:
    """The signed-in agent's browser phone: websocket URL, SIP URI, credentials and ICE servers (STUN, and
    TURN with a short-lived REST credential for this extension)."""
    row = await asyncio.to_thread(repo.get_agent, ctx.sessions, agent_id=me.user_id)
    contact = row.contact if row is not None else ""
    if contact and not contact.startswith(CONTACT_PREFIX):
        raise DesktopError(
            "no_browser_phone",
            "this agent's phone is not a browser phone",
            status_code=404,
            details={"contact": contact},
        )
    extension = contact.removeprefix(CONTACT_PREFIX) or me.user_id
    ws_url = directory.websocket_url(
        page_host=request.url.hostname or "127.0.0.1", secure=request.url.scheme == "https"
    )
    name = row.name if row is not None else me.user_id
    owner = owner_of(
        me.user_id,
        contact=contact,
        role=row.role if row is not None else "",
        password_hash=row.password_hash if row is not None else None,
    )
    return await directory.phone(extension=extension, name=name, ws_url=ws_url, owner=owner)
