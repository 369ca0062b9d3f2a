"""KPI correctness with real parts: a known mix of calls through the real Asterisk and the running centre,
then ``GET /api/kpis``, ``GET /api/kpis/agents`` and the live ``queue_kpis`` frame against counts made here
with plain SQL over the call records (docs/KPIS.md; thresholds 15 s and 5 s).

Two agents whose phones answer after 0.3 s and talk for ``TALK_S``; eight citizens pressing 0 (a person):
two answered at once, two waiting for the agents to finish (answered after more than 15 s), two impatient
callers hanging up 8 s after entering the queue, two hanging up after 2 s (short abandons).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from hotline.app import Centre
from hotline.citizens import CitizenCall
from tests.integration.calls import CallDriver, eventually
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.supervision import add_user, set_queues, signed_in

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

TALK_S = 20
PREFIX = "1391234"
AGENTS = ("kpi0", "kpi1")


async def _agents_ready(centre: Centre) -> list[DesktopClient]:
    desks = []
    for i, agent_id in enumerate(AGENTS):
        contact = f"Local/{9100 + i}*{TALK_S}*0.3@hotline-sim-agent"
        await add_user(centre, agent_id, role="agent", contact=contact, skills={"general": 1})
        desk = await signed_in(centre, agent_id)
        await desk.status("available")
        desks.append(desk)
    return desks


class QueueEntries:
    """When each call entered an ACD queue (monotonic), from the centre's bus, followed from the start."""

    def __init__(self, centre: Centre) -> None:
        self.at: dict[str, float] = {}
        self._sub = centre.bus.subscribe("call.changed")
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            d = (await self._sub.get()).data
            if d.get("state") == "waiting" and d.get("reason") == "queued":
                self.at.setdefault(str(d.get("call_id")), time.monotonic())

    async def hang_up_after(self, driver: CallDriver, call: CitizenCall, s: float) -> None:
        """Hang up ``call`` ``s`` seconds after it entered the queue."""
        await eventually(lambda: call.call_id in self.at, timeout=30)
        await asyncio.sleep(max(0.0, self.at[call.call_id] + s - time.monotonic()))
        await driver.dialer.hang_up(call)

    async def close(self) -> None:
        """Stop collecting."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._sub.close()


async def _place(driver: CallDriver, names: Iterable[str]) -> dict[str, CitizenCall]:
    calls: dict[str, CitizenCall] = {}
    for n, name in enumerate(names):
        calls[name] = await driver.call(f"{PREFIX}{n:02d}", keys="0", patience_s=120)
        await asyncio.sleep(0.3)
    return calls


def _independent_counts(centre: Centre) -> dict[str, Any]:
    """The figures counted here from the call records, with plain SQL (not supervisor.kpis)."""
    sql = text(
        """
        SELECT
          SUM(CASE WHEN NOT (outcome = 'abandoned' AND wait_seconds <= 5) THEN 1 ELSE 0 END) AS offered,
          SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered,
          SUM(CASE WHEN outcome = 'answered' AND wait_seconds <= 15 THEN 1 ELSE 0 END) AS answered_in_sl,
          SUM(CASE WHEN outcome = 'abandoned' AND wait_seconds > 5 THEN 1 ELSE 0 END) AS abandoned,
          SUM(CASE WHEN outcome = 'abandoned' AND wait_seconds <= 5 THEN 1 ELSE 0 END) AS short_abandoned,
          AVG(CASE WHEN outcome = 'answered' THEN wait_seconds END) AS asa_s,
          COUNT(*) AS rows
        FROM calls
        WHERE kind = 'citizen' AND queued_at IS NOT NULL AND caller LIKE :prefix
        """
    )
    with centre.sessions() as s:
        return dict(s.execute(sql, {"prefix": f"{PREFIX}%"}).mappings().one())


def _all_ended(centre: Centre, count: int) -> bool:
    sql = text(
        "SELECT COUNT(*) FROM calls WHERE caller LIKE :p AND ended_at IS NOT NULL AND outcome IS NOT NULL"
    )
    with centre.sessions() as s:
        return int(s.execute(sql, {"p": f"{PREFIX}%"}).scalar_one()) >= count


async def test_given_a_known_mix_of_calls_then_the_api_and_the_live_frame_match_the_call_records(
    centre: Centre, driver: CallDriver
) -> None:
    desks = await _agents_ready(centre)
    await add_user(centre, "kpisup", role="supervisor", contact="", skills={})
    await set_queues(centre, "kpisup", ["general"])
    supervisor = await signed_in(centre, "kpisup")
    started = datetime.now(UTC)
    names = ("patient_a", "patient_b", "late_a", "late_b", "impatient_a", "impatient_b", "short_a", "short_b")
    entries = QueueEntries(centre)
    try:
        calls = await _place(driver, names)
        leave = {"impatient_a": 8.0, "impatient_b": 8.0, "short_a": 2.0, "short_b": 2.0}
        await asyncio.gather(*(entries.hang_up_after(driver, calls[n], s) for n, s in leave.items()))
        await eventually(lambda: _all_ended(centre, len(names)), timeout=2 * TALK_S + 40)
        await centre.recorder.drained()
        ended = datetime.now(UTC)

        expected = _independent_counts(centre)
        assert expected["rows"] == 8
        assert (expected["offered"], expected["answered"], expected["abandoned"]) == (6, 4, 2), expected
        assert (expected["answered_in_sl"], expected["short_abandoned"]) == (2, 2), expected

        params = {
            "from": (started - timedelta(seconds=1)).isoformat(),
            "to": (ended + timedelta(seconds=1)).isoformat(),
        }
        got = await supervisor.http.get(
            "/api/kpis", params={**params, "queue": "general"}, headers=supervisor.auth
        )
        assert got.status_code == 200, got.text
        totals = got.json()["totals"]
        for field in ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned"):
            assert totals[field] == expected[field], (field, totals, expected)
        assert totals["service_level"] == 0.5
        assert totals["answer_rate"] == round(4 / 6, 4)
        assert totals["abandon_rate"] == round(2 / 6, 4)
        assert totals["asa_s"] == pytest.approx(expected["asa_s"], abs=0.3)
        assert TALK_S - 1 <= totals["aht_s"] <= TALK_S + 4  # talk plus the 1 s wrap-up

        agents = await supervisor.http.get("/api/kpis/agents", params=params, headers=supervisor.auth)
        rows = {a["agent_id"]: a for a in agents.json()["agents"]}
        assert sum(rows[a]["answered"] for a in AGENTS) == 4
        assert all(rows[a]["occupancy"] is not None and rows[a]["occupancy"] > 0.5 for a in AGENTS)

        await supervisor.connect()
        _, frame = await supervisor.wait_frame(frame_of("queue_kpis"), timeout=15)
        live = {q["queue"]: q for q in frame["data"]["queues"]}["general"]
        for field in (
            "offered",
            "answered",
            "answered_in_sl",
            "abandoned",
            "short_abandoned",
            "service_level",
        ):
            assert live[field] == totals[field], (field, live, totals)
    finally:
        await entries.close()
        for call in driver.dialer.calls.values():
            await driver.hang_up(call.local_channel or call.call_id)
        for desk in desks:
            await desk.close()
        await supervisor.close()
