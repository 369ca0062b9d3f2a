"""Two centres on one Redis, one database and one Asterisk: a deaf citizen's chat and video credential
go on through whichever node a load balancer picks.

Chat: started on node A (A's ACD makes the offer), the agent's desktop on node B, the citizen's socket
on B and then on A, the agent writing through A's API: every frame reaches the socket on the other
node, the offer made by A is accepted through B, and the transcript read through A holds every
message in order. Video: a guest credential issued by A is followed through B's status route while
its call waits and is given up, and of the two nodes hearing the call's AMI events only one writes
its record.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from acd.model import AgentState
from hotline.app import Centre
from hotline.guest_models import VideoCall
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration import two_centres as shared
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import seat
from tests.integration.test_chat_centre import Citizen
from tests.integration.test_guest_credential import ANSWERED, FORBIDDEN, UNAUTHORIZED, invite, recorded

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(120)]

two_centres = shared.two_centres
AGENT = "7811"


async def citizen_socket(centre: Centre, token: str, session_id: str) -> Citizen:
    """The citizen's chat socket on ``centre``, signed in and past its hello."""
    ws = await websockets.connect(centre.url.replace("http", "ws", 1) + "ws/chat")
    citizen = Citizen(centre.url, ws, {"session_id": session_id, "token": token})
    await citizen.send({"type": "auth", "token": token})
    await citizen.next("hello")
    return citizen


async def fanout_ready(*centres: Centre) -> None:
    for centre in centres:
        assert centre.chat.fanout is not None
        await asyncio.wait_for(centre.chat.fanout.ready.wait(), 10.0)


async def test_given_a_chat_started_on_node_a_when_the_citizen_and_agent_go_through_node_b_then_it_goes_on(
    two_centres: tuple[Centre, Centre],
) -> None:
    a, b = two_centres
    await fanout_ready(a, b)
    desk = await seat(b, AGENT, {"sign_language": 1, "general": 1})
    on_a = DesktopClient(a.url)
    await on_a.sign_in(AGENT, f"pw-{AGENT}")
    async with httpx.AsyncClient(base_url=a.url, timeout=20.0) as via_a:
        started = await via_a.post(
            "/api/chat/sessions", json={"queue": "sign_language", "phone": "13800002222"}
        )
        assert started.status_code == 201, started.text
        sid, token = started.json()["session_id"], started.json()["token"]

        _, offer = await desk.wait_frame(
            lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == sid
        )
        assert offer["chat"]["join"] is False
        offered = await b.chat.pending.get(sid)
        assert offered is not None
        assert offered.agent_id == AGENT
        assert offered.offer_id in a.chat.timers, "node A made the offer and times it"

        on_b = await citizen_socket(b, token, sid)
        await on_b.send({"type": "message", "body": "我是听障人士，想问低保办理", "client_id": "c1"})
        assert (await on_b.next("sent"))["message"]["seq"] == 1

        accepted = await desk.http.post(f"/api/chat/sessions/{sid}/accept", headers=desk.auth)
        assert accepted.status_code == 200, accepted.text
        assert [m["body"] for m in accepted.json()["messages"]] == ["我是听障人士，想问低保办理"]
        assert (await on_b.next("state"))["state"] == "active"
        assert await a.chat.pending.get(sid) is None

        reply = await on_a.http.post(
            f"/api/chat/sessions/{sid}/messages",
            headers=on_a.auth,
            json={"body": "您好，请讲", "client_id": "a1"},
        )
        assert reply.status_code == 201, reply.text
        heard = await on_b.next("message")
        assert (heard["message"]["sender"], heard["message"]["body"]) == ("agent", "您好，请讲")

        on_a_too = await citizen_socket(a, token, sid)
        await on_a_too.send({"type": "message", "body": "需要带什么材料？", "client_id": "c2"})
        assert (await on_a_too.next("sent"))["message"]["seq"] == 3
        _, pushed = await desk.wait_frame(
            lambda f: f.get("type") == "chat_message" and f["message"]["client_id"] == "c2"
        )
        assert pushed["session_id"] == sid
        typing = await desk.http.post(
            f"/api/chat/sessions/{sid}/typing", headers=desk.auth, json={"typing": True}
        )
        assert typing.status_code == 204
        assert (await on_a_too.next("typing"))["typing"] is True

        mine = (await on_a.http.get("/api/chat/mine", headers=on_a.auth)).json()
        (chat,) = mine["chats"]
        assert [(m["seq"], m["sender"]) for m in chat["messages"]] == [
            (1, "citizen"),
            (2, "agent"),
            (3, "citizen"),
        ]

        await on_a_too.send({"type": "end"})
        _, ended = await desk.wait_frame(frame_of("chat_ended"))
        assert ended["session_id"] == sid
        assert (await on_b.next("state"))["state"] == "ended"
        agent = a.acd.engine.store.get_agent(AGENT)
        assert agent is not None
        assert agent.state is not AgentState.ON_CALL
    for socket in (on_b, on_a_too):
        await socket.ws.close()
    await on_a.close()
    await desk.close()


async def test_given_an_offer_made_on_node_a_when_declined_through_node_b_then_it_is_withdrawn_once(
    two_centres: tuple[Centre, Centre],
) -> None:
    a, b = two_centres
    await fanout_ready(a, b)
    desk = await seat(b, AGENT, {"sign_language": 1, "general": 1})
    row, _ = await a.chat.start(queue="sign_language", phone=None)
    await desk.wait_frame(
        lambda f: f.get("type") == "chat_offer" and f["chat"]["session_id"] == row.session_id
    )
    declined = await desk.http.post(f"/api/chat/sessions/{row.session_id}/decline", headers=desk.auth)
    assert declined.status_code == 204, declined.text
    _, gone = await desk.wait_frame(frame_of("chat_offer_withdrawn"))
    assert gone["session_id"] == row.session_id
    again = await desk.http.post(f"/api/chat/sessions/{row.session_id}/accept", headers=desk.auth)
    assert (again.status_code, again.json()["error_id"]) == (409, "chat_not_offered")
    await asyncio.sleep(0.5)
    withdrawn = [f for _, f in desk.frames if f.get("type") == "chat_offer_withdrawn"]
    assert len(withdrawn) == 1, withdrawn
    await a.chat.end(row.session_id, by="citizen")
    await desk.close()


async def test_given_a_guest_credential_from_node_a_when_its_page_asks_node_b_then_b_follows_the_call(
    two_centres: tuple[Centre, Centre], sandbox: AsteriskSandbox
) -> None:
    a, b = two_centres
    signer = await seat(a, "7812", {"sign_language": 1})
    await signer.status("paused", reason="小休")
    for centre in (a, b):
        centre.guests.wait_limit_s = 3.0
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=20.0) as via_a,
        httpx.AsyncClient(base_url=b.url, timeout=20.0) as via_b,
    ):
        issued = await via_a.post("/api/guest/credential")
        assert issued.status_code == 201, issued.text
        guest: dict[str, Any] = issued.json()
        ready = await via_b.post("/api/guest/status", json={"token": guest["token"]})
        assert (ready.status_code, ready.json()["state"]) == (200, "ready"), ready.text

        heard: list[str] = []
        calling = asyncio.create_task(
            invite(
                sandbox.config.sip_port, guest["user"], "sign", guest["password"], talk_s=15.0, requests=heard
            )
        )
        seen: list[dict[str, Any]] = []
        for _ in range(100):
            seen.append((await via_b.post("/api/guest/status", json={"token": guest["token"]})).json())
            if seen[-1]["state"] == "no_agent":
                break
            await asyncio.sleep(0.2)
        assert await calling == ANSWERED
        assert "BYE" in heard
        waiting = [s for s in seen if s["state"] == "waiting"]
        assert waiting, seen
        assert waiting[-1]["position"] == 1
        assert seen[-1]["state"] == "no_agent"
        assert (await via_a.post("/api/guest/status", json={"token": guest["token"]})).json()[
            "state"
        ] == "no_agent"
        spent = await invite(sandbox.config.sip_port, guest["user"], "sign", guest["password"])
        assert spent in (UNAUTHORIZED, FORBIDDEN), "the password served one call"
    assert await recorded(a, guest["user"]) == ("no_agent", True)
    with a.sessions() as session:
        rows = session.scalars(select(VideoCall).where(VideoCall.guest == guest["user"])).all()
    assert len(rows) == 1
    await signer.close()
