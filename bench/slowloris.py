"""What half-open HTTP connections (slowloris) cost the server, with and without the request-head deadline.

A child process runs uvicorn with a one-route ASGI app, once with uvicorn's plain httptools protocol
(``none``) and once with hotline/http_deadline.py's (``deadline``). ``--peers`` connections are opened;
half send nothing, half send a request line and one header and wait. Printed per mode, as one JSON line:
the child's open file descriptors before, while the peers are held, and ``--deadline`` plus one second
after they connected (the peers still holding on); the median time of a ``GET`` made while they are
held; how many peers the server closed, and how many of those that sent half a request got a ``408`` (on
a loaded machine a peer whose bytes arrive after the deadline is closed without one).

    python -m bench.slowloris --peers 500 --deadline 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import time
from typing import Any

import httpx

HALF_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n"


def serve(port: int, mode: str, deadline_s: float) -> None:
    """The child: uvicorn on ``port`` answering every request ``200 ok``."""
    import uvicorn

    from hotline.http_deadline import with_header_deadline

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    protocol = with_header_deadline(deadline_s) if mode == "deadline" else "httptools"
    uvicorn.run(app, host="127.0.0.1", port=port, http=protocol, log_level="error", lifespan="off")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                await client.get(url)
                return
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def _peer(port: int, half: bool, wait_s: float) -> bytes | None:
    """Hold a connection; what the server sent before closing it, or None if it was still open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if half:
            writer.write(HALF_REQUEST)
            await writer.drain()
        try:
            async with asyncio.timeout(wait_s):
                return await reader.read()
        except TimeoutError:
            return None
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def measure(mode: str, peers: int, deadline_s: float) -> dict[str, Any]:
    """One mode's figures."""
    port = _free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"from bench.slowloris import serve; serve({port}, {mode!r}, {deadline_s})"
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        await _up(url)
        idle_fds = _fds(child.pid)
        opened = time.monotonic()
        held = asyncio.gather(*(_peer(port, i % 2 == 1, deadline_s + 2) for i in range(peers)))
        await asyncio.sleep(min(0.5, deadline_s / 2))
        held_fds = _fds(child.pid)
        timings = []
        async with httpx.AsyncClient() as client:
            for _ in range(20):
                started = time.perf_counter()
                assert (await client.get(url)).status_code == 200
                timings.append(time.perf_counter() - started)
        await asyncio.sleep(opened + deadline_s + 1 - time.monotonic())
        after_fds = _fds(child.pid)
        answers = await held
        half = answers[1::2]
        return {
            "mode": mode,
            "peers": peers,
            "deadline_s": deadline_s,
            "fds_idle": idle_fds,
            "fds_held": held_fds,
            "fds_after_deadline": after_fds,
            "get_while_held_ms": round(statistics.median(timings) * 1000, 2),
            "closed_by_server": sum(a is not None for a in answers),
            "half_requests_answered_408": sum(a is not None and a.startswith(b"HTTP/1.1 408 ") for a in half),
        }
    finally:
        child.terminate()
        await child.wait()


def main() -> None:
    """Print one JSON line per mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=500)
    parser.add_argument("--deadline", type=float, default=2.0)
    args = parser.parse_args()
    for mode in ("none", "deadline"):
        print(json.dumps(asyncio.run(measure(mode, args.peers, args.deadline))), flush=True)


if __name__ == "__main__":
    main()
