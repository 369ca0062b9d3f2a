"""``GET /api/kpis`` and ``GET /api/kpis/agents`` on the real HTTP app over a SQLite file holding the
known day of tests/kpis_contract.py: roles, the figures, and the 422 answers to bad parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_desktop.auth import Role
from tests.kpis_contract import HOUR, T0, add_known_day
from tests.unit.desktop_http import Site, site

pytestmark = pytest.mark.timeout(60)

DAY = {"from": T0.isoformat(), "to": (T0 + HOUR).isoformat()}


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Site]:
    """The app over the known day."""
    async with site(tmp_path) as s:
        with s.sessions() as session:
            add_known_day(session)
        yield s


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
