"""Builds the chat layer into a running centre: the service, its routes and the ACD's chat offers."""

from __future__ import annotations

from fastapi import FastAPI

from acd.service import AcdService
from agent_desktop.hub import DesktopHub
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
) -> ChatService:
    """The chat service, kept in ``app.state.chat`` and given the ACD's chat offers."""
    service = ChatService(
        sessions=sessions, acd=acd, hub=hub, limit=limit, offer_timeout_s=offer_timeout_s, bus=bus
    )
    http.state.chat = service
    acd.chats = service
    return service
