"""Builds the supervisor service and mounts its routes on the HTTP app (called by the composition root)."""

from __future__ import annotations

from fastapi import FastAPI

from acd.service import AcdService
from agent_desktop.call_control import CallControl
from agent_desktop.context import DesktopContext
from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from supervisor.service import SupervisorService
from supervisor.spy import Spies


def install_supervisor(
    app: FastAPI,
    *,
    acd: AcdService,
    ami: AmiLink,
    bus: EventBus,
    control: CallControl,
    desktop: DesktopContext,
) -> SupervisorService:
    """Back the ``/api/supervisor/...`` routes of ``app`` (mounted by ``hotline.http``) with a service."""
    service = SupervisorService(
        acd=acd,
        control=control,
        desktop=desktop.desktop,
        spies=Spies(ami),
        sessions=desktop.sessions,
        bus=bus,
    )
    app.state.supervisor = service
    return service
