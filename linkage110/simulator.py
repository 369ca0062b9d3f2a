"""A runnable 110 platform for tests and demonstrations (``hotline sim-110``).

It accepts hand-offs on ``POST /v1/handoffs`` (signed and checked like the centre's side), acknowledges
each with a reference of its own (a repeated idempotency key gets the same one) and keeps them in
memory (``GET /v1/handoffs``). ``POST /control/mode`` with ``{"mode": ...}`` sets how it answers:
``ok``; ``error`` (503, to be retried); ``down`` (closes connections without answering). ``POST
/control/transfer`` with ``{"transfer": {...}, "secret": optional}`` posts a non-police matter, signed,
to the centre (``--centre``) and answers ``{"status", "answer"}``. Control routes are unsigned: bind it
to loopback.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from linkage110.client import post_json
from linkage110.schemas import HandoffAck, HandoffIn
from linkage110.signing import SignatureError, verify

__all__ = ["Platform110", "serve"]

MODES = ("ok", "error", "down")
MAX_BODY = 256 * 1024


@dataclass
class Platform110:
    """The simulator's state, shared by its request threads."""

    secret: str
    centre: str = ""
    skew_s: float = 300.0
    mode: str = "ok"
    handoffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, payload: HandoffIn) -> HandoffAck:
        """Store a hand-off (once per key) and its acknowledgement."""
        with self.lock:
            held = self.handoffs.get(payload.idempotency_key)
            if held is None:
                reference = f"110-{datetime.now(UTC):%Y%m%d}-{len(self.handoffs) + 1:06d}"
                held = {"reference": reference, "deliveries": 0, "payload": payload.model_dump(mode="json")}
                self.handoffs[payload.idempotency_key] = held
            held["deliveries"] += 1
            return HandoffAck(
                idempotency_key=payload.idempotency_key,
                reference=str(held["reference"]),
                received_at=datetime.now(UTC),
            )

    def listing(self) -> list[dict[str, Any]]:
        """Every hand-off received, in arrival order."""
        with self.lock:
            return [{"idempotency_key": k, **v} for k, v in self.handoffs.items()]

    def transfer(self, body: dict[str, Any]) -> dict[str, Any]:
        """Post a transfer to the centre; its answer."""
        data = json.dumps(body.get("transfer", {}), ensure_ascii=False).encode("utf-8")
        secret = str(body.get("secret") or self.secret)
        url = self.centre.rstrip("/") + "/api/linkage/110/v1/transfers"
        status, answer = post_json(url, data, secret=secret, timeout_s=10.0, now=time.time)
        try:
            parsed: object = json.loads(answer)
        except ValueError:
            parsed = answer.decode("utf-8", "replace")
        return {"status": status, "answer": parsed}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the simulator logs nothing per request."""

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, error_id: str, message: str, details: object = None) -> None:
        self._answer(status, {"error_id": error_id, "message": message, "details": details or {}})

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._error(413, "body_too_large", f"the request body is limited to {MAX_BODY} bytes")
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def do_GET(self) -> None:
        """``/v1/handoffs``: what was received."""
        platform = self.server.platform
        if self.path == "/v1/handoffs":
            self._answer(200, platform.listing())
        elif self.path == "/healthz":
            self._answer(200, {"ok": True, "mode": platform.mode})
        else:
            self._error(404, "not_found", "no such path")

    def do_POST(self) -> None:
        """Hand-offs and the control routes."""
        platform = self.server.platform
        raw = self._body()
        if raw is None:
            return
        if self.path == "/control/mode":
            mode = json.loads(raw or b"{}").get("mode")
            if mode not in MODES:
                self._error(422, "invalid_request", f"mode is one of {', '.join(MODES)}")
                return
            platform.mode = mode
            self._answer(200, {"mode": mode})
        elif self.path == "/control/transfer":
            self._answer(200, platform.transfer(json.loads(raw or b"{}")))
        elif self.path == "/v1/handoffs":
            self._handoff(platform, raw)
        else:
            self._error(404, "not_found", "no such path")

    def _handoff(self, platform: Platform110, raw: bytes) -> None:
        if platform.mode == "down":
            self.close_connection = True
            return
        if platform.mode == "error":
            self._error(503, "unavailable", "the 110 platform is unavailable")
            return
        try:
            verify(platform.secret, dict(self.headers.items()), raw, now=time.time(), skew_s=platform.skew_s)
        except SignatureError as exc:
            self._error(401, "bad_signature", str(exc), {"reason": exc.reason})
            return
        try:
            payload = HandoffIn.model_validate_json(raw)
        except ValidationError as exc:
            self._error(
                422,
                "invalid_request",
                "the body does not match the hand-off schema",
                {"count": exc.error_count()},
            )
            return
        self._answer(200, platform.accept(payload).model_dump(mode="json"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], platform: Platform110) -> None:
        super().__init__(address, _Handler)
        self.platform = platform


def serve(platform: Platform110, *, host: str = "127.0.0.1", port: int = 0) -> _Server:
    """A server for ``platform`` bound to ``host:port`` (0: a free port); call ``serve_forever``."""
    return _Server((host, port), platform)
