"""The centre's HTTP server: uvicorn over the FastAPI app with the centre's settings (the request-head
deadline, websocket frame limit, forwarded headers), started in the running loop."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI

from agent_desktop.protocol import MAX_FRAME_BYTES
from hotline.http_deadline import with_header_deadline
from hotline.settings import Settings

__all__ = ["start_http"]


async def start_http(app: FastAPI, settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve ``app``; returns once the server listens (raises if it stopped while starting), with the
    server (set ``should_exit`` to stop it) and the task serving."""
    config = uvicorn.Config(
        app,
        http=with_header_deadline(settings.http_header_timeout_s),
        host=settings.http_host,
        port=settings.http_port,
        ws="websockets-sansio",
        ws_max_size=MAX_FRAME_BYTES,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            raise RuntimeError("the HTTP server stopped during start-up")
        await asyncio.sleep(0.02)
    return server, serving
