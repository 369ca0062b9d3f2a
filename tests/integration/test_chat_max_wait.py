"""A chat nobody takes within its queue's maximum wait: the citizen is told and the chat ends instead of
becoming a phone callback (no agent signed in; a queues file with a one-second maximum wait; the ACD
applies a callback exit only to a caller with a number, so the citizen leaves one). Real parts: the centre
on the sandbox, its ACD timers, the citizen's socket, SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import websockets

from chat.store import get_session
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.conftest import sandbox_settings

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(60)]


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The integration centre whose general queue gives up after one second."""
    queues = tmp_path / "queues.yaml"
    queues.write_text(
        "schema_version: 1\nqueues:\n  - name: general\n    skill: general\n"
        "    max_wait: {after_s: 1, kind: callback}\n",
        encoding="utf-8",
    )
    return sandbox_settings(sandbox, tmp_path, queues_file=queues)


async def test_given_no_agent_when_a_chat_reaches_the_maximum_wait_then_the_citizen_is_told_and_it_ends(
    centre: Centre,
) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        started = (await http.post("/api/chat/sessions", json={"phone": "13800004444"})).json()
    async with websockets.connect(centre.url.replace("http", "ws", 1) + "ws/chat") as ws:
        await ws.send(json.dumps({"type": "auth", "token": started["token"]}))
        seen: list[dict[str, object]] = []
        while not seen or seen[-1].get("type") != "state":
            seen.append(json.loads(await ws.recv()))
    kinds = [f["type"] for f in seen]
    assert kinds[0] == "hello"
    assert kinds[-1] == "state"
    system = [f["message"] for f in seen if f["type"] == "message"]
    assert [m["sender"] for m in system] == ["system"]  # type: ignore[index]
    assert seen[-1]["state"] == "ended"
    assert seen[-1]["by"] == "system"
    assert centre.acd.engine.store.get_call(started["session_id"]) is None
    record = get_session(centre.sessions, session_id=started["session_id"])
    assert record is not None
    assert (record.outcome, record.ended_by) == ("abandoned", "system")
