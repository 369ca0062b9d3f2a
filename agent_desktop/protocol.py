"""Desktop websocket protocol, version 1 (documented in agent_desktop/PROTOCOL.md).

Every frame is a JSON object with ``v`` (protocol version) and ``type``. Client frames are validated
here; anything malformed (bad JSON, numbers too long to convert, nesting too deep, fields that do not
match) yields an ``error`` frame and the connection stays open; only a frame over ``MAX_FRAME_BYTES``
closes it (code 1009). The first client frame must be ``auth`` (the token never travels in the URL).
The JSON Schema of every frame in both directions is ``protocol.schema.json`` beside this module; the
tests hold these models and the schema to the same verdict on client frames.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
AUTH_TIMEOUT_S = 10.0
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHENTICATED = 4401
SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    v: Literal[1] = 1
    id: str | None = Field(default=None, max_length=64)


class AuthFrame(_Frame):
    """The first frame of a connection: the bearer token from ``POST /api/sessions``."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=256)


class PingFrame(_Frame):
    """Keep-alive; answered by ``pong``."""

    type: Literal["ping"]


class StatusFrame(_Frame):
    """The agent changes status: available, paused (with a reason) or logged_out."""

    type: Literal["status"]
    status: Literal["available", "paused", "logged_out"]
    reason: str | None = Field(default=None, max_length=64)


class SyncFrame(_Frame):
    """Ask for a fresh ``hello`` snapshot (after a reconnect or a missed event)."""

    type: Literal["sync"]


ClientFrame = Annotated[AuthFrame | PingFrame | StatusFrame | SyncFrame, Field(discriminator="type")]
_client_adapter: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
CLIENT_FRAME_TYPES: tuple[str, ...] = tuple(  # the ``type`` literal of each member of the union
    get_args(model.model_fields["type"].annotation)[0] for model in get_args(get_args(ClientFrame)[0])
)


class ProtocolError(Exception):
    """A client frame that cannot be accepted."""

    def __init__(self, error_id: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details = details or {}


def parse_client_frame(raw: str | bytes) -> ClientFrame:
    """Parse and validate one client frame or raise :class:`ProtocolError`.

    For ``invalid_frame`` the details list every problem as ``{"loc": [...], "msg": ...}``, where ``loc``
    is the path of the offending field inside the frame (``["status"]``, ``["type"]``).
    """
    if frame_size(raw) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ProtocolError("invalid_json", "frame is nested too deeply", {"reason": "nesting"}) from None
    except ValueError as exc:  # bad JSON, bad UTF-8, or an integer too long to convert
        raise ProtocolError("invalid_json", "frame is not valid JSON", {"reason": str(exc)[:200]}) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", "a frame must be a JSON object")
    version = data.get("v", PROTOCOL_VERSION)
    if isinstance(version, bool) or version != PROTOCOL_VERSION:
        raise ProtocolError(
            "unsupported_version", "this server speaks protocol version 1", {"supported": [PROTOCOL_VERSION]}
        )
    try:
        return _client_adapter.validate_python(data)
    except ValidationError as exc:
        errors = [_field_error(e["type"], e["loc"], e["msg"], data) for e in exc.errors()]
        raise ProtocolError(
            "invalid_frame", "frame does not match the protocol", {"errors": errors}
        ) from None


def frame_size(raw: str | bytes) -> int:
    """The size of a frame in bytes (UTF-8 for text)."""
    return len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))


def _field_error(kind: str, loc: tuple[int | str, ...], msg: str, data: dict[str, Any]) -> dict[str, Any]:
    """One validation problem, located by its path inside the frame (the union tag dropped)."""
    expected = ", ".join(CLIENT_FRAME_TYPES)
    if kind == "union_tag_not_found":
        return {"loc": ["type"], "msg": f"a frame needs a type: one of {expected}"}
    if kind == "union_tag_invalid":
        given = json.dumps(data.get("type"), ensure_ascii=False)[:40]
        return {"loc": ["type"], "msg": f"unknown frame type {given}; expected one of {expected}"}
    return {"loc": list(loc[1:]) if loc and loc[0] == data.get("type") else list(loc), "msg": msg}


@cache
def json_schema() -> dict[str, Any]:
    """The protocol's JSON Schema (draft 2020-12), shipped as ``protocol.schema.json``."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def server_frame(kind: str, **fields: Any) -> dict[str, Any]:
    """A server frame of type ``kind``."""
    return {"v": PROTOCOL_VERSION, "type": kind, **fields}


def error_frame(
    error_id: str, message: str, details: dict[str, Any] | None = None, reply_to: str | None = None
) -> dict[str, Any]:
    """The frame that reports a rejected client frame."""
    return server_frame("error", error_id=error_id, message=message, details=details or {}, reply_to=reply_to)
