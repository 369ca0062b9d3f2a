"""``GET /api/kpis`` ``channels`` on the real HTTP app over a SQLite file holding the known day of calls
(tests/kpis_contract.py) and the known hour of video calls and chats (test_kpis_channels_contract.py):
voice, video and chat apart, the same range and the same supervisor scope as the voice figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from acd.service import AcdService
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from supervisor import store
from supervisor.kpi_scope import scope_resolver
from tests.integration.test_kpis_channels_contract import add_known_hour
from tests.kpis_contract import HOUR, T0, add_known_day
from tests.unit.desktop_http import Site

pytestmark = pytest.mark.timeout(60)

HOUR_1 = {"from": T0.isoformat(), "to": (T0 + HOUR).isoformat()}


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Site]:
    """The app over the known records; s1 supervises general and sign_video, s2 tax."""
    url = f"sqlite:///{tmp_path / 'channels.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        add_known_day(session)
        add_known_hour(session)
    store.set_queues(sessions, supervisor_id="s1", queues=["general", "sign_video"])
    store.set_queues(sessions, supervisor_id="s2", queues=["tax"])
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
        login=LoginGuard(),
    )
    app = build_http_app(ctx)
    app.state.kpi_scope = scope_resolver(sessions, dict)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Site(client=client, ctx=ctx, sessions=sessions)
    finally:
        await ctx.login.close()
        engine.dispose()


def _brief(part: dict[str, Any]) -> tuple[Any, ...]:
    t = part["total"]
    return (t["offered"], t["answered"], t["abandoned"], [q["queue"] for q in part["queues"]])


async def _channels(web: Site, headers: dict[str, str], **params: str) -> dict[str, Any]:
    got = await web.client.get("/api/kpis", params={**HOUR_1, **params}, headers=headers)
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    assert body["channels"]["voice"]["total"] == body["totals"]
    return cast(dict[str, Any], body["channels"])


async def test_an_admin_sees_every_channel_of_every_queue(web: Site) -> None:
    ch = await _channels(web, web.bearer())
    voice = ch["voice"]
    # the calls of the known day only: the video calls' own call records (v1-v4, v7) are video, not voice
    assert [q["queue"] for q in voice["queues"]] == ["general", "hotline-fallback"]
    assert voice["total"]["offered"] == 10
    assert _brief(ch["video"]) == (6, 4, 2, ["sign_video", "sign_video_2"])
    assert (ch["video"]["total"]["no_agent"], ch["video"]["total"]["asa_s"]) == (1, 15.0)
    assert _brief(ch["chat"]) == (4, 2, 1, ["general", "tax"])
    assert ch["chat"]["queues"][0]["asa_s"] == 20.0
    assert ch["chat"]["total"]["start"] == T0.isoformat()


async def test_a_supervisor_sees_only_their_queues(web: Site) -> None:
    s1 = await _channels(web, web.bearer("s1", Role.SUPERVISOR))
    assert [q["queue"] for q in s1["voice"]["queues"]] == ["general"]
    assert _brief(s1["video"]) == (5, 3, 2, ["sign_video"])  # not sign_video_2
    assert _brief(s1["chat"]) == (3, 1, 1, ["general"])  # not tax
    s2 = await _channels(web, web.bearer("s2", Role.SUPERVISOR))
    assert (_brief(s2["video"]), _brief(s2["chat"])) == ((0, 0, 0, []), (1, 1, 0, ["tax"]))
    assert s2["voice"]["queues"] == []


async def test_one_queue_and_another_range(web: Site) -> None:
    one = await _channels(web, web.bearer("s1", Role.SUPERVISOR), queue="general")
    assert (_brief(one["chat"]), _brief(one["video"])) == ((3, 1, 1, ["general"]), (0, 0, 0, []))
    assert [q["queue"] for q in one["voice"]["queues"]] == ["general"]
    later = {"from": (T0 + HOUR).isoformat(), "to": (T0 + 2 * HOUR).isoformat()}
    got = await web.client.get("/api/kpis", params=later, headers=web.bearer())
    assert _brief(got.json()["channels"]["video"]) == (1, 1, 0, ["sign_video"])  # v5 only
    refused = await web.client.get(
        "/api/kpis", params={**HOUR_1, "queue": "tax"}, headers=web.bearer("s1", Role.SUPERVISOR)
    )
    assert (refused.status_code, refused.json()["error_id"]) == (403, "queue_not_supervised")
