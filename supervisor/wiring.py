"""Builds the supervisor service and mounts its routes on the HTTP app (called by the composition root)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from fastapi import FastAPI

from acd.service import AcdService
from agent_desktop.call_control import CallControl
from agent_desktop.context import DesktopContext
from agent_desktop.phone_api import PhoneDirectory
from hotline.ami.link import AmiLink
from hotline.bus import EventBus
from ivr.errors import IvrError
from supervisor.centre_switches import surge_flag_of
from supervisor.kpi_feed import KpiFeed
from supervisor.kpi_scope import scope_resolver
from supervisor.kpis import KpiSettings
from supervisor.service import SupervisorService
from supervisor.spy import Spies
from supervisor.surge_follower import SurgeFollower
from supervisor.wallboard import Wallboard


@dataclass(frozen=True, slots=True)
class Supervision:
    """The supervisor service, the wallboard publisher, today's KPI feed and the surge follower (whose
    ``run()`` the centre starts)."""

    service: SupervisorService
    wallboard: Wallboard
    kpi_feed: KpiFeed
    surge_follower: SurgeFollower


def install_supervisor(
    app: FastAPI,
    *,
    acd: AcdService,
    ami: AmiLink,
    bus: EventBus,
    control: CallControl,
    desktop: DesktopContext,
) -> Supervision:
    """Back the ``/api/supervisor/...`` routes of ``app`` (mounted by ``hotline.http``) with a service;
    a supervisor without a configured phone listens on their browser phone when ``app.state.phone``
    (the phone directory, installed first) knows their extension."""
    phones: PhoneDirectory | None = getattr(app.state, "phone", None)
    service = SupervisorService(
        acd=acd,
        control=control,
        desktop=desktop.desktop,
        spies=Spies(ami),
        sessions=desktop.sessions,
        bus=bus,
        browser_phones=phones.allows_contact if phones is not None else lambda _contact: False,
    )
    app.state.supervisor = service
    wallboard = Wallboard(engine=acd.engine, bus=bus)
    desktop.hub.watch_presence(wallboard.someone_joined)
    kpi_settings = KpiSettings.from_env(os.environ)
    app.state.kpi_settings = kpi_settings
    engine = acd.engine
    scope_of = scope_resolver(desktop.sessions, lambda: {n: q.skill for n, q in engine.queues.items()})
    app.state.kpi_scope = scope_of
    kpi_feed = KpiFeed(
        bus=bus,
        sessions=desktop.sessions,
        queues=lambda: engine.queues,
        settings=kpi_settings,
        viewers=desktop.hub.supervising,
        scope_of=scope_of,
    )
    desktop.hub.watch_presence(kpi_feed.someone_joined)

    def surge_flag() -> bool | None:
        ivr = getattr(app.state, "ivr", None)
        if ivr is None:
            return None
        try:
            return surge_flag_of(ivr)
        except IvrError as exc:
            if exc.error_id == "no_live_version":  # the centre is still publishing its first flow
                return None
            raise

    follower = SurgeFollower(acd=acd, flag=surge_flag)
    return Supervision(service=service, wallboard=wallboard, kpi_feed=kpi_feed, surge_follower=follower)
