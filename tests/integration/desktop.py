"""A scripted desktop: REST calls plus a websocket whose frames are kept with their arrival time."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.integration.arrivals import first_match

Frame = dict[str, Any]


class DesktopClient:
    """One signed-in desktop user."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10.0)
        self.token = ""
        self.frames: list[tuple[float, Frame]] = []
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
        url = self.base_url.replace("http", "ws", 1) + f"/ws/v1?token={self.token}"
        self._ws = await websockets.connect(url)
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            self.frames.append((time.monotonic(), json.loads(raw)))
            self._changed.set()

    async def send(self, frame: Frame | str) -> None:
        """Send a frame (a dict is JSON-encoded; a str goes as is)."""
        assert self._ws is not None
        await self._ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_frame(self, match: Callable[[Frame], bool], timeout: float = 20.0) -> tuple[float, Frame]:
        """The first frame matching ``match`` (waiting for it if needed)."""
        found = await first_match(self.frames, self._changed, lambda item: match(item[1]), timeout)
        if found is None:
            raise TimeoutError(f"no matching frame; got {[f[1].get('type') for f in self.frames]}")
        return found

    async def close(self) -> None:
        """Close the websocket and the HTTP client."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.http.aclose()


def frame_of(kind: str, **data: Any) -> Callable[[Frame], bool]:
    """Matcher for a frame of type ``kind`` whose ``data`` (or top level) has the given values."""

    def match(frame: Frame) -> bool:
        if frame.get("type") != kind:
            return False
        body = frame.get("data", frame)
        return all(body.get(k) == v for k, v in data.items())

    return match
