"""Contract of ``GET /api/calls/{call_id}/caller-history``: the real HTTP app and ACD engine on a database.

tests/unit runs it on SQLite, tests/integration on PostgreSQL. Live calls are put into the ACD by
feeding its engine events (no Asterisk: nothing is rung); call records are written through the
repository and work orders through the work-order API.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentReady, CallQueued
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.service import DesktopService
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app

CALLER = "13800138000"


@dataclass
class World:
    """The app on a migrated database, its ACD engine, one bearer header per user and the test's "now"."""

    client: httpx.AsyncClient
    sessions: sessionmaker[Session]
    engine: AcdEngine
    headers: dict[str, dict[str, str]]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def history(self, user: str, call_id: str) -> httpx.Response:
        """The caller history of ``call_id`` as ``user``."""
        return await self.client.get(f"/api/calls/{call_id}/caller-history", headers=self.headers[user])

    async def ok(self, user: str, call_id: str) -> dict[str, Any]:
        """The caller history, which must be there."""
        response = await self.history(user, call_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def offer(self, call_id: str, agent_id: str, *, caller: str = CALLER, tags: str = "") -> None:
        """A live call in queue ``general``, offered to ``agent_id`` (the only ready agent)."""
        now = time.time()
        self.engine.handle(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", {"general": 1}), now)
        self.engine.handle(AgentReady(agent_id), now)
        attrs = {"keys": "3", "tags": tags}
        self.engine.handle(CallQueued(call_id, "general", caller, f"PJSIP/trunk-{call_id}", attrs=attrs), now)
        call = self.engine.store.get_call(call_id)
        assert call is not None
        assert call.agent_id == agent_id

    def waiting(self, call_id: str) -> None:
        """A live call in queue ``general`` that nobody is offered."""
        queued = CallQueued(call_id, "general", CALLER, f"PJSIP/trunk-{call_id}")
        self.engine.handle(queued, time.time())

    def record(
        self,
        call_id: str,
        ago: timedelta,
        *,
        caller: str = CALLER,
        agent: str | None = None,
        outcome: repo.Outcome = "answered",
        ended: bool = True,
    ) -> None:
        """A call record that started ``ago`` before now (answered by ``agent`` when given)."""
        at = self.now - ago
        sm = self.sessions
        repo.record_call_started(
            sm, call_id=call_id, caller=caller, channel="PJSIP/trunk", dialed="12345", at=at
        )
        repo.update_call(sm, call_id=call_id, queue="general", queued_at=at + timedelta(seconds=20))
        if agent is not None:
            repo.update_call(
                sm,
                call_id=call_id,
                offered_at=at + timedelta(seconds=30),
                answered_at=at + timedelta(seconds=32),
                agent_id=agent,
                outcome="answered",
                wait_seconds=12.0,
            )
        if ended:
            end = at + timedelta(minutes=3)
            repo.update_call(sm, call_id=call_id, ended_at=end, outcome=None if agent else outcome)


def ids(body: dict[str, Any]) -> list[str]:
    """The listed call ids, in order."""
    return [c["call_id"] for c in body["calls"]]


@asynccontextmanager
async def open_world(db_url: str) -> AsyncIterator[World]:
    """The app on ``db_url`` (migrated): agents 1001 and 1002, a supervisor, an admin; queue ``general``."""
    migrate(db_url)
    db = make_engine(db_url)
    sessions = session_factory(db)
    users = {"1001": Role.AGENT, "1002": Role.AGENT, "sup": Role.SUPERVISOR, "admin": Role.ADMIN}
    for user, role in users.items():
        repo.upsert_agent(
            sessions, agent_id=user, name=user, contact=f"PJSIP/{user}", skills={}, role=role.value
        )
    tokens = TokenStore()
    headers = {u: {"Authorization": f"Bearer {tokens.issue(u, r)}"} for u, r in users.items()}
    bus = EventBus()
    hub = DesktopHub(bus)
    engine = AcdEngine(queues=[QueueConfig("general", "general", wrapup_seconds=30.0)], store=MemoryStore())
    unconnected = AmiClient(host="127.0.0.1", port=9, username="hotline", secret="unused")
    acd = AcdService(engine=engine, ami=unconnected, bus=bus, notifier=hub, ring_timeout_s=15.0)
    ctx = DesktopContext(
        sessions=sessions,
        tokens=tokens,
        hub=hub,
        desktop=DesktopService(acd=acd, sessions=sessions),
        acd=acd,
    )
    transport = httpx.ASGITransport(app=build_http_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
        yield World(client=client, sessions=sessions, engine=engine, headers=headers)
    db.dispose()


class CallerHistoryContract:
    """The shared test bodies; a subclass supplies the ``db_url`` fixture (an empty database)."""

    @pytest.fixture
    async def world(self, db_url: str) -> AsyncIterator[World]:
        """Agents 1001 and 1002, a supervisor and an admin; an ACD with queue ``general``."""
        async with open_world(db_url) as world:
            yield world

    async def test_given_offered_call_when_agent_asks_then_earlier_calls_newest_first_and_30_day_count(
        self, world: World
    ) -> None:
        world.record("c-now", timedelta(seconds=40), ended=False)
        world.record("c-2d", timedelta(days=2), agent="1002")
        world.record("c-20d", timedelta(days=20), outcome="abandoned")
        world.record("c-60d", timedelta(days=60), agent="1001")
        world.record("c-100d", timedelta(days=100), agent="1001")
        world.record("c-other", timedelta(days=1), caller="13900139000")
        world.record("c-longer", timedelta(days=1), caller=CALLER + "1")
        world.offer("c-now", "1001")

        body = await world.ok("1001", "c-now")

        assert ids(body) == ["c-2d", "c-20d", "c-60d"]
        assert (body["caller"], body["masked"], body["recent_calls"]) == (CALLER, False, 2)
        first, abandoned = body["calls"][0], body["calls"][1]
        assert (first["queue"], first["outcome"], first["agent_id"], first["wait_seconds"]) == (
            "general",
            "answered",
            "1002",
            12.0,
        )
        assert datetime.fromisoformat(first["entered_ivr_at"]) == world.now - timedelta(days=2)
        assert (abandoned["outcome"], abandoned["agent_id"], abandoned["answered_at"]) == (
            "abandoned",
            None,
            None,
        )
        assert (body["listed_days"], body["recent_days"]) == (90, 30)
        listed_since = datetime.fromisoformat(body["listed_since"])
        assert listed_since == world.now - timedelta(seconds=40) - timedelta(days=90)

    async def test_given_many_earlier_calls_then_twenty_listed_and_all_counted(self, world: World) -> None:
        world.record("c-now", timedelta(seconds=10), ended=False)
        for day in range(1, 26):
            world.record(f"c-{day:02d}", timedelta(days=day), outcome="abandoned")
        world.offer("c-now", "1001")

        body = await world.ok("1001", "c-now")

        assert ids(body) == [f"c-{day:02d}" for day in range(1, 21)]
        assert body["recent_calls"] == 25

    async def test_given_call_of_another_agent_or_of_nobody_when_agent_asks_then_403(
        self, world: World
    ) -> None:
        world.offer("c-1001", "1001")
        world.waiting("c-waiting")
        world.record("c-old-1002", timedelta(minutes=10), agent="1002")

        for call_id in ("c-1001", "c-waiting", "c-old-1002"):
            response = await world.history("1002" if call_id == "c-1001" else "1001", call_id)
            assert response.status_code == 403, (call_id, response.text)
            assert response.json()["error_id"] == "not_your_call"
            assert response.json()["details"] == {"call_id": call_id}

    async def test_given_unknown_or_malformed_call_id_then_404_and_no_token_401(self, world: World) -> None:
        for call_id in ("1732345678.42", "a" * 65, "bad id", "x'; drop table calls; --", "%00", "..."):
            response = await world.history("1001", call_id)
            assert response.status_code == 404, (call_id, response.text)
            assert response.json()["error_id"] == "call_not_found"
            supervised = await world.history("sup", call_id)
            assert supervised.status_code == 404, (call_id, supervised.text)
        anonymous = await world.client.get("/api/calls/c-1/caller-history")
        assert anonymous.status_code == 401

    async def test_given_confidential_caller_then_agent_sees_number_masked_and_supervisor_in_full(
        self, world: World
    ) -> None:
        world.record("c-before", timedelta(days=3), agent="1002")
        world.offer("c-now", "1001", tags="work_order,confidential")

        agent = await world.ok("1001", "c-now")
        supervisor = await world.ok("sup", "c-now")

        assert (agent["caller"], agent["masked"]) == ("138****8000", True)
        assert (supervisor["caller"], supervisor["masked"]) == (CALLER, False)
        assert ids(agent) == ids(supervisor) == ["c-before"]
        assert CALLER not in (await world.history("1001", "c-now")).text

    async def test_given_own_call_just_finished_then_agent_may_ask_masked_but_not_hours_later(
        self, world: World
    ) -> None:
        world.record("c-earlier", timedelta(days=1), outcome="abandoned")
        world.record("c-just-now", timedelta(minutes=5), agent="1001")
        world.record("c-this-morning", timedelta(hours=3), agent="1001")

        body = await world.ok("1001", "c-just-now")
        late = await world.history("1001", "c-this-morning")

        assert (ids(body), body["caller"], body["masked"]) == (
            ["c-this-morning", "c-earlier"],
            "138****8000",
            True,
        )
        assert late.status_code == 403
        assert late.json()["error_id"] == "not_your_call"

    async def test_given_supervisor_or_admin_then_any_call_with_calls_before_it(self, world: World) -> None:
        world.record("c-60d", timedelta(days=60), agent="1002")
        world.record("c-100d", timedelta(days=100), agent="1002")
        world.record("c-170d", timedelta(days=170), agent="1002")
        world.record("c-2d", timedelta(days=2), agent="1002")

        for user in ("sup", "admin"):
            body = await world.ok(user, "c-60d")
            assert (ids(body), body["recent_calls"], body["masked"]) == (["c-100d"], 0, False)

    async def test_given_orders_taken_on_earlier_calls_then_listed_as_each_user_may_see_them(
        self, world: World
    ) -> None:
        world.record("c-1d", timedelta(days=1), agent="1002")
        world.record("c-5d", timedelta(days=5), agent="1002")
        world.offer("c-now", "1001")
        numbers = []
        for confidential in (False, True):
            order = {
                "call_id": "c-1d",
                "caller": {"number": CALLER, "confidential": confidential},
                "category": "consult",
                "matter": "公积金提取",
                "content": "咨询公积金提取需要哪些材料",
            }
            created = await world.client.post("/api/work-orders", json=order, headers=world.headers["1002"])
            assert created.status_code == 201, created.text
            numbers.append(created.json()["number"])

        agent = await world.ok("1001", "c-now")
        supervisor = await world.ok("sup", "c-now")

        assert [c["work_orders"] for c in agent["calls"]] == [numbers[:1], []]
        assert sorted(supervisor["calls"][0]["work_orders"]) == sorted(numbers)

    async def test_given_live_call_not_yet_recorded_or_without_number_then_answers_from_the_acd(
        self, world: World
    ) -> None:
        world.record("c-1d", timedelta(days=1), agent="1002")
        world.record("c-anon-1d", timedelta(days=1), caller="")
        world.offer("c-now", "1001")
        world.offer("c-anon", "1002", caller="")

        recorded_later = await world.ok("1001", "c-now")
        anonymous = await world.ok("1002", "c-anon")

        assert (ids(recorded_later), recorded_later["recent_calls"]) == (["c-1d"], 1)
        assert (ids(anonymous), anonymous["recent_calls"], anonymous["caller"]) == ([], 0, "")
