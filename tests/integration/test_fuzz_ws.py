"""Every desktop websocket frame type, fuzzed from the protocol's JSON Schema, against the real centre.

One socket per role (agent, supervisor, admin) on the centre built as hotline/app.py builds it (PostgreSQL,
the real Asterisk sandbox, uvicorn). Each generated frame (tests/integration/fuzz_frames.py) must be
answered, within ``REPLY_TIMEOUT_S`` and on the same open socket, by exactly the reply the schema calls
for: ``pong``/``hello``/``status_ok`` (or an ``error`` for a status the ACD refuses) for a frame the schema
accepts, an ``error`` frame for anything else; every server frame must match the schema; the server must
log no traceback; a refused frame must change nothing in the database or the ACD.

Budget: ``HOTLINE_FUZZ_EXAMPLES`` frames per role (default 150), derandomized unless
``HOTLINE_FUZZ_RANDOM=1``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from agent_desktop.protocol import MAX_FRAME_BYTES, frame_size
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.conftest import sandbox_settings
from tests.integration.fuzz_centre import (
    KNOWN_CHANGES,
    LiveCentre,
    centre_running,
    changed,
    fuzz_derandomize,
    fuzz_examples,
    report,
)
from tests.integration.fuzz_frames import (
    RAW_FRAMES,
    SERVER,
    Frame,
    generated_frames,
    json_values,
    schema_accepts,
)
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(600)]

REPLY_TIMEOUT_S = 10.0
REPLIES = {"ping": {"pong"}, "sync": {"hello"}, "status": {"status_ok", "error"}, "auth": {"error"}}
"""The replies a schema-valid frame may get on a signed-in socket (a second ``auth`` is refused)."""
REPLY_TYPES = {"pong", "hello", "status_ok", "error"}
CLOSED_TOO_BIG = 1009
CLOSED_UNAUTHENTICATED = 4401


@pytest.fixture(scope="module")
def live(sandbox: AsteriskSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCentre]:
    """The centre under fuzz, on a scratch PostgreSQL database."""
    with scratch_database("hotline_fuzz_ws") as url:
        state = tmp_path_factory.mktemp("fuzz-ws")
        yield from centre_running(sandbox_settings(sandbox, state, database_url=url))


def open_desktop(live: LiveCentre, role: str, stack: ExitStack) -> ClientConnection:
    """A desktop socket signed in as ``role`` with an ``auth`` frame, past its ``hello``."""
    url = live.base_url.replace("http://", "ws://") + "/ws/v1"
    socket = stack.enter_context(connect(url, max_size=None, open_timeout=REPLY_TIMEOUT_S))
    socket.send(json.dumps({"v": 1, "type": "auth", "token": live.tokens[role]}))
    hello = json.loads(socket.recv(timeout=REPLY_TIMEOUT_S))
    assert hello["type"] == "hello", hello
    return socket


@dataclass(frozen=True)
class Closed:
    """The server closed the socket instead of answering."""

    code: int | None
    reason: str


@dataclass
class Desktop:
    """One role's socket, reopened after the server closed it."""

    live: LiveCentre
    role: str
    socket: ClientConnection | None = None
    stack: ExitStack = field(default_factory=ExitStack)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)

    def exchange(self, raw: Frame) -> dict[str, Any] | Closed | str:
        """Send ``raw``; the reply frame, the close, or why there was neither."""
        if self.socket is None:
            self.socket = open_desktop(self.live, self.role, self.stack)
        self.sent += 1
        try:
            self.socket.send(raw)
            while True:
                frame: dict[str, Any] = json.loads(self.socket.recv(timeout=REPLY_TIMEOUT_S))
                if not SERVER.is_valid(frame):
                    return f"server frame outside the schema: {json.dumps(frame)[:300]}"
                if frame.get("type") in REPLY_TYPES:
                    return frame
        except ConnectionClosed as exc:
            self.socket = None
            return Closed(exc.rcvd.code if exc.rcvd else None, exc.rcvd.reason if exc.rcvd else "")
        except TimeoutError:
            return f"no reply within {REPLY_TIMEOUT_S:g}s"

    def close(self) -> None:
        """Close the socket."""
        self.stack.close()


def _verdict(raw: Frame, reply: dict[str, Any] | Closed | str) -> str | None:
    """What is wrong with ``reply`` to ``raw`` (None: it is what the protocol says)."""
    if isinstance(reply, str):
        return reply
    if frame_size(raw) > MAX_FRAME_BYTES:
        good = isinstance(reply, Closed) and reply.code == CLOSED_TOO_BIG
        return None if good else f"expected a close with {CLOSED_TOO_BIG} for a frame over the limit: {reply}"
    if isinstance(reply, Closed):
        return f"socket closed ({reply.code} {reply.reason})"
    expected = REPLIES[json.loads(raw)["type"]] if schema_accepts(raw) else {"error"}
    if reply["type"] not in expected:
        return f"answered {reply['type']}, expected {sorted(expected)}: {reply}"
    return None


def _refusal(reply: dict[str, Any] | Closed | str) -> str | None:
    """The error id (or close) of a refused frame; None when the frame was accepted."""
    if isinstance(reply, Closed):
        return f"closed {reply.code}"
    if isinstance(reply, dict) and reply["type"] == "error":
        return str(reply["error_id"])
    return None


def check_frame(desk: Desktop, raw: Frame) -> list[str]:
    """Send one frame and return what went wrong (known findings go to ``desk.known``)."""
    live = desk.live
    before = live.snapshot()
    mark = len(live.errors.records)
    reply = desk.exchange(raw)
    problems: list[str] = []
    if (problem := _verdict(raw, reply)) is not None:
        problems.append(problem)
    elif (refused := _refusal(reply)) is not None and (diff := changed(before, live.snapshot())):
        finding = f"refused ({refused}) but changed {', '.join(diff)}: {reply}"
        (desk.known if refused in KNOWN_CHANGES else problems).append(finding)
    if logged := live.errors.since(mark):
        problems.append("server logged: " + " | ".join(line[:400] for line in logged))
    shown = raw[:200] if isinstance(raw, bytes) else raw[:200] + ("..." if len(raw) > 200 else "")
    return [f"{desk.role} sent {shown!r} ({len(raw)} long) -> {p}" for p in problems]


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
def test_desktop_socket_survives_generated_frames(
    live: LiveCentre, role: str, request: pytest.FixtureRequest
) -> None:
    desk = Desktop(live, role)

    @settings(
        max_examples=fuzz_examples(150),
        derandomize=fuzz_derandomize(),
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=generated_frames())
    def run(raw: Frame) -> None:
        desk.failures.extend(check_frame(desk, raw))

    try:
        run()
    finally:
        desk.close()
    counts = f"frames={desk.sent} failures={len(desk.failures)} known={len(desk.known)}"
    report(request, f"websocket fuzz as {role}: {counts}")
    assert not desk.failures, "\n".join(dict.fromkeys(desk.failures))


@pytest.mark.parametrize("name", list(RAW_FRAMES))
def test_desktop_socket_answers_raw_frame_with_error_or_reply(live: LiveCentre, name: str) -> None:
    desk = Desktop(live, "agent")
    try:
        failures = check_frame(desk, RAW_FRAMES[name]) + check_frame(desk, '{"type": "ping", "id": "after"}')
    finally:
        desk.close()
    assert not failures, "\n".join(failures)


def test_refused_pause_reason_leaves_a_logged_out_agent_logged_out(live: LiveCentre) -> None:
    desk = Desktop(live, "agent")
    try:
        assert check_frame(desk, '{"type": "status", "status": "logged_out"}') == []
        assert check_frame(desk, '{"type": "status", "status": "paused", "reason": "没有这个原因"}') == []
    finally:
        desk.close()
    assert desk.known == []


def first_frame_reply(live: LiveCentre, raw: Frame) -> dict[str, Any] | Closed | str:
    """Open a socket, send ``raw`` as its first frame, and return what the server did."""
    url = live.base_url.replace("http://", "ws://") + "/ws/v1"
    try:
        with connect(url, max_size=None, open_timeout=REPLY_TIMEOUT_S) as socket:
            socket.send(raw)
            frame: dict[str, Any] = json.loads(socket.recv(timeout=REPLY_TIMEOUT_S))
            return frame
    except ConnectionClosed as exc:
        return Closed(exc.rcvd.code if exc.rcvd else None, exc.rcvd.reason if exc.rcvd else "")
    except TimeoutError:
        return f"neither answered nor closed within {REPLY_TIMEOUT_S:g}s"


def _with_real_token(live: LiveCentre) -> st.SearchStrategy[Frame]:
    """``auth`` frames carrying a real token but broken otherwise (extra field, wrong version)."""
    token = st.sampled_from(sorted(live.tokens.values()))
    extra = st.fixed_dictionaries({"type": st.just("auth"), "token": token, "x": json_values()})
    version = st.fixed_dictionaries(
        {"type": st.just("auth"), "token": token, "v": json_values().filter(lambda v: v != 1)}
    )
    return st.one_of(extra, version).map(json.dumps)


def test_first_frame_other_than_a_valid_auth_closes_the_socket(
    live: LiveCentre, request: pytest.FixtureRequest
) -> None:
    failures: list[str] = []
    frames = st.one_of(generated_frames(), st.sampled_from(list(RAW_FRAMES.values())), _with_real_token(live))

    @settings(
        max_examples=fuzz_examples(150),
        derandomize=fuzz_derandomize(),
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=frames)
    def run(raw: Frame) -> None:
        mark = len(live.errors.records)
        reply = first_frame_reply(live, raw)
        expected = CLOSED_TOO_BIG if frame_size(raw) > MAX_FRAME_BYTES else CLOSED_UNAUTHENTICATED
        if not isinstance(reply, Closed) or reply.code != expected:
            failures.append(f"first frame {raw[:200]!r} -> {reply}, expected a close with {expected}")
        if logged := live.errors.since(mark):
            failures.append(f"first frame {raw[:200]!r} -> server logged: {' | '.join(logged)}")

    run()
    report(request, f"websocket first-frame fuzz: failures={len(failures)}")
    assert not failures, "\n".join(dict.fromkeys(failures))
