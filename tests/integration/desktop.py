"""A scripted desktop: REST calls plus a websocket whose frames are kept with their arrival time.

Every frame received is checked against the protocol's JSON Schema (agent_desktop/protocol.schema.json)
in strict mode: objects the schema leaves open for later minor versions (``additionalProperties: true``)
are closed here, so a field the server sends but the schema does not name fails the test as well. A
violation fails the next :meth:`DesktopClient.wait_frame` at once and :meth:`DesktopClient.close`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import httpx
import websockets
from jsonschema import Draft202012Validator
from websockets.asyncio.client import ClientConnection

from agent_desktop.protocol import json_schema
from tests.integration.arrivals import first_match

Frame = dict[str, Any]


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every ``additionalProperties: true`` turned into ``false``."""

    def close(node: object) -> object:
        if isinstance(node, dict):
            return {
                k: False if k == "additionalProperties" and v is True else close(v) for k, v in node.items()
            }
        if isinstance(node, list):
            return [close(item) for item in node]
        return node

    closed = close(copy.deepcopy(schema))
    assert isinstance(closed, dict)
    return closed


@cache
def frame_validator(definition: str = "server_frame", *, strict: bool = True) -> Draft202012Validator:
    """A validator of one ``$defs`` entry of the protocol schema (strict: no unnamed fields anywhere)."""
    schema = strict_schema(json_schema()) if strict else json_schema()
    root = {k: v for k, v in schema.items() if k != "oneOf"}
    return Draft202012Validator({**root, "$ref": f"#/$defs/{definition}"})


def schema_violations(frame: object, definition: str = "server_frame", *, strict: bool = True) -> list[str]:
    """What is wrong with ``frame`` as a ``definition`` frame, one line per problem (empty: valid)."""
    errors = frame_validator(definition, strict=strict).iter_errors(frame)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(frame)'}: {e.message}" for e in errors)


class DesktopClient:
    """One signed-in desktop user."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10.0)
        self.token = ""
        self.frames: list[tuple[float, Frame]] = []
        self.violations: list[str] = []
        self._reported = 0
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def auth(self) -> dict[str, str]:
        """Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def sign_in(self, user_id: str, password: str) -> None:
        """Get a token."""
        resp = await self.http.post("/api/sessions", json={"user_id": user_id, "password": password})
        resp.raise_for_status()
        self.token = resp.json()["token"]

    async def put_agent(self, agent_id: str, **body: Any) -> None:
        """Create or update a user (admin)."""
        resp = await self.http.put(f"/api/agents/{agent_id}", json=body, headers=self.auth)
        resp.raise_for_status()

    async def status(self, status: str, **extra: Any) -> Frame:
        """Change the signed-in agent's status over REST."""
        resp = await self.http.post("/api/me/status", json={"status": status, **extra}, headers=self.auth)
        resp.raise_for_status()
        result: Frame = resp.json()
        return result

    async def connect(self) -> None:
        """Open the websocket and start collecting frames."""
        self._ws = await websockets.connect(self.base_url.replace("http", "ws", 1) + "/ws/v1")
        await self._ws.send(json.dumps({"v": 1, "type": "auth", "token": self.token}))
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            at = time.monotonic()
            try:
                frame = json.loads(raw) if isinstance(raw, str) else None
            except json.JSONDecodeError:
                frame = None
            problems = ["(frame): not a JSON text frame"] if frame is None else schema_violations(frame)
            if problems:
                self.violations.append(f"{str(raw)[:400]}\n    " + "\n    ".join(problems))
            if isinstance(frame, dict):
                self.frames.append((at, frame))
            self._changed.set()

    def check_frames(self) -> None:
        """Fail when a frame received since the last failure breaks the protocol schema."""
        new, self._reported = self.violations[self._reported :], len(self.violations)
        if new:
            raise AssertionError(
                "frames received that break agent_desktop/protocol.schema.json:\n" + "\n".join(new)
            )

    async def send(self, frame: Frame | str) -> None:
        """Send a frame (a dict is JSON-encoded; a str goes as is)."""
        assert self._ws is not None
        await self._ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_frame(self, match: Callable[[Frame], bool], timeout: float = 20.0) -> tuple[float, Frame]:
        """The first frame matching ``match`` (waiting for it if needed); fails on a schema violation."""
        self.check_frames()
        found = await first_match(
            self.frames,
            self._changed,
            lambda item: len(self.violations) > self._reported or match(item[1]),
            timeout,
        )
        self.check_frames()
        if found is None:
            raise TimeoutError(f"no matching frame; got {[f[1].get('type') for f in self.frames]}")
        return found

    async def close(self) -> None:
        """Close the websocket and the HTTP client; fails if any frame received broke the schema."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.http.aclose()
        self.check_frames()


def frame_of(kind: str, **data: Any) -> Callable[[Frame], bool]:
    """Matcher for a frame of type ``kind`` whose ``data`` (or top level) has the given values."""

    def match(frame: Frame) -> bool:
        if frame.get("type") != kind:
            return False
        body = frame.get("data", frame)
        return all(body.get(k) == v for k, v in data.items())

    return match
