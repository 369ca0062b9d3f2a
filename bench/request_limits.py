"""Sign-in timing and request-body memory of the HTTP app, printed as JSON lines.

The app (hotline.http, the real sign-in, a migrated SQLite file) runs in a child process under uvicorn,
so its memory is its own: ``peak_rss_mib`` is the child's ``VmHWM`` after one request, ``grew_mib`` its
growth over the idle peak. Each body scenario gets a fresh child.

- ``login``: median wall time of sign-ins with a wrong password, for users that exist and users that do
  not (``tries`` each, interleaved). Every try comes from its own loopback address (127.0.1.N), so the
  per-address throttle does not interfere.
- ``body``: one POST of ``--body-mib`` MiB of JSON-looking bytes to ``/api/work-orders``, without a
  token (``anonymous``) and with one (``signed_in``); the status and the child's memory.

Runs against whatever tree is on ``sys.path``, so the same script measures an older checkout:

    python -m bench.request_limits
    cd OLD_TREE && python -m bench.request_limits --label before   # with this file copied into OLD_TREE/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx

PASSWORD = "known-users-password"


def serve(port: int, db: Path, users: int) -> None:
    """The child: the HTTP app with ``users`` known users and one admin token printed on stdout."""
    import uvicorn

    from acd.service import AcdService
    from agent_desktop.auth import Role, TokenStore, hash_password
    from agent_desktop.context import DesktopContext
    from agent_desktop.hub import DesktopHub
    from agent_desktop.service import DesktopService
    from hotline.bus import EventBus
    from hotline.db import repository as repo
    from hotline.db.engine import make_engine, migrate, session_factory
    from hotline.http import build_http_app

    url = f"sqlite:///{db}"
    migrate(url)
    sessions = session_factory(make_engine(url))
    stored = hash_password(PASSWORD)
    for i in range(users):
        repo.upsert_agent(sessions, agent_id=f"k{i}", name="k", contact="", skills={}, password_hash=stored)
    tokens = TokenStore()
    ctx = DesktopContext(
        sessions=sessions,
        tokens=tokens,
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
    )
    print(json.dumps({"token": tokens.issue("admin", Role.ADMIN)}), flush=True)
    uvicorn.run(build_http_app(ctx), host="127.0.0.1", port=port, log_level="error", lifespan="off")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


class Child:
    """The app in a child process."""

    def __init__(self, users: int) -> None:
        self.port = _free_port()
        self.dir = tempfile.TemporaryDirectory()
        args = [sys.executable, "-m", "bench.request_limits", "--serve", str(self.port), self.dir.name]
        args.append(str(users))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        assert self.proc.stdout is not None
        self.token = json.loads(self.proc.stdout.readline())["token"]
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_up()

    def _wait_up(self) -> None:
        for _ in range(500):
            try:
                httpx.get(self.url + "/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError("the app did not start")

    def memory(self) -> dict[str, float]:
        """The child's current and peak resident memory, MiB."""
        return _rss_mib(self.proc.pid)

    def stop(self) -> None:
        """End the child and remove its files."""
        self.proc.terminate()
        self.proc.wait(10)
        self.dir.cleanup()


async def _sign_in(url: str, user_id: str, address: str) -> tuple[float, int]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, base_url=url, timeout=30) as client:
        started = time.perf_counter()
        resp = await client.post("/api/sessions", json={"user_id": user_id, "password": "wrong-password"})
        return time.perf_counter() - started, resp.status_code


async def login_timing(tries: int) -> dict[str, Any]:
    """Median sign-in time with a wrong password, known vs unknown users."""
    child = Child(users=tries)
    try:
        known: list[float] = []
        unknown: list[float] = []
        statuses: set[int] = set()
        for i in range(tries):
            for user, into in ((f"k{i}", known), (f"ghost{i}", unknown)):
                elapsed, status = await _sign_in(child.url, user, f"127.0.1.{len(known) + len(unknown) + 1}")
                into.append(elapsed)
                statuses.add(status)
        k, u = statistics.median(known), statistics.median(unknown)
        return {
            "scenario": "login",
            "tries": tries,
            "known_median_ms": round(k * 1e3, 2),
            "unknown_median_ms": round(u * 1e3, 2),
            "known_over_unknown": round(k / u, 2),
            "statuses": sorted(statuses),
        }
    finally:
        child.stop()


async def _body(total: int) -> AsyncIterator[bytes]:
    chunk = b'{"x": "' + b"a" * (1024 * 1024 - 10) + b'", '
    sent = 0
    while sent < total:
        part = chunk[: total - sent]
        sent += len(part)
        yield part


async def body_memory(mib: int, signed_in: bool) -> dict[str, Any]:
    """Memory of the app while it takes one large body."""
    child = Child(users=0)
    try:
        idle = child.memory()
        headers = {"Content-Type": "application/json"}
        if signed_in:
            headers["Authorization"] = f"Bearer {child.token}"
        async with httpx.AsyncClient(base_url=child.url, timeout=120) as client:
            try:
                body = _body(mib * 1024 * 1024)
                resp = await client.post("/api/work-orders", content=body, headers=headers)
                status: int | str = resp.status_code
            except httpx.TransportError as exc:
                status = f"connection closed: {type(exc).__name__}"
        after = child.memory()
        return {
            "scenario": "body",
            "signed_in": signed_in,
            "body_mib": mib,
            "status": status,
            "idle_peak_rss_mib": round(idle["VmHWM"], 1),
            "peak_rss_mib": round(after["VmHWM"], 1),
            "grew_mib": round(after["VmHWM"] - idle["VmHWM"], 1),
        }
    finally:
        child.stop()


async def main(args: argparse.Namespace) -> None:
    """Print one JSON line per scenario."""
    results = [await login_timing(args.tries)]
    for signed_in in (False, True):
        results.append(await body_memory(args.body_mib, signed_in))
    for result in results:
        print(json.dumps({"label": args.label, **result}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]) / "bench.db", int(sys.argv[4]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--body-mib", type=int, default=60)
    parser.add_argument("--label", default="current")
    asyncio.run(main(parser.parse_args()))
