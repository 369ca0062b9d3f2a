"""Request body limits, enforced while the body streams in.

:class:`BodyLimit` is an ASGI middleware that counts the bytes an endpoint receives and raises
:class:`BodyTooLarge` (an HTTP 413) as soon as they pass the limit, or before reading anything when the
declared ``Content-Length`` already does; a body nobody reads is never counted or buffered. The limit
is the app's default unless the endpoint was marked with :func:`body_limit` (prompt uploads, the
sign-in). The matched endpoint is in the ASGI scope by the time an endpoint reads its body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

F = TypeVar("F", bound=Callable[..., Any])
_LIMITS: dict[object, int] = {}


class BodyTooLarge(HTTPException):
    """A request body over its endpoint's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is limited to {limit} bytes")
        self.limit = limit


def body_limit(limit: int) -> Callable[[F], F]:
    """Mark an endpoint function with its own body limit in bytes."""

    def mark(endpoint: F) -> F:
        _LIMITS[endpoint] = limit
        return endpoint

    return mark


def limit_of(endpoint: object, default: int) -> int:
    """The body limit of ``endpoint``."""
    return _LIMITS.get(endpoint, default)


class BodyLimit:
    """ASGI middleware limiting request bodies to ``default`` bytes unless the endpoint says otherwise."""

    def __init__(self, app: ASGIApp, *, default: int) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a ``receive`` that counts and refuses what is over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None
        received = 0

        async def counted() -> Message:
            nonlocal limit, received
            if limit is None:
                limit = limit_of(scope.get("endpoint"), self.default)
                declared = _content_length(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
