"""Text chat through the running centre: the citizen's socket, the ACD, the agent's desktop socket and HTTP.

Real parts: the whole centre (ACD on its in-process store, HTTP, both websockets, SQLite), started against
the session's Asterisk sandbox. Every desktop frame is checked against the protocol schema.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from acd.events import CallAbandoned, CallQueued
from acd.model import AgentState, CallState
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.conftest import ADMIN_PASSWORD, sandbox_settings
from tests.integration.desktop import DesktopClient, Frame, frame_of
from tickets.repository import get_work_order

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]
AGENT, PASSWORD = "1001", "secret-1001"


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The integration centre with a chat limit of two."""
    return sandbox_settings(sandbox, tmp_path, chat_limit=2, wrapup_seconds=30.0)


@pytest.fixture
async def agent(centre: Centre) -> AsyncIterator[DesktopClient]:
    """Agent 1001 (general and sign-language skills), signed in on a desktop socket and available."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        AGENT, name="李四", contact="PJSIP/1001", skills={"general": 1, "sign_language": 1}, password=PASSWORD
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in(AGENT, PASSWORD)
    await desk.connect()
    await desk.status("available")
    yield desk
    await desk.close()


class Citizen:
    """One citizen's chat: its token and socket, frames kept in order."""

    def __init__(self, base: str, ws: ClientConnection, started: dict[str, Any]) -> None:
        self.base, self.ws, self.started = base, ws, started
        self.frames: list[Frame] = []

    @property
    def sid(self) -> str:
        return str(self.started["session_id"])

    async def send(self, frame: Frame | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))

    async def next(self, kind: str) -> Frame:
        """The next frame of type ``kind`` (others are kept)."""
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), 20.0))
            self.frames.append(frame)
            if frame.get("type") == kind:
                return dict(frame)


async def open_chat(centre: Centre, http: httpx.AsyncClient, **body: str) -> Citizen:
    resp = await http.post("/api/chat/sessions", json=body)
    assert resp.status_code == 201, resp.text
    ws = await websockets.connect(centre.url.replace("http", "ws", 1) + "ws/chat")
    citizen = Citizen(centre.url, ws, resp.json())
    await citizen.send({"type": "auth", "token": citizen.started["token"]})
    hello = await citizen.next("hello")
    assert (hello["session_id"], hello["state"]) == (citizen.sid, "waiting")
    return citizen


async def open_chat_unlimited(centre: Centre) -> Citizen:
    """A chat started by the service itself (past the address limit)."""
    row, token = await centre.chat.start(queue="general", phone=None)
    ws = await websockets.connect(centre.url.replace("http", "ws", 1) + "ws/chat")
    citizen = Citizen(centre.url, ws, {"session_id": row.session_id, "token": token})
    await citizen.send({"type": "auth", "token": token})
    await citizen.next("hello")
    return citizen


async def test_given_a_citizen_chat_when_messages_flow_then_both_sides_get_them_with_receipts_and_an_order(
    centre: Centre, agent: DesktopClient
) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        citizen = await open_chat(centre, http, phone="13800001111")
        await agent.wait_frame(
            lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == citizen.sid
        )
        await citizen.send({"type": "message", "body": "您好，我想咨询公积金提取", "client_id": "c1"})
        assert (await citizen.next("sent"))["message"]["seq"] == 1

        for bad in (
            "not json",
            {"type": "message", "body": "  "},
            {"type": "message", "body": "x", "extra": 1},
        ):
            await citizen.send(bad)
            error = await citizen.next("error")
            assert error["error_id"] in ("invalid_json", "invalid_frame")
            assert error["message"]

        accepted = await http.post(f"/api/chat/sessions/{citizen.sid}/accept", headers=agent.auth)
        assert accepted.status_code == 200, accepted.text
        assert [m["body"] for m in accepted.json()["messages"]] == ["您好，我想咨询公积金提取"]
        assert (await citizen.next("state"))["state"] == "active"

        await citizen.send({"type": "message", "body": "需要带什么材料？", "client_id": "c2"})
        await citizen.send({"type": "message", "body": "需要带什么材料？", "client_id": "c2"})  # a resend
        first, again = (await citizen.next("sent"))["message"], (await citizen.next("sent"))["message"]
        assert first["seq"] == again["seq"] == 2
        _, got = await agent.wait_frame(frame_of("chat_message", session_id=citizen.sid))
        assert got["message"]["body"] == "需要带什么材料？"
        resp = await http.post(
            f"/api/chat/sessions/{citizen.sid}/delivered", json={"up_to": 2}, headers=agent.auth
        )
        assert resp.status_code == 204
        assert (await citizen.next("receipt"))["up_to"] == 2

        resp = await http.post(
            f"/api/chat/sessions/{citizen.sid}/typing", json={"typing": True}, headers=agent.auth
        )
        assert resp.status_code == 204
        assert (await citizen.next("typing"))["typing"] is True
        await citizen.send({"type": "typing", "typing": True})
        await agent.wait_frame(frame_of("chat_typing", session_id=citizen.sid, typing=True))

        reply = {"body": "请带身份证和购房合同。", "client_id": "a1"}
        resp = await http.post(f"/api/chat/sessions/{citizen.sid}/messages", json=reply, headers=agent.auth)
        assert (resp.status_code, resp.json()["seq"]) == (201, 3)
        assert (await citizen.next("message"))["message"]["body"] == "请带身份证和购房合同。"
        await citizen.send({"type": "delivered", "up_to": 3})
        await agent.wait_frame(frame_of("chat_receipt", session_id=citizen.sid, up_to=3))

        # with the chat held, a phone call in the same queue waits: the agent is not offered it
        centre.acd.submit(CallQueued("voice-1", "general", "13900000000", "PJSIP/nobody-00000001"))
        voice, me = centre.acd.engine.store.get_call("voice-1"), centre.acd.engine.store.get_agent(AGENT)
        assert voice is not None
        assert voice.state is CallState.WAITING
        assert me is not None
        assert (me.state, me.current_call_id) == (AgentState.ON_CALL, citizen.sid)

        # a reloaded desktop resumes the chat with its whole history
        mine = (await http.get("/api/chat/mine", headers=agent.auth)).json()
        assert [c["session_id"] for c in mine["chats"]] == [citizen.sid]
        assert [m["seq"] for m in mine["chats"][0]["messages"]] == [1, 2, 3]

        body = {"category": "consult", "matter": "公积金提取", "content": "市民咨询公积金提取所需材料。"}
        made = await http.post(f"/api/chat/sessions/{citizen.sid}/work-order", json=body, headers=agent.auth)
        assert made.status_code == 201, made.text
        row = get_work_order(centre.sessions, number=made.json()["number"])
        assert row is not None
        assert row.call_id == citizen.sid
        assert row.channel.value == "web"
        assert "【文字交谈记录】" in row.content
        for text in ("您好，我想咨询公积金提取", "需要带什么材料？", "请带身份证和购房合同。"):
            assert text in row.content
        again_order = await http.post(
            f"/api/chat/sessions/{citizen.sid}/work-order", json=body, headers=agent.auth
        )
        assert again_order.json()["error_id"] == "chat_has_order"

        await citizen.send({"type": "end"})
        assert (await citizen.next("state"))["state"] == "ended"
        await agent.wait_frame(frame_of("chat_ended", session_id=citizen.sid, by="citizen"))
        me = centre.acd.engine.store.get_agent(AGENT)
        assert me is not None
        assert me.state is AgentState.WRAP_UP
        centre.acd.submit(CallAbandoned("voice-1"))
        await citizen.ws.close()


async def test_given_an_agent_at_the_chat_limit_when_more_chats_wait_then_none_is_offered_until_one_ends(
    centre: Centre, agent: DesktopClient
) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        one = await open_chat(centre, http)
        await agent.wait_frame(lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == one.sid)
        assert (
            await http.post(f"/api/chat/sessions/{one.sid}/accept", headers=agent.auth)
        ).status_code == 200
        two = await open_chat(centre, http)
        _, offer = await agent.wait_frame(
            lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == two.sid
        )
        assert offer["chat"]["join"] is True
        assert (
            await http.post(f"/api/chat/sessions/{two.sid}/accept", headers=agent.auth)
        ).status_code == 200
        three = await open_chat(centre, http)
        place = await three.next("queue")
        assert place["position"] == 1
        assert await centre.chat.pending.get(three.sid) is None  # the agent holds two chats: the limit
        refused = await http.post(f"/api/chat/sessions/{three.sid}/accept", headers=agent.auth)
        assert (refused.status_code, refused.json()["error_id"]) == (409, "chat_not_offered")
        waiting = centre.acd.engine.store.get_call(three.sid)
        assert waiting is not None
        assert waiting.state is CallState.WAITING

        assert (await http.post(f"/api/chat/sessions/{one.sid}/end", headers=agent.auth)).status_code == 204
        _, offer = await agent.wait_frame(
            lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == three.sid
        )
        assert offer["chat"]["join"] is True
        me = centre.acd.engine.store.get_agent(AGENT)
        assert me is not None
        assert (me.state, me.current_call_id) == (AgentState.ON_CALL, two.sid)
        for citizen in (one, two, three):
            await citizen.ws.close()


async def test_given_many_chats_bad_frames_or_old_tokens_when_started_then_refused(
    centre: Centre,
) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        bad = await http.post("/api/chat/sessions", json={"phone": "12ab"})
        assert (bad.status_code, bad.json()["error_id"]) == (422, "invalid_request")
        unknown = await http.post("/api/chat/sessions", json={"queue": "nosuchqueue"})
        assert (unknown.status_code, unknown.json()["error_id"]) == (422, "unknown_queue")
        codes = [(await http.post("/api/chat/sessions", json={})).status_code for _ in range(10)]
        assert codes == [201] * 9 + [429]  # the refused queue counted too
        locked = await http.post("/api/chat/sessions", json={})
        assert locked.json()["error_id"] == "too_many_requests"
        assert int(locked.headers["Retry-After"]) >= 1
        citizen = await open_chat_unlimited(centre)
        await citizen.send("x" * (17 * 1024))  # over the 16 KiB frame bound
        with pytest.raises(websockets.ConnectionClosed) as too_big:
            await citizen.next("never")
        assert too_big.value.rcvd is not None
        assert too_big.value.rcvd.code == 1009
        later = centre.chat.clock
        centre.chat.clock = lambda: later() + 5 * 3600  # past the token's four hours
        try:
            ws = await websockets.connect(centre.url.replace("http", "ws", 1) + "ws/chat")
            await ws.send(json.dumps({"type": "auth", "token": citizen.started["token"]}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10.0)
        finally:
            centre.chat.clock = later
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401


async def test_given_an_offer_nobody_accepts_when_it_lapses_then_the_chat_waits_again_and_the_agent_pauses(
    centre: Centre, agent: DesktopClient
) -> None:
    centre.chat.offer_timeout_s = 0.5
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        citizen = await open_chat(centre, http, queue="sign_language")
        assert citizen.started["queue"] == "accessibility"
        await agent.wait_frame(frame_of("chat_offer_withdrawn", session_id=citizen.sid, reason="timeout"))
        waiting = centre.acd.engine.store.get_call(citizen.sid)
        assert waiting is not None
        assert waiting.state is CallState.WAITING
        me = centre.acd.engine.store.get_agent(AGENT)
        assert me is not None
        assert me.pause_reason == "no answer"
        late = await http.post(f"/api/chat/sessions/{citizen.sid}/accept", headers=agent.auth)
        assert late.json()["error_id"] == "chat_not_offered"
        await citizen.send({"type": "end"})
        assert (await citizen.next("state"))["state"] == "ended"
        assert centre.acd.engine.store.get_call(citizen.sid) is None
        await citizen.ws.close()


async def test_given_a_waiting_chat_when_a_supervisor_watches_then_the_chat_channel_figures_show_it(
    centre: Centre,
) -> None:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.connect()
    async with httpx.AsyncClient(base_url=centre.url, timeout=10.0) as http:
        citizen = await open_chat(centre, http)

        def general_waiting(frame: Frame) -> bool:
            if frame.get("type") != "queue_chats":
                return False
            rows = {q["queue"]: q for q in frame["data"]["queues"]}
            return bool(rows["general"]["waiting"] == 1 and rows["general"]["offered"] == 1)

        _, live = await admin.wait_frame(general_waiting)
        assert live["data"]["channel"] == "chat"
        _, changed = await admin.wait_frame(frame_of("call_chat", call_id=citizen.sid, state="waiting"))
        assert changed["data"]["channel"] == "chat"
        figures = await http.get("/api/chat/figures", headers=admin.auth)
        assert next(q for q in figures.json()["queues"] if q["queue"] == "general")["waiting"] == 1
        await citizen.ws.close()
    await admin.close()
