"""The citizen's chat socket protocol (``/ws/chat``): JSON frames with a ``type``.

Client frames: ``auth`` (first, with the chat token), ``message`` (``body``, the page's own
``client_id`` so a resend is stored once), ``typing``, ``delivered`` (the last agent message shown,
``up_to``), ``end`` and ``ping``. Server frames: ``hello`` (state and whole history), ``queue``
(place in line and estimated wait while waiting), ``sent`` (a message stored: its ``seq``),
``message``, ``receipt``, ``typing``, ``state``, ``pong`` and ``error`` (``error_id``, ``message``,
``details``; the socket stays open and nothing already stored is lost). A frame over ``MAX_FRAME_BYTES``
closes the socket (1009).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from chat.errors import ChatError
from chat.models import MAX_BODY

MAX_FRAME_BYTES = 16 * 1024


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthIn(_Frame):
    """The first frame: the token from ``POST /api/chat/sessions``."""

    type: Literal["auth"]
    token: str = Field(min_length=8, max_length=128)


class MessageIn(_Frame):
    """A message from the citizen."""

    type: Literal["message"]
    body: str = Field(min_length=1, max_length=MAX_BODY)
    client_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")

    @field_validator("body")
    @classmethod
    def _text(cls, value: str) -> str:
        if "\x00" in value or not value.strip():
            raise ValueError("a message needs text and no NUL character")
        return value.strip()


class TypingIn(_Frame):
    """The citizen started or stopped typing."""

    type: Literal["typing"]
    typing: bool


class DeliveredIn(_Frame):
    """The citizen's page showed the agent's messages up to ``up_to``."""

    type: Literal["delivered"]
    up_to: int = Field(ge=1, le=2**31 - 1)


class EndIn(_Frame):
    """The citizen ends the chat."""

    type: Literal["end"]


class PingIn(_Frame):
    """Keep-alive."""

    type: Literal["ping"]


CitizenFrame = Annotated[
    AuthIn | MessageIn | TypingIn | DeliveredIn | EndIn | PingIn, Field(discriminator="type")
]
_adapter: TypeAdapter[CitizenFrame] = TypeAdapter(CitizenFrame)


def parse(raw: str | bytes) -> CitizenFrame:
    """One client frame, or ChatError ``invalid_json`` / ``invalid_frame`` saying what is wrong."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ChatError("invalid_json", "frame is not valid JSON", status_code=400) from None
    if not isinstance(data, dict):
        raise ChatError("invalid_frame", "a frame must be a JSON object", status_code=400)
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"][1:]) or ["type"], "msg": e["msg"]} for e in exc.errors()]
        raise ChatError(
            "invalid_frame", "frame does not match the chat protocol", status_code=400, errors=errors
        ) from None


def error(error_id: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``error`` frame."""
    return {"type": "error", "error_id": error_id, "message": message, "details": details or {}}
