"""The FastAPI application: desktop API, websocket, static pages and error mapping."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from acd.errors import AcdError
from agent_desktop import api, call_api, phone_api, ws
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from hotline.ami.client import AmiError
from ivr import api as ivr_api
from tickets import api as tickets_api

STATIC_DIR = Path(__file__).resolve().parent.parent / "agent_desktop" / "static"


def _error(status: int, error_id: str, message: str, details: object) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error_id": error_id, "message": message, "details": details}
    )


def build_http_app(desktop: DesktopContext | None) -> FastAPI:
    """The HTTP app; ``desktop`` may be None only to render the OpenAPI document."""
    app = FastAPI(
        title="hotline",
        version="0.1.0",
        description="12345 contact centre: desktop, supervision and administration API",
    )
    app.state.desktop = desktop
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(ivr_api.router)
    app.include_router(tickets_api.router)
    app.include_router(call_api.router)
    app.include_router(phone_api.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/healthz", tags=["ops"])
    async def healthz(request: Request) -> dict[str, object]:
        ctx: DesktopContext | None = request.app.state.desktop
        return {"ok": True, "desktops": ctx.hub.total if ctx else 0}

    @app.exception_handler(DesktopError)
    async def desktop_error(_: Request, exc: DesktopError) -> JSONResponse:
        return _error(exc.status_code, exc.error_id, str(exc), exc.details)

    @app.exception_handler(AcdError)
    async def acd_error(_: Request, exc: AcdError) -> JSONResponse:
        return _error(api.acd_error_status(exc), exc.error_id, str(exc), exc.details)

    @app.exception_handler(AmiError)
    async def asterisk_error(_: Request, exc: AmiError) -> JSONResponse:
        return _error(502, exc.error_id, f"Asterisk refused or is unreachable: {exc}", exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return _error(422, "invalid_request", "the request does not match the API", {"errors": errors})

    return app
