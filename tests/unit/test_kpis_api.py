"""``GET /api/kpis`` and ``GET /api/kpis/agents`` on the real HTTP app over a SQLite file holding the
known day of tests/kpis_contract.py: roles, each supervisor's own queues and agents, the figures, and
the 422 answers to bad parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest

from acd.service import AcdService
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db.agents import upsert_agent
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from supervisor import store
from supervisor.kpi_scope import scope_resolver
from tests.kpis_contract import HOUR, T0, add_known_day
from tests.unit.desktop_http import Site

pytestmark = pytest.mark.timeout(60)

DAY = {"from": T0.isoformat(), "to": (T0 + HOUR).isoformat()}


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Site]:
    """The app over the known day, with the centre's KPI scopes: s1 supervises general and the
    fallback queue, s2 tax; a1 serves general, a2 general and tax."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        add_known_day(session)
    store.set_queues(sessions, supervisor_id="s1", queues=["general", "hotline-fallback"])
    store.set_queues(sessions, supervisor_id="s2", queues=["tax"])
    upsert_agent(sessions, agent_id="a1", name="a1", contact="", skills={"general": 1})
    upsert_agent(sessions, agent_id="a2", name="a2", contact="", skills={"general": 1, "tax": 1})
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
        login=LoginGuard(),
    )
    app = build_http_app(ctx)
    skills = {"general": "general", "tax": "tax", "hotline-fallback": "fallback"}
    app.state.kpi_scope = scope_resolver(sessions, lambda: skills)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Site(client=client, ctx=ctx, sessions=sessions)
    finally:
        await ctx.login.close()
        engine.dispose()


async def test_given_an_agent_then_both_routes_answer_403(web: Site) -> None:
    for path in ("/api/kpis", "/api/kpis/agents"):
        got = await web.client.get(path, params=DAY, headers=web.bearer("1001", Role.AGENT))
        assert got.status_code == 403
        assert got.json()["error_id"] == "forbidden"
    anonymous = await web.client.get("/api/kpis", params=DAY)
    assert anonymous.status_code == 401


async def test_given_a_supervisor_then_totals_and_intervals_follow_the_definitions(web: Site) -> None:
    got = await web.client.get(
        "/api/kpis", params={**DAY, "interval": "15m"}, headers=web.bearer("s1", Role.SUPERVISOR)
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["from"], body["to"], body["queue"], body["interval"]) == (
        DAY["from"],
        DAY["to"],
        None,
        "15m",
    )
    assert body["definitions"] == "docs/KPIS.md v1"
    totals = body["totals"]
    assert (totals["offered"], totals["answered"], totals["answered_in_sl"]) == (10, 5, 3)
    assert (totals["service_level"], totals["answer_rate"], totals["abandon_rate"]) == (0.6, 0.5, 0.2)
    assert [(i["start"], i["offered"]) for i in body["intervals"]][:2] == [
        (T0.isoformat(), 9),
        ((T0 + HOUR / 4).isoformat(), 1),
    ]
    assert len(body["intervals"]) == 4


async def test_local_times_without_offset_are_beijing_time_and_queue_filters(web: Site) -> None:
    params = {"from": "2026-03-02T10:00:00", "to": "2026-03-02T11:00:00", "queue": "general"}
    got = await web.client.get("/api/kpis", params=params, headers=web.bearer())
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["from"] == T0.isoformat()
    assert (body["totals"]["queue"], body["totals"]["offered"], body["intervals"]) == ("general", 8, [])


async def test_agents_route(web: Site) -> None:
    got = await web.client.get("/api/kpis/agents", params=DAY, headers=web.bearer("s1", Role.SUPERVISOR))
    assert got.status_code == 200, got.text
    agents = {a["agent_id"]: a for a in got.json()["agents"]}
    assert agents["a1"]["pause_s"] == {"小休": 300.0}
    assert (agents["a1"]["answered"], agents["a1"]["transfers"], agents["a2"]["three_way"]) == (2, 1, 2)
    one = await web.client.get("/api/kpis/agents", params={**DAY, "agent": "a2"}, headers=web.bearer())
    assert [a["agent_id"] for a in one.json()["agents"]] == ["a2"]


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"from": "yesterday"}, "invalid_time"),
        ({"from": "2026-03-02T11:00:00+08:00", "to": "2026-03-02T10:00:00+08:00"}, "empty_range"),
        ({"from": "2025-01-01T00:00:00+08:00", "to": "2026-03-01T00:00:00+08:00"}, "range_too_long"),
        ({**DAY, "interval": "5m"}, "invalid_interval"),
        (
            {"from": "2025-06-01T00:00:00+08:00", "to": "2026-03-01T00:00:00+08:00", "interval": "15m"},
            "too_many_intervals",
        ),
        ({**DAY, "queue": "general; drop"}, "invalid_request"),
    ],
)
async def test_bad_parameters_get_422_with_a_clear_error(
    web: Site, params: dict[str, str], error_id: str
) -> None:
    got = await web.client.get("/api/kpis", params=params, headers=web.bearer())
    assert got.status_code == 422
    assert got.json()["error_id"] == error_id


async def test_defaults_to_today_until_now(web: Site) -> None:
    got = await web.client.get("/api/kpis", headers=web.bearer())
    assert got.status_code == 200, got.text
    assert got.json()["from"].endswith("16:00:00+00:00")  # local midnight


async def test_a_supervisor_sees_only_their_queues(web: Site) -> None:
    s2 = web.bearer("s2", Role.SUPERVISOR)
    other = await web.client.get("/api/kpis", params={**DAY, "queue": "general"}, headers=s2)
    assert other.status_code == 403
    assert (other.json()["error_id"], other.json()["details"]) == (
        "queue_not_supervised",
        {"queue": "general"},
    )
    mine = await web.client.get("/api/kpis", params={**DAY, "queue": "tax"}, headers=s2)
    assert mine.status_code == 200, mine.text
    assert mine.json()["totals"]["offered"] == 0
    theirs = await web.client.get("/api/kpis", params={**DAY, "interval": "15m"}, headers=s2)
    assert theirs.json()["totals"]["offered"] == 0  # no queue: their queues only (no tax calls that day)
    assert {i["offered"] for i in theirs.json()["intervals"]} == {0}
    s1 = web.bearer("s1", Role.SUPERVISOR)
    nobody = await web.client.get("/api/kpis", params=DAY, headers=web.bearer("s3", Role.SUPERVISOR))
    assert nobody.json()["totals"]["offered"] == 0  # a supervisor of no queue sees nothing
    fallback = await web.client.get("/api/kpis", params={**DAY, "queue": "hotline-fallback"}, headers=s1)
    assert fallback.json()["totals"]["offered"] == 2


async def test_a_supervisor_sees_only_the_agents_serving_their_queues(web: Site) -> None:
    s2 = web.bearer("s2", Role.SUPERVISOR)
    got = await web.client.get("/api/kpis/agents", params=DAY, headers=s2)
    assert [a["agent_id"] for a in got.json()["agents"]] == ["a2"]
    one = await web.client.get("/api/kpis/agents", params={**DAY, "agent": "a1"}, headers=s2)
    assert one.status_code == 403
    assert one.json()["error_id"] == "agent_not_supervised"
    admin = await web.client.get("/api/kpis/agents", params=DAY, headers=web.bearer())
    assert [a["agent_id"] for a in admin.json()["agents"]] == ["a1", "a2"]
