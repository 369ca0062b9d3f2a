"""The composition root: the one place that builds and wires the whole centre (its parts, decided from
the settings, in hotline.centre_parts)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import uvicorn

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.node_watch import NodeWatch
from acd.queue_live import QueueLive, queues_at_start
from acd.queue_names import QueueNames
from acd.service import AcdService
from admin.calendar_api import notice_expiry
from admin.directory_api import install_directory
from agent_desktop.auth import TokenStore
from agent_desktop.call_api import CallControlContext
from agent_desktop.call_control import CallControl
from agent_desktop.context import DesktopContext
from agent_desktop.cross_node import cross_node_desktops
from agent_desktop.directory import load_directory
from agent_desktop.hub import DesktopHub
from agent_desktop.login import login_guard
from agent_desktop.phone_api import PhoneDirectory, install_phone_directory
from agent_desktop.revocation import Revocation
from agent_desktop.service import DesktopService
from chat.wiring import install_chat
from hotline.ami.client import AmiNotConnected
from hotline.ami.nodes import PbxNodes
from hotline.bounded_wait import finished_within
from hotline.bus import EventBus
from hotline.centre_parts import (
    acd_store,
    ami_link,
    cel_file,
    default_queues,
    ensure_admin,
    prompts_dir,
    sandbox_root,
    shanghai_now,
    utc_now,
)
from hotline.db import repository as repo
from hotline.db.engine import dispose_when_returned, make_engine, migrate, session_factory
from hotline.fastagi.server import FastAgiServer
from hotline.guest_api import install_guests
from hotline.guest_grants import guest_grants
from hotline.guest_service import HOLD_SLOT_S, GuestService
from hotline.http import build_http_app
from hotline.http_serving import start_http
from hotline.kamailio.phone_passwords import keep_phones_in_step, phones_at_kamailio
from hotline.private_files import private_dir, private_sqlite_file
from hotline.reconcile import Reconciler
from hotline.recorder import Recorder
from hotline.revisit_wiring import install_revisits
from hotline.settings import Settings
from hotline.sip_secrets import SipSecrets, keep_owners_entitled
from ivr.hours_queues import QueueHours
from ivr.player import identity_path
from ivr.position_route import PositionRoute, acd_position
from ivr.service import IvrService
from ivr.speech_engines import build_speech_engine
from linkage110.api import start_sender as start_linkage110_sender
from privacy.retention import RetentionPolicy, run_periodically
from qa.inspect_loop import InspectLoop
from recordings.transcription_wiring import install_transcription, install_voice_messages
from recordings.wiring import install_recordings
from supervisor.wiring import install_supervisor
from tickets.attachments import AttachmentStore
from tickets.calendar_store import CalendarStore
from tickets.checker import DeadlineChecker
from tickets.checker import run_periodically as run_deadline_checks
from tickets.intake import MessageIntake
from tickets.order_notices import order_notices
from tickets.order_notices import run_periodically as run_order_notices
from tickets.service import TicketService

__all__ = ["Centre", "default_queues", "ensure_admin"]

log = logging.getLogger(__name__)

STOP_TASKS_S = 10.0
"""How long stopping waits for the cancelled background tasks: one that swallows its cancellation is
logged and left rather than hanging the stop for ever."""


@dataclass
class Centre:
    """Every long-lived part of one running centre."""

    settings: Settings
    ami_secret: str
    bus: EventBus = field(default_factory=EventBus)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    clock: Callable[[], datetime] = shanghai_now
    revisit_clock: Callable[[], datetime] = utc_now
    asterisk_root: Path | None = None
    telephony_wait_s: float = 5.0

    def __post_init__(self) -> None:
        s = self.settings
        url = s.resolved_database_url()
        private_dir(s.state_dir)
        private_sqlite_file(url)
        migrate(url)
        self.sessions = session_factory(make_engine(url))
        self.ami = ami_link(s, self.ami_secret)
        self.hub = DesktopHub(self.bus)
        self.cross_node = cross_node_desktops(s, bus=self.bus, hub=self.hub, ami_secret=self.ami_secret)
        applied, queues = queues_at_start(
            self.sessions, seed=default_queues(s), default_wrapup_s=s.wrapup_seconds
        )
        self.acd = AcdService(
            engine=AcdEngine(queues=queues, store=acd_store(s)),
            ami=self.ami,
            bus=self.bus,
            notifier=self.cross_node or self.hub,
            ring_timeout_s=s.ring_timeout_seconds,
            external_dial=s.external_dial,
        )
        AmiConsumer(ami=self.ami, service=self.acd, bus=self.bus).install()
        self.recorder = Recorder(bus=self.bus, sessions=self.sessions)
        cel = cel_file(s)
        self.reconciler = None if cel is None else Reconciler(sessions=self.sessions, cel_file=cel)
        self.fastagi = FastAgiServer(
            host=s.fastagi_host, port=s.fastagi_port, allowed_peers=s.fastagi_peers()
        )
        self.ivr = self._build_ivr()
        for route, handler in self.ivr.routes().items():
            self.fastagi.add_route(route, handler)
        self.fastagi.add_route("position", PositionRoute(position_of=acd_position(self.acd)))
        self.desktop = DesktopContext(
            sessions=self.sessions,
            tokens=TokenStore(),
            login=login_guard(s.redis_url, prefix=f"{s.redis_prefix}:login"),
            hub=self.hub,
            desktop=DesktopService(acd=self.acd, sessions=self.sessions),
            acd=self.acd,
        )
        self.revocation = Revocation(
            self.desktop.tokens, self.sessions, redis_url=s.redis_url, prefix=s.redis_prefix
        )
        self.http = build_http_app(self.desktop)
        self.http.state.telephony = lambda: "up" if self.ami.connected else "down"
        self.http.state.ivr = self.ivr
        self.queue_live = QueueLive(
            acd=self.acd,
            sessions=self.sessions,
            default_wrapup_s=s.wrapup_seconds,
            applied=applied,
            redis_url=s.redis_url,
            prefix=s.redis_prefix,
        )
        self.http.state.queue_live = self.queue_live
        self.http.state.default_wrapup_s = s.wrapup_seconds
        self.tickets = TicketService(sessions=self.sessions)
        self.http.state.tickets = self.tickets
        self.http.state.attachments = AttachmentStore(s.state_dir / "attachments")
        self.calendar_store = CalendarStore(sessions=self.sessions)
        self.http.state.calendar_store = self.calendar_store
        self.queue_hours = QueueHours(
            sessions=self.sessions, calendar=self.calendar_store.calendar, clock=self.clock
        )
        self.queue_hours.refresh()
        self.acd.entry_open = self.queue_hours.is_open
        self.http.state.queue_hours = self.queue_hours
        revisits = install_revisits(
            s,
            sessions=self.sessions,
            ami=self.ami,
            fastagi=self.fastagi,
            http=self.http,
            ivr_deps=self.ivr.deps,
            clock=self.revisit_clock,
        )
        self.revisits, self.revisit_dialer = revisits.service, revisits.dialer
        self.revisit_scheduler = revisits.scheduler
        self.intake = MessageIntake(bus=self.bus, tickets=self.tickets)
        self.sip_secrets = SipSecrets(self.ami)
        self.kamailio_phones = phones_at_kamailio(
            s.kamailio_rpc_urls, self.sip_secrets, token=s.kamailio_rpc_token.get_secret_value()
        )
        install_phone_directory(self.http, PhoneDirectory.from_settings(s, secrets=self.sip_secrets))
        self.guests = GuestService(
            ami=self.ami,
            acd=self.acd,
            sessions=self.sessions,
            ttl_s=s.guest_credential_seconds,
            wait_limit_s=s.sign_video_wait_seconds,
            grants=guest_grants(s.redis_url, prefix=s.redis_prefix, keep_s=HOLD_SLOT_S),
        )
        self.guests.install()
        install_guests(self.http, self.guests)
        control = CallControl(
            acd=self.acd,
            ami=self.ami,
            bus=self.bus,
            external_dial=s.external_dial,
            transferred_priority=s.transferred_priority,
            queues=QueueNames(self.acd.engine),
        )
        control.install()
        self.http.state.calls = CallControlContext(control, load_directory())
        self.supervision = install_supervisor(
            self.http, acd=self.acd, ami=self.ami, bus=self.bus, control=control, desktop=self.desktop
        )
        self.chat = install_chat(
            self.http,
            sessions=self.sessions,
            acd=self.acd,
            hub=self.hub,
            limit=s.chat_limit,
            offer_timeout_s=s.chat_offer_timeout_seconds,
            bus=self.bus,
            redis_url=s.redis_url,
            redis_prefix=s.redis_prefix,
            relay_secret=s.relay_secret.get_secret_value() or self.ami_secret,
        )
        self.recording = install_recordings(
            self.http,
            settings=s,
            ami=self.ami,
            bus=self.bus,
            sessions=self.sessions,
            asterisk_root=self.asterisk_root or sandbox_root(s),
        )
        self.transcription = install_transcription(s, self.sessions)
        self.voice_messages = install_voice_messages(s, self.bus, self.sessions, self.transcription)
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._stopped = False

    def _build_ivr(self) -> IvrService:
        s = self.settings
        root = self.asterisk_root or sandbox_root(s)
        return IvrService(
            sessions=self.sessions,
            bus=self.bus,
            sounds_dir=prompts_dir(root) if root else Path("/usr/share/asterisk/sounds"),
            clock=self.clock,
            known_queues=QueueNames(self.acd.engine),
            host_path=(lambda path: root / path.lstrip("/")) if root else identity_path,
            speech=build_speech_engine(
                s.speech_engine, vosk_model_path=s.vosk_model_path, cache_dir=s.cache_dir
            ),
            max_wait_s=s.ivr_digit_timeout_seconds,
        )

    async def start(self) -> None:
        """Open FastAGI and HTTP, start background work and connect to Asterisk in the background:
        pages and work orders are served (and ``/healthz`` says telephony is down) while Asterisk is
        unreachable. Waits at most ``telephony_wait_s`` for the AMI login, so that a centre whose
        Asterisk is up returns from here connected."""
        self.tasks.append(asyncio.create_task(self.recorder.run()))
        self.tasks.append(asyncio.create_task(self.recording.run()))
        self.transcription.start()
        self.tasks.append(asyncio.create_task(self.transcription.run()))
        self.tasks.append(asyncio.create_task(self.voice_messages.run()))
        self.tasks.append(asyncio.create_task(self.hub.run()))
        self.tasks.append(asyncio.create_task(self.revocation.run()))
        if (following := install_directory(self.http, self.sessions)) is not None:
            self.tasks.append(following)
        self.tasks.append(asyncio.create_task(self.guests.run_sweeps()))
        self.tasks.append(asyncio.create_task(self.queue_live.run()))
        self.tasks.append(asyncio.create_task(self.queue_hours.run()))
        self.tasks.append(asyncio.create_task(notice_expiry(self.sessions, self.ivr).run()))
        self.tasks.append(asyncio.create_task(self.supervision.wallboard.run()))
        self.tasks.append(asyncio.create_task(self.supervision.kpi_feed.run()))
        self.tasks.append(asyncio.create_task(self.supervision.surge_follower.run()))
        if self.cross_node is not None:
            await self.cross_node.start()
        self.tasks.append(asyncio.create_task(self.intake.run()))
        self.tasks.append(asyncio.create_task(self.chat.run()))
        self.tasks.append(asyncio.create_task(InspectLoop(self.sessions).run()))
        if self.settings.revisit_dialing:
            self.tasks.append(asyncio.create_task(self.revisit_scheduler.run()))
        retention = run_periodically(
            self.sessions, RetentionPolicy(), recordings_root=self.http.state.recordings_root
        )
        self.tasks.append(asyncio.create_task(retention))
        if self.settings.deadline_check_minutes > 0:
            checker = DeadlineChecker(sessions=self.sessions, calendar_store=self.calendar_store)
            every_s = self.settings.deadline_check_minutes * 60
            self.tasks.append(asyncio.create_task(run_deadline_checks(checker, every_s=every_s)))
        notices = order_notices(self.sessions, getattr(self.http.state, "notifier", None))
        self.tasks.append(asyncio.create_task(run_order_notices(notices)))
        if (sending := start_linkage110_sender(self.http)) is not None:
            self.tasks.append(sending)
        await self.ivr.start()
        await self.fastagi.start()
        await self._serve_http()
        connecting = asyncio.create_task(self._connect_telephony())
        self.tasks.append(connecting)
        self.tasks.append(asyncio.create_task(self.acd.heartbeat_forever()))
        self.tasks.append(asyncio.create_task(self.acd.tick_forever()))
        if isinstance(self.ami, PbxNodes):
            watch = NodeWatch(
                ami=self.ami,
                service=self.acd,
                failure_after_s=self.settings.node_failure_seconds,
                callbacks=self.settings.node_failure_callbacks,
                clock=time.time,
            )
            self.tasks.append(asyncio.create_task(watch.run()))
        checking = keep_owners_entitled(
            self.sip_secrets,
            lambda: repo.list_agents(self.sessions),
            every_s=self.settings.sip_owner_check_seconds,
        )
        self.tasks.append(asyncio.create_task(checking))
        if self.kamailio_phones is not None:
            in_step = keep_phones_in_step(self.sip_secrets, self.kamailio_phones)
            self.tasks.append(asyncio.create_task(in_step))
        if self.reconciler is not None:
            self.tasks.append(asyncio.create_task(self.reconciler.run()))
        await asyncio.wait({connecting}, timeout=self.telephony_wait_s)

    async def _connect_telephony(self) -> None:
        """Log in to AMI, retrying until Asterisk answers (the client then heals the link itself)."""
        while True:
            try:
                await self.ami.start()
                return
            except AmiNotConnected as exc:
                log.warning("Asterisk is unreachable, calls wait for it: %s", exc)

    async def _serve_http(self) -> None:
        self._server, self._server_task = await start_http(self.http, self.settings)
        self.tasks.append(self._server_task)

    @property
    def url(self) -> str:
        """Where the agent page is served."""
        return f"http://{self.settings.http_host}:{self.settings.http_port}/"

    async def stop(self) -> None:
        """Stop accepting work and close every connection; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._server_task), 5.0)
        closing = [self.fastagi.close, self.desktop.login.close, self.revocation.close, self.ivr.close]
        closing += [self.acd.close, self.queue_live.close]
        if self.cross_node is not None:
            closing.append(self.cross_node.close)
        for close in closing:
            await _within(close, STOP_TASKS_S)
        with contextlib.suppress(TimeoutError):
            await self.recorder.drained(timeout=5.0)
        with contextlib.suppress(TimeoutError):
            await self.recording.settled(timeout=5.0)
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            _, stuck = await asyncio.wait(self.tasks, timeout=STOP_TASKS_S)
            for task in stuck:
                log.error("background task %s did not stop in %.0f s; left", task.get_coro(), STOP_TASKS_S)
        self.recorder.close()
        self.recording.close()
        await _within(functools.partial(asyncio.to_thread, self.transcription.stop), STOP_TASKS_S)
        await _within(self.ami.close, STOP_TASKS_S)
        await dispose_when_returned(self.sessions.kw["bind"], wait_s=STOP_TASKS_S)


async def _within(close: Callable[[], Awaitable[None]], limit_s: float) -> None:
    """Run one step of a stop, given up after ``limit_s`` with the step named in the log: a stop must end
    (a part that never finishes closing would hold the whole centre's stop; hotline.bounded_wait)."""
    step = await finished_within(close(), limit_s)
    if step is not None:
        step.result()
        return
    name = getattr(close, "__qualname__", repr(close))
    log.error("stopping: %s did not finish in %.0f s; going on", name, limit_s)
