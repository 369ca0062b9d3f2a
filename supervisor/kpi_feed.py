"""Publishes today's KPIs (``queue.kpis``, frame ``queue_kpis``) for supervisors' desktops.

Every ``INTERVAL_S`` and soon after a desktop connects, the feed computes with the functions of
supervisor.kpis (so the page shows what ``GET /api/kpis`` answers) from local midnight to now: one row
per queue (every configured queue, zeros included), every agent with logged state today, and the whole
centre per 15 minutes. The query runs in a worker thread; a failed one is logged and tried again at the
next tick. The hub sends ``queue.`` topics to supervisors and admins only; every app node publishes to
its own desktops (``queue.kpis`` is node-local in the hub).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hotline.bus import EventBus
from supervisor.kpis import DEFINITIONS, KpiSettings, agent_kpis, kpis_dict, per_queue_kpis, queue_kpis

log = logging.getLogger(__name__)

TOPIC = "queue.kpis"
INTERVAL_S = 10.0
JOIN_DELAY_S = 0.5
"""After a desktop connects, wait this long (more connections gather into one publication)."""
CHART_STEP = timedelta(minutes=15)


def kpis_frame(
    session: Session, *, now: datetime, queues: Iterable[str], settings: KpiSettings
) -> dict[str, Any]:
    """The ``queue.kpis`` payload for today (local midnight to ``now``)."""
    midnight = now.astimezone(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = midnight.astimezone(UTC), max(now, midnight + timedelta(microseconds=1))
    per_queue = per_queue_kpis(session, start=start, end=end, settings=settings, now=now, queues=queues)
    agents = agent_kpis(session, start=start, end=end, settings=settings, now=now)
    chart = queue_kpis(session, start=start, end=end, interval=CHART_STEP, settings=settings, now=now)
    payload = {
        "definitions": DEFINITIONS,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "queues": [kpis_dict(k) for k in per_queue],
        "agents": [kpis_dict(a) for a in agents],
        "intervals": [kpis_dict(k) for k in chart],
        "at": now.timestamp(),
    }
    return payload


class KpiFeed:
    """Publishes ``queue.kpis`` every ``interval_s`` and shortly after a desktop connects."""

    def __init__(
        self,
        *,
        bus: EventBus,
        sessions: sessionmaker[Session],
        queues: Callable[[], Iterable[str]],
        settings: KpiSettings,
        interval_s: float = INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._sessions = sessions
        self._queues = queues
        self._settings = settings
        self._interval_s = interval_s
        self._clock = clock
        self._joined = asyncio.Event()

    def someone_joined(self, _user_id: str, connections: int) -> None:
        """A desktop connected or left (a hub presence listener): publish soon after a connection."""
        if connections > 0:
            self._joined.set()

    def compute(self) -> dict[str, Any]:
        """Today's payload (blocking: runs the queries)."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        with self._sessions() as session:
            return kpis_frame(session, now=now, queues=list(self._queues()), settings=self._settings)

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
        self._send(computed)
        return True

    def _send(self, payload: dict[str, Any]) -> None:
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
