"""Builds the chat layer into a running centre: the service, its routes and the ACD's chat offers.

With a shared Redis (several app nodes) the open offers live there and chat frames reach the sockets on
the other nodes (chat.offers); without one, everything stays in this process.
"""

from __future__ import annotations

from fastapi import FastAPI

from acd.service import AcdService
from agent_desktop.hub import DesktopHub
from chat.fanout import ChatFanout
from chat.pending_offers import RedisPendingOffers
from chat.service import ChatService
from hotline.bus import EventBus
from hotline.db.access import Sessions


def install_chat(
    http: FastAPI,
    *,
    sessions: Sessions,
    acd: AcdService,
    hub: DesktopHub,
    limit: int,
    offer_timeout_s: float,
    bus: EventBus | None = None,
    redis_url: str = "",
    redis_prefix: str = "",
    relay_secret: str = "",
) -> ChatService:
    """The chat service, kept in ``app.state.chat`` and given the ACD's chat offers; shared with the
    other nodes over ``redis_url`` when given (frames signed with ``relay_secret``)."""
    service = ChatService(
        sessions=sessions, acd=acd, hub=hub, limit=limit, offer_timeout_s=offer_timeout_s, bus=bus
    )
    if redis_url:
        service.fanout = ChatFanout.from_url(redis_url, prefix=redis_prefix, secret=relay_secret)
        service.offers = RedisPendingOffers(service.fanout.client, prefix=redis_prefix, clock=service.clock)
    http.state.chat = service
    acd.chats = service
    return service
