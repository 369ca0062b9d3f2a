"""Publishes today's KPIs (``queue.kpis``, frame ``queue_kpis``) for supervisors' desktops.

Every ``INTERVAL_S`` and soon after a desktop connects, the feed computes with the functions of
supervisor.kpis (so the page shows what ``GET /api/kpis`` answers) from local midnight to now: one row
per queue (every configured queue, zeros included), the agents with logged state today, and the queues
per 15 minutes. The query runs in a worker thread; a failed one is logged and tried again at the next
tick. The hub sends ``queue.`` topics to supervisors and admins only; every app node publishes to its
own desktops (``queue.kpis`` is node-local in the hub).

Each user sees their own scope (supervisor.kpi_scope): an admin every queue and agent, a supervisor
their queues, the agents serving them and those queues' calls per 15 minutes. The feed makes one
publication per scope among the supervising users with an open desktop, addressed to them
(agent_desktop.hub.Addressed: the hub delivers it to their desktops only).

Frames stay under the protocol's 64 KiB: part 1 carries the queues and intervals; agents go in the
following parts, ``AGENTS_PER_PART`` each (``part`` of ``parts``). Agents' times (signed in, talk,
pauses, occupancy) change at every tick while they work, so they go at a lower rate: the complete list
every ``AGENTS_EVERY_S`` and soon after a desktop connects (``complete``: the desktop replaces its list
once every part arrived). Between those, a publication carries only the agents whose counts (calls
answered, transfers, three-way calls) changed since the last one (``complete`` false: the desktop
updates those and keeps the others), so a call an agent finished shows within a tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Principal
from agent_desktop.hub import Addressed
from hotline.bus import EventBus
from supervisor.kpi_scope import EVERYTHING, KpiScope, ScopeOf
from supervisor.kpis import DEFINITIONS, KpiSettings, agent_kpis, kpis_dict, per_queue_kpis, queue_kpis

log = logging.getLogger(__name__)

TOPIC = "queue.kpis"
INTERVAL_S = 10.0
AGENTS_EVERY_S = 60.0
AGENTS_PER_PART = 100
"""An agent row is about 300 bytes as JSON: 100 make a part of about 30 KB."""
JOIN_DELAY_S = 0.5
"""After a desktop connects, wait this long (more connections gather into one publication)."""
CHART_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Today:
    """Today's figures of the whole centre, before they are cut to each user's scope."""

    start: datetime
    end: datetime
    queues: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    complete: bool
    """Whether ``agents`` is every agent (else only those whose counts changed)."""


def today(session: Session, *, now: datetime, queues: Iterable[str], settings: KpiSettings) -> Today:
    """Today's per-queue and per-agent rows (every agent), local midnight to ``now``."""
    start, end = today_range(now, settings)
    per_queue = per_queue_kpis(session, start=start, end=end, settings=settings, now=now, queues=queues)
    rows = [kpis_dict(a) for a in agent_kpis(session, start=start, end=end, settings=settings, now=now)]
    return Today(start, end, [kpis_dict(k) for k in per_queue], rows, complete=True)


def counts(agent: dict[str, Any]) -> tuple[Any, ...]:
    """What makes an agent's row go out between complete lists: calls answered, transfers, three-way."""
    return (agent["answered"], agent["transfers"], agent["three_way"])


def today_range(now: datetime, settings: KpiSettings) -> tuple[datetime, datetime]:
    """Local midnight to ``now`` (in UTC, never empty)."""
    midnight = now.astimezone(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC), max(now, midnight + timedelta(microseconds=1))


def kpis_frames(
    session: Session, figures: Today, scope: KpiScope, *, now: datetime, settings: KpiSettings
) -> list[dict[str, Any]]:
    """The ``queue.kpis`` payloads of one scope: part 1 with its queues and intervals, then its agents
    (when due) in parts of ``AGENTS_PER_PART``."""
    chart = queue_kpis(
        session,
        start=figures.start,
        end=figures.end,
        interval=CHART_STEP,
        settings=settings,
        now=now,
        queues=scope.queues,
    )
    agents = [a for a in figures.agents if scope.has_agent(str(a["agent_id"]))]
    chunks = [agents[i : i + AGENTS_PER_PART] for i in range(0, len(agents), AGENTS_PER_PART)]
    parts = 1 + len(chunks)
    queues = [q for q in figures.queues if scope.has_queue(str(q["queue"]))]
    intervals = [kpis_dict(k) for k in chart]
    return [
        _part(figures, now, n, parts, agents=chunk, queues=queues, intervals=intervals)
        for n, chunk in enumerate([[], *chunks], start=1)
    ]


def _part(
    figures: Today,
    now: datetime,
    part: int,
    parts: int,
    *,
    agents: list[dict[str, Any]],
    queues: list[dict[str, Any]],
    intervals: list[dict[str, Any]],
) -> dict[str, Any]:
    payload = {
        "definitions": DEFINITIONS,
        "from": figures.start.isoformat(),
        "to": figures.end.isoformat(),
        "queues": queues,
        "agents": agents,
        "intervals": intervals,
        "complete": figures.complete,
        "part": part,
        "parts": parts,
        "at": now.timestamp(),
    }
    if part > 1:  # queues and intervals in part 1 only
        del payload["queues"], payload["intervals"]
    return payload


def kpis_frame(
    session: Session, *, now: datetime, queues: Iterable[str], settings: KpiSettings
) -> dict[str, Any]:
    """The whole centre's figures for today in one payload, parts joined (for tests and tools)."""
    figures = today(session, now=now, queues=queues, settings=settings)
    frames = kpis_frames(session, figures, EVERYTHING, now=now, settings=settings)
    joined = dict(frames[0])
    joined["agents"] = [a for f in frames for a in f["agents"]]
    joined["parts"] = 1
    return joined


class KpiFeed:
    """Publishes ``queue.kpis`` every ``interval_s`` and shortly after a desktop connects, one
    publication per scope among ``viewers`` (the supervising users with an open desktop)."""

    def __init__(
        self,
        *,
        bus: EventBus,
        sessions: sessionmaker[Session],
        queues: Callable[[], Iterable[str]],
        settings: KpiSettings,
        viewers: Callable[[], Iterable[Principal]],
        scope_of: ScopeOf,
        interval_s: float = INTERVAL_S,
        agents_every_s: float = AGENTS_EVERY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._queues = queues
        self._settings = settings
        self._viewers = viewers
        self._scope_of = scope_of
        self._interval_s = interval_s
        self._agents_every_s = agents_every_s
        self._clock = clock
        self._joined = asyncio.Event()
        self._agents_at = float("-inf")
        self._agents_wanted = True
        self._counts: dict[str, tuple[Any, ...]] = {}
        """Each agent's counts as last published."""

    def someone_joined(self, _user_id: str, connections: int) -> None:
        """A desktop connected or left (a hub presence listener): publish soon after a connection,
        agents included."""
        if connections > 0:
            self._agents_wanted = True
            self._joined.set()

    def compute(self) -> list[tuple[list[str], list[dict[str, Any]]]]:
        """Today's publications (blocking: runs the queries): per scope, the user ids and the payloads
        (parts); nothing when no supervising user has a desktop open."""
        at = self._clock()
        now = datetime.fromtimestamp(at, UTC)
        users: dict[str, Principal] = {p.user_id: p for p in self._viewers()}
        if not users:
            return []
        by_scope: dict[KpiScope, list[str]] = {}
        for user_id in sorted(users):
            by_scope.setdefault(self._scope_of(users[user_id]), []).append(user_id)
        complete = self._agents_wanted or at - self._agents_at >= self._agents_every_s
        with self._sessions() as session:
            figures = today(session, now=now, queues=list(self._queues()), settings=self._settings)
            if not complete:
                moved = [a for a in figures.agents if self._counts.get(a["agent_id"]) != counts(a)]
                figures = replace(figures, agents=moved, complete=False)
            out = [
                (to, kpis_frames(session, figures, scope, now=now, settings=self._settings))
                for scope, to in by_scope.items()
            ]
        self._counts.update((a["agent_id"], counts(a)) for a in figures.agents)
        if complete:
            self._agents_at, self._agents_wanted = at, False
        return out

    async def publish(self) -> bool:
        """Compute and publish once; False when the database could not answer (logged)."""
        try:
            computed = await asyncio.to_thread(self.compute)
        except SQLAlchemyError as exc:
            log.warning("today's KPIs could not be computed: %s", exc)
            return False
        except Exception:  # one failed computation must not stop the feed
            log.exception("today's KPIs could not be computed")
            return False
        for to, frames in computed:
            for frame in frames:
                self._send(Addressed(frame, to))
        return True

    def _send(self, payload: Addressed) -> None:
        self._bus.publish("queue.kpis", payload)

    async def run(self) -> None:
        """Publish until cancelled."""
        while True:
            await self.publish()
            try:
                await asyncio.wait_for(self._joined.wait(), self._interval_s)
                await asyncio.sleep(JOIN_DELAY_S)
            except TimeoutError:
                pass
            self._joined.clear()
