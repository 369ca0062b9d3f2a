"""Public routes of the sign-language video page (``/citizen/sign``), no account needed.

- ``POST /api/guest/credential``: a one-time SIP credential for a guest endpoint, valid for a few
  minutes, that can only call the sign-language entry (``dial`` = ``sign``), with the websocket URL,
  SIP URI and ICE servers the page's phone needs, and a ``token`` for the status route. Rate-limited
  per client address (a locked client gets 429 with ``Retry-After``); 503 when every guest endpoint is
  taken or telephony is down.
- ``POST /api/guest/status`` with ``{"token": ...}``: the call's state (``ready``, ``waiting`` with
  ``position`` and ``ewt_s``, ``ringing``, ``talking``, ``no_agent``, ``ended``, ``expired``); an
  unknown token is 404.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from agent_desktop.errors import DesktopError
from agent_desktop.login_throttle import MemoryThrottleStore, ThrottleRule, ThrottleStore
from agent_desktop.phone_api import PhoneDirectory
from hotline.ami.messages import AmiError
from hotline.body_limit import body_limit
from hotline.guest_pool import PoolExhausted
from hotline.guest_service import GuestService
from privacy.reads import client_of

__all__ = ["CREDENTIAL_RULE", "install_guests", "pages", "router"]

router = APIRouter(prefix="/api/guest", tags=["public"])
pages = APIRouter(include_in_schema=False)
PAGE = Path(__file__).resolve().parent.parent / "agent_desktop" / "static" / "citizen_sign.html"
CREDENTIAL_RULE = ThrottleRule(free=6, base_s=30.0, cap_s=3600.0)
"""Per client address: six credentials, then a lockout doubling from 30 s."""
SIGN_ENTRY = "sign"
BODY_LIMIT = 1024


class StatusIn(BaseModel):
    """The page's status token."""

    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, StringConstraints(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class CredentialOut(BaseModel):
    """What the page's phone needs to place its one call."""

    user: str
    password: str
    sip_uri: str
    ws_url: str
    dial: str
    ice_servers: list[dict[str, str | list[str]]]
    expires_in_s: int
    token: str


class StatusOut(BaseModel):
    """The call's state as the page shows it."""

    state: str
    position: int
    ewt_s: float
    waited_s: float
    wait_limit_s: float


def _guests(request: Request) -> GuestService:
    found: GuestService | None = getattr(request.app.state, "guests", None)
    if found is None:
        raise DesktopError("video_unavailable", "sign-language video is not set up", status_code=503)
    return found


def _store(request: Request) -> ThrottleStore:
    store: ThrottleStore | None = getattr(request.app.state, "guest_throttle_store", None)
    if store is None:
        store = getattr(request.app.state, "public_throttle_store", None) or MemoryThrottleStore()
        request.app.state.guest_throttle_store = store
    return store


@router.post("/credential", status_code=201, response_model=CredentialOut)
@body_limit(BODY_LIMIT)
async def credential(request: Request) -> CredentialOut:
    """A one-time guest credential for one sign-language video call."""
    guests = _guests(request)
    key = f"guest-credential:{client_of(request)}"
    wait = await _store(request).attempt(((key, CREDENTIAL_RULE),), now=guests.clock())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise DesktopError(
            "too_many_requests",
            "too many requests from this address; try again later",
            status_code=429,
            details={"retry_after_s": seconds},
            headers={"Retry-After": str(seconds)},
        )
    try:
        grant = await guests.issue()
    except PoolExhausted as exc:
        raise DesktopError("video_seats_busy", "every video line is in use", status_code=503) from exc
    except AmiError as exc:
        raise DesktopError("phone_unavailable", "telephony is unreachable", status_code=503) from exc
    directory: PhoneDirectory | None = getattr(request.app.state, "phone", None)
    if directory is None:
        raise DesktopError("phone_not_configured", "browser phones are not set up", status_code=503)
    ws_url = directory.websocket_url(
        page_host=request.url.hostname or "127.0.0.1", secure=request.url.scheme == "https"
    )
    user = grant.credential.user
    domain = urlsplit(ws_url).hostname or "localhost"
    domain = f"[{domain}]" if ":" in domain else domain
    return CredentialOut(
        user=user,
        password=grant.credential.password,
        sip_uri=f"sip:{user}@{domain}",
        ws_url=ws_url,
        dial=SIGN_ENTRY,
        ice_servers=directory.ice.for_user(user),
        expires_in_s=max(0, round(grant.credential.expires_at - guests.clock())),
        token=grant.token,
    )


@router.post("/status", response_model=StatusOut)
@body_limit(BODY_LIMIT)
async def status(request: Request, body: StatusIn) -> StatusOut:
    """Where the token's call stands."""
    guests = _guests(request)
    grant = await guests.grant(body.token)
    if grant is None:
        raise DesktopError("guest_not_found", "no such guest credential", status_code=404)
    try:
        now = await guests.status(grant)
    except AmiError as exc:
        raise DesktopError("phone_unavailable", "telephony is unreachable", status_code=503) from exc
    return StatusOut(
        state=now.state,
        position=now.position,
        ewt_s=round(now.ewt_s, 1),
        waited_s=round(now.waited_s, 1),
        wait_limit_s=guests.wait_limit_s,
    )


@pages.get("/citizen/sign")
async def citizen_sign_page() -> FileResponse:
    """The public sign-language video page."""
    return FileResponse(PAGE)


def install_guests(app: FastAPI, guests: GuestService) -> None:
    """Make ``guests`` the service the routes answer from."""
    app.state.guests = guests
