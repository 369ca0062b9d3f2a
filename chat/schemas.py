"""Request and response bodies of the chat routes (chat.api)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chat.models import MAX_BODY
from tickets.vocab import Category

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY)]
ClientId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,64}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL")
    return value


class ChatStart(_In):
    """A citizen starts a chat: the queue (``sign_language`` from the sign page) and an optional phone
    number for a callback or a work order."""

    queue: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")] = "general"
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9]{3,20}$")] | None = None


class ChatStarted(BaseModel):
    """The new chat and its token (for the first frame of ``/ws/chat``)."""

    session_id: str
    token: str
    queue: str
    expires_at: AwareDatetime
    socket: str = "/ws/chat"


class MessageSend(_In):
    """An agent's message; ``client_id`` makes a resend harmless."""

    body: Text
    client_id: ClientId | None = None

    _check = field_validator("body")(_no_nul)


class TypingSend(_In):
    """The agent started or stopped typing."""

    typing: bool


class Delivered(_In):
    """The agent's page showed the citizen's messages up to ``up_to``."""

    up_to: int = Field(ge=1, le=2**31 - 1)


class ChatOrderCreate(_In):
    """A work order from the chat (the transcript is attached by the server)."""

    category: Category
    matter: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""

    _check = field_validator("matter", "content", "address", "name")(_no_nul)


class ChatOrderCreated(BaseModel):
    """The order made from the chat."""

    number: str
    session_id: str
