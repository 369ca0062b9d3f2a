"""The sign-language page's guest credential against the real Asterisk: what it opens and what it does not.

A guest credential authenticates only its own guest endpoint, whose dialplan has the sign-language entry
alone: calling an agent extension or 12345 with it is refused (404; 484 for a prefix of the entry), the
entry answers (this test client's call is ended at once); it cannot register an agent extension; it
stops working once it expires. A call nobody signing takes within the wait limit is given up (the
page then offers chat or a callback). The HTTP routes refuse bad input with the uniform error body and
limit credentials per client address.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hotline.app import Centre
from hotline.guest_models import VideoCall
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.seats import seat
from tests.integration.sip_register import digest, register

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]

ANSWERED, NOT_FOUND, INCOMPLETE, UNAUTHORIZED, FORBIDDEN = 200, 404, 484, 401, 403
SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class Invite:
    """One INVITE transaction over UDP from ``user`` to ``target``, answering the digest challenge."""

    def __init__(self, host: str, port: int, user: str, target: str) -> None:
        self.host, self.port, self.user, self.target = host, port, user, target
        self.uri = f"sip:{target}@{host}:{port}"
        self.call_id, self.tag = secrets.token_hex(12), secrets.token_hex(4)
        self.talk_s = 1.0
        self.requests: list[str] = []
        self.sdp = SDP
        self.answer = ""

    def _request(
        self, method: str, cseq: int, branch: str, local: tuple[str, int], auth: str = "", to_tag: str = ""
    ) -> bytes:
        body = self.sdp if method == "INVITE" else ""
        to = f"<{self.uri}>" + (f";tag={to_tag}" if to_tag else "")
        lines = [
            f"{method} {self.uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {local[0]}:{local[1]};rport;branch={branch}",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{self.host}>;tag={self.tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{self.user}@{local[0]}:{local[1]}>",
        ]
        if auth:
            lines.append(f"Authorization: {auth}")
        if body:
            lines.append("Content-Type: application/sdp")
        return "\r\n".join([*lines, f"Content-Length: {len(body)}", "", body]).encode()

    def _final(self, sock: socket.socket) -> tuple[int, str]:
        while True:
            text = sock.recvfrom(65535)[0].decode("utf-8", "replace")
            if not text.startswith("SIP/2.0 "):
                self.requests.append(text.split(" ", 1)[0])  # e.g. Asterisk's BYE ending the call
                continue
            status = int(text.split(" ", 2)[1])
            if status >= 200:
                return status, text

    def _ack_and_bye(self, sock: socket.socket, local: tuple[str, int], cseq: int, answer: str) -> None:
        """Confirm the answered call, keep it up to ``talk_s`` (or until Asterisk ends it), then end it."""
        to = next(line for line in answer.split("\r\n") if line.lower().startswith("to:"))
        to_tag = to.split("tag=", 1)[1].split(";")[0].strip()
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        sock.sendto(self._request("ACK", cseq, branch, local, to_tag=to_tag), (self.host, self.port))
        if self._ended_by_asterisk(sock):
            return
        branch = f"z9hG4bK{secrets.token_hex(8)}"
        sock.sendto(self._request("BYE", cseq + 1, branch, local, to_tag=to_tag), (self.host, self.port))
        self._final(sock)

    def _ended_by_asterisk(self, sock: socket.socket) -> bool:
        """Wait up to ``talk_s`` for a BYE from Asterisk; answer it and say so."""
        deadline = time.monotonic() + self.talk_s
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                text = sock.recvfrom(65535)[0].decode("utf-8", "replace")
            except TimeoutError:
                break
            finally:
                sock.settimeout(5.0)
            if text.startswith("BYE "):
                self.requests.append("BYE")
                keep = ("via:", "from:", "to:", "call-id:", "cseq:")
                headers = [h for h in text.split("\r\n") if h.lower().startswith(keep)]
                reply = "\r\n".join(["SIP/2.0 200 OK", *headers, "Content-Length: 0", "", ""])
                sock.sendto(reply.encode(), (self.host, self.port))
                return True
        return False

    def send(self, password: str) -> int:
        """The final status of the INVITE (after answering one challenge with ``password``)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5.0)
            sock.bind(("127.0.0.1", 0))
            local = sock.getsockname()
            auth = ""
            for cseq in (1, 2):
                branch = f"z9hG4bK{secrets.token_hex(8)}"
                sock.sendto(self._request("INVITE", cseq, branch, local, auth), (self.host, self.port))
                status, text = self._final(sock)
                if status == ANSWERED:
                    self.answer = text
                    self._ack_and_bye(sock, local, cseq, text)
                    return status
                sock.sendto(self._request("ACK", cseq, branch, local), (self.host, self.port))
                if status != UNAUTHORIZED or auth:
                    return status
                auth = digest(text, method="INVITE", uri=self.uri, user=self.user, password=password)
            raise AssertionError("unreachable")


async def credential(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/api/guest/credential")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def invite(
    port: int,
    user: str,
    target: str,
    password: str,
    *,
    talk_s: float = 1.0,
    requests: list[str] | None = None,
) -> int:
    call = Invite("127.0.0.1", port, user, target)
    call.talk_s = talk_s
    call.requests = [] if requests is None else requests
    return await asyncio.to_thread(call.send, password)


async def test_given_a_guest_credential_then_it_reaches_only_the_sign_entry_and_no_agent_extension(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    port = sandbox.config.sip_port
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        guest = await credential(client)
    user, password = guest["user"], guest["password"]
    assert user.startswith("sg")
    assert guest["dial"] == "sign"
    assert 0 < guest["expires_in_s"] <= 300
    assert guest["sip_uri"].startswith(f"sip:{user}@")

    for target in ("1001", "12345", "0", "gaveup", "s"):
        assert await invite(port, user, target, password) in (NOT_FOUND, INCOMPLETE), target
    assert await invite(port, user, "sign", password + "x") in (UNAUTHORIZED, FORBIDDEN)

    agent_password = await centre.sip_secrets.rotate("1001")
    assert await asyncio.to_thread(register, "127.0.0.1", port, "1001", password) in (UNAUTHORIZED, FORBIDDEN)
    assert await asyncio.to_thread(register, "127.0.0.1", port, user, password) != ANSWERED
    assert await asyncio.to_thread(register, "127.0.0.1", port, "1001", agent_password) == ANSWERED

    assert await invite(port, user, "sign", password) == ANSWERED  # the entry answers: the call is made
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        status = await client.post("/api/guest/status", json={"token": guest["token"]})
    assert status.json()["state"] in ("ended", "no_agent")
    assert await invite(port, user, "1001", password) in (UNAUTHORIZED, FORBIDDEN)  # spent: one call only
    assert await recorded(centre, user) == ("left", True)


async def recorded(centre: Centre, user: str) -> tuple[str, bool]:
    """The outcome of the guest's video call record and whether it has an end, once it has one."""
    for _ in range(50):
        with centre.sessions() as session:
            row = session.scalars(select(VideoCall).where(VideoCall.guest == user)).first()
            if row is not None and row.outcome:
                return row.outcome, row.ended_at is not None and row.started_at <= row.ended_at
        await asyncio.sleep(0.1)
    raise AssertionError(f"no finished video call record of {user}")


async def test_given_a_guest_credential_when_it_expires_then_asterisk_refuses_it(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    port = sandbox.config.sip_port
    centre.guests.ttl_s = 2.0
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        guest = await credential(client)
        user, password = guest["user"], guest["password"]
        assert await invite(port, user, "1001", password) == NOT_FOUND  # authenticated, then no such entry
        await asyncio.sleep(2.6)  # the slot expiry is stored rounded to the second: up to 2.5 s
        await centre.guests.sweep()  # (or the centre's own sweep did it already)
        assert user not in await centre.guests.pool.expired(now=time.time())
        assert await invite(port, user, "1001", password) in (UNAUTHORIZED, FORBIDDEN)
        assert await invite(port, user, "sign", password) in (UNAUTHORIZED, FORBIDDEN)
        status = await client.post("/api/guest/status", json={"token": guest["token"]})
        assert status.json()["state"] == "expired"


async def test_given_bad_or_many_requests_then_clear_errors_and_a_limit_per_address(centre: Centre) -> None:
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        unknown = await client.post("/api/guest/status", json={"token": "x" * 32})
        assert unknown.status_code == 404
        assert unknown.json()["error_id"] == "guest_not_found"
        for body in ({"token": "short"}, {"token": "x" * 32, "more": 1}, ["x"], {"token": "bad token!" * 3}):
            refused = await client.post("/api/guest/status", json=body)
            assert refused.status_code == 422, body
            assert set(refused.json()) == {"error_id", "message", "details"}
        huge = await client.post("/api/guest/status", content=b"{" + b" " * 4096 + b"}")
        assert huge.status_code == 413
        issued = [await client.post("/api/guest/credential") for _ in range(7)]
        assert [r.status_code for r in issued[:6]] == [201] * 6
        assert issued[6].status_code == 429
        assert int(issued[6].headers["Retry-After"]) >= 1
        assert issued[6].json()["error_id"] == "too_many_requests"
        assert len({r.json()["user"] for r in issued[:6]}) == 6


async def test_given_only_a_paused_signer_when_the_wait_limit_passes_then_the_call_is_given_up(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    port = sandbox.config.sip_port
    signer = await seat(centre, "3001", {"sign_language": 1})
    await signer.status("paused", reason="小休")
    centre.guests.wait_limit_s = 3.0
    async with httpx.AsyncClient(base_url=centre.url, timeout=20.0) as client:
        guest = await credential(client)
        calling_requests: list[str] = []
        calling = asyncio.create_task(
            invite(port, guest["user"], "sign", guest["password"], talk_s=15.0, requests=calling_requests)
        )
        seen: list[dict[str, Any]] = []
        for _ in range(100):
            seen.append((await client.post("/api/guest/status", json={"token": guest["token"]})).json())
            if seen[-1]["state"] == "no_agent":
                break
            await asyncio.sleep(0.2)
        assert await calling == ANSWERED
    assert "BYE" in calling_requests
    waiting = [s for s in seen if s["state"] == "waiting"]
    assert waiting, seen
    assert waiting[-1]["position"] == 1
    assert waiting[-1]["ewt_s"] > 0
    assert seen[-1]["state"] == "no_agent"
    assert seen[-1]["waited_s"] >= 3.0
    assert await recorded(centre, guest["user"]) == ("no_agent", True)
    assert [f for _, f in signer.frames if f.get("type") == "offer"] == []
    await signer.close()
