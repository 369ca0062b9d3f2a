"""Authenticate before parsing: a request to a route that needs a signed-in user, without a valid bearer
token, is refused with 401 before its body is read or validated (so bad JSON without a token is a 401,
not a 422, and an anonymous body costs nothing but its headers).

The routes that need a user are found from the app itself: those whose dependencies include the
desktop API's bearer-token dependency (``agent_desktop.api._principal``).
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from agent_desktop import api
from agent_desktop.context import DesktopContext
from agent_desktop.errors import error_body


def needs_user(route: APIRoute) -> bool:
    """Whether ``route`` depends on a signed-in user."""
    return _depends_on_principal(route.dependant)


def _depends_on_principal(dependant: Dependant) -> bool:
    return dependant.call is api._principal or any(_depends_on_principal(d) for d in dependant.dependencies)


class AuthFirst:
    """ASGI middleware that refuses anonymous requests to routes needing a user, before the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._guarded: list[APIRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse with 401 or pass the request on untouched."""
        if scope["type"] != "http" or self._signed_in(scope) or not self._guards(scope):
            await self.app(scope, receive, send)
            return
        body = error_body("unauthenticated", "a valid bearer token is required", {})
        response = JSONResponse(status_code=401, content=body, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    def _guards(self, scope: Scope) -> bool:
        if self._guarded is None:
            routes = scope["app"].routes
            self._guarded = [r for r in routes if isinstance(r, APIRoute) and needs_user(r)]
        return any(route.matches(scope)[0] is Match.FULL for route in self._guarded)

    @staticmethod
    def _signed_in(scope: Scope) -> bool:
        ctx: DesktopContext | None = scope["app"].state.desktop
        if ctx is None:
            return True
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        if not header.startswith("Bearer "):
            return False
        return ctx.tokens.resolve(header.removeprefix("Bearer ").strip()) is not None
