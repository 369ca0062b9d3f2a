"""The FastAPI application: desktop API, websocket, static pages and error mapping.

Every refusal answers with the one error body ``{"error_id", "message", "details"}``, whatever raised it
(a desktop or ACD refusal, a request that does not parse or validate, a body over its limit, an unknown
path). Request bodies are limited while they stream in (``JSON_BODY_LIMIT`` unless a route sets its own,
like the sign-in and the prompt upload), and routes that need a signed-in user refuse anonymous
requests before reading their body (agent_desktop.auth_gate).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from acd.errors import AcdError
from admin import agents_api as admin_agents_api
from admin import audit_api as admin_audit_api
from admin import calendar_api as admin_calendar_api
from admin import directory_api as admin_directory_api
from admin import queues_api as admin_queues_api
from agent_desktop import api, call_api, phone_api, ws
from agent_desktop.auth_gate import AuthFirst
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError, error_body
from chat import api as chat_api
from chat import ws as chat_ws
from chat.errors import ChatError
from hotline import guest_api
from hotline.ami.client import AmiError
from hotline.body_limit import BodyLimit, BodyTooLarge
from hotline.page_parts import render_page
from ivr import admin_flows_api as ivr_admin_flows_api
from ivr import api as ivr_api
from linkage110 import api as linkage110_api
from privacy import api as privacy_api
from qa import api as qa_api
from recordings import api as recordings_api
from recordings import transcripts_api
from supervisor import api as supervisor_api
from supervisor import centre_switches, kpi_api, report_api
from tickets import api as tickets_api
from tickets import (
    calendar_api,
    dept_api,
    knowledge_api,
    loop_api,
    public_api,
    revisit_api,
    sanlv_api,
    sms_api,
)

STATIC_DIR = Path(__file__).resolve().parent.parent / "agent_desktop" / "static"
JSON_BODY_LIMIT = 256 * 1024
ROUTERS = (
    api.router,
    ws.router,
    ivr_api.router,
    ivr_admin_flows_api.router,
    tickets_api.router,
    knowledge_api.router,
    revisit_api.router,
    loop_api.router,
    dept_api.router,
    calendar_api.router,
    privacy_api.router,
    call_api.router,
    phone_api.router,
    supervisor_api.router,
    admin_queues_api.router,
    admin_audit_api.router,
    admin_agents_api.router,
    admin_directory_api.router,
    admin_calendar_api.router,
    kpi_api.router,
    report_api.router,
    sanlv_api.router,
    centre_switches.router,
    linkage110_api.router,
    public_api.router,
    public_api.pages,
    guest_api.router,
    guest_api.pages,
    sms_api.router,
    chat_api.router,
    chat_api.pages,
    chat_ws.router,
    qa_api.router,
    recordings_api.router,
    transcripts_api.router,
)
"""Every API router, in the order their routes are matched."""
PAGES = {
    "/": "index.html",
    "/supervisor": "supervisor.html",
    "/knowledge": "knowledge.html",
    "/dept": "dept.html",
    "/revisit": "revisit.html",
    "/reports": "reports.html",
    "/qa": "qa.html",
    "/admin": "admin.html",
    "/recording": "recording.html",
}
"""The pages served at their own path (the public citizen pages come with ``public_api.pages``)."""
HTTP_ERROR_IDS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def _error(
    status: int, error_id: str, message: str, details: object, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(error_id, message, details), headers=headers)


def _http_error(exc: StarletteHTTPException) -> JSONResponse:
    details: dict[str, object] = {"limit_bytes": exc.limit} if isinstance(exc, BodyTooLarge) else {}
    error_id = HTTP_ERROR_IDS.get(exc.status_code, f"http_{exc.status_code}")
    return _error(exc.status_code, error_id, str(exc.detail), details, dict(exc.headers or {}))


def _page(name: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:  # reads files: FastAPI runs it in its thread pool
        return HTMLResponse(render_page(STATIC_DIR, name))

    return page


def _to_page(path: str) -> Callable[[], RedirectResponse]:
    def moved() -> RedirectResponse:
        return RedirectResponse(path, status_code=308)

    return moved


def _add_pages(app: FastAPI) -> None:
    """The static files, and each page at its path; a page's file asked for under ``/static`` (which
    alone lacks its pieces, such as the sign-in form) leads to its path."""
    for path, page in PAGES.items():
        app.add_api_route(f"/static/{page}", _to_page(path), methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for path, page in PAGES.items():
        app.add_api_route(path, _page(page), methods=["GET"], include_in_schema=False)


def build_http_app(desktop: DesktopContext | None) -> FastAPI:
    """The HTTP app; ``desktop`` may be None only to render the OpenAPI document."""
    app = FastAPI(
        title="hotline",
        version="0.1.0",
        description="12345 contact centre: desktop, supervision and administration API",
    )
    app.add_middleware(AuthFirst)  # the innermost: it checks the token before the limit is looked at
    app.add_middleware(BodyLimit, default=JSON_BODY_LIMIT)
    app.state.desktop = desktop
    for router in ROUTERS:
        app.include_router(router)
    _add_pages(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz(request: Request) -> dict[str, object]:
        """Pages and work orders are served; ``telephony`` is ``up`` while the AMI link to Asterisk is."""
        ctx: DesktopContext | None = request.app.state.desktop
        telephony = getattr(request.app.state, "telephony", None)
        return {
            "ok": True,
            "desktops": ctx.hub.total if ctx else 0,
            "telephony": telephony() if telephony is not None else "unknown",
        }

    @app.exception_handler(DesktopError)
    async def desktop_error(_: Request, exc: DesktopError) -> JSONResponse:
        return _error(exc.status_code, exc.error_id, str(exc), exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _http_error(exc)

    @app.exception_handler(AcdError)
    async def acd_error(_: Request, exc: AcdError) -> JSONResponse:
        return _error(api.acd_error_status(exc), exc.error_id, str(exc), exc.details)

    @app.exception_handler(ChatError)
    async def chat_error(_: Request, exc: ChatError) -> JSONResponse:
        return _error(exc.status_code, exc.error_id, str(exc), exc.details)

    @app.exception_handler(AmiError)
    async def asterisk_error(_: Request, exc: AmiError) -> JSONResponse:
        return _error(502, exc.error_id, f"Asterisk refused or is unreachable: {exc}", exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return _error(422, "invalid_request", "the request does not match the API", {"errors": errors})

    return app
