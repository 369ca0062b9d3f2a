"""The revisit work list (回访) wired into a centre: its service, the dialer that calls citizens back
over AMI, the scheduler that launches those calls, and the FastAGI route ``revisit`` their answers take."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from hotline.ami.link import AmiLink
from hotline.fastagi.server import FastAgiServer
from hotline.settings import Settings
from ivr.revisit_route import RevisitRoute
from ivr.runtime import IvrDeps
from tickets.loop import OrderLoop
from tickets.revisit import RevisitService
from tickets.revisit_dialer import IvrAnswers, RevisitDialer, RevisitScheduler
from tickets.revisit_rules import policy_from


@dataclass(frozen=True, slots=True)
class Revisits:
    """The revisit parts of one centre."""

    service: RevisitService
    dialer: RevisitDialer
    scheduler: RevisitScheduler


def install_revisits(
    s: Settings,
    *,
    sessions: sessionmaker[Session],
    ami: AmiLink,
    fastagi: FastAgiServer,
    http: FastAPI,
    ivr_deps: IvrDeps,
    clock: Callable[[], datetime],
) -> Revisits:
    """Build the revisit parts from the settings, install the dialer's AMI handlers, the FastAGI route
    and the HTTP state the revisit pages read (the scheduler is started by the centre when dialing is on)."""
    policy = policy_from(
        max_attempts=s.revisit_max_attempts,
        retry_minutes=s.revisit_retry_minutes,
        calling_hours=s.revisit_calling_hours,
        concurrency=s.revisit_concurrency,
        ring_timeout_s=s.ring_timeout_seconds,
    )
    service = RevisitService(sessions=sessions, loop=OrderLoop(sessions), policy=policy)
    dialer = RevisitDialer(ami=ami, service=service, external_dial=s.external_dial, clock=clock)
    dialer.install()
    scheduler = RevisitScheduler(service=service, dialer=dialer, ami=ami, clock=clock)
    fastagi.add_route("revisit", RevisitRoute(ivr_deps, IvrAnswers(service, clock)))
    http.state.revisits = service
    http.state.revisit_dialer = dialer
    http.state.revisit_clock = clock
    return Revisits(service=service, dialer=dialer, scheduler=scheduler)
