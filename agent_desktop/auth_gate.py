"""Authenticate before parsing: a request to a route that needs a signed-in user, without a valid bearer
token, is refused with 401 when it starts reading its body, before a byte of it is read or parsed (so
bad JSON without a token is a 401, not a 422, and an anonymous body costs nothing but its headers).

The middleware watches the request's ``receive``: by the time an endpoint reads its body the router
has put the matched route in the scope, and a route needs a user when its dependencies include the
desktop API's bearer-token dependency (``agent_desktop.api._principal``). The refusal is an
HTTPException, which the app's error mapping turns into the uniform error body.
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_desktop import api
from agent_desktop.context import DesktopContext


class Unauthenticated(HTTPException):
    """A body was about to be read for a route that needs a user, and the request has none."""

    def __init__(self) -> None:
        super().__init__(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


def needs_user(route: object) -> bool:
    """Whether ``route`` depends on a signed-in user."""
    return isinstance(route, APIRoute) and _depends_on_principal(route.dependant)


def _depends_on_principal(dependant: Dependant) -> bool:
    return dependant.call is api._principal or any(_depends_on_principal(d) for d in dependant.dependencies)


class AuthFirst:
    """ASGI middleware refusing anonymous requests to routes needing a user before their body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, with a ``receive`` that checks the token before the first body read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = False

        async def receive_signed_in() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                if needs_user(scope.get("route")) and not _signed_in(scope):
                    raise Unauthenticated
            return await receive()

        await self.app(scope, receive_signed_in, send)


def _signed_in(scope: Scope) -> bool:
    ctx: DesktopContext | None = scope["app"].state.desktop
    if ctx is None:
        return True
    header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    if not header.startswith("Bearer "):
        return False
    return ctx.tokens.resolve(header.removeprefix("Bearer ").strip()) is not None
