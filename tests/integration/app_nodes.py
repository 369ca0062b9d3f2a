"""App nodes as their own processes (``hotline run --no-sandbox``) for tests that need a node to die for
real: started with an environment, waited for until healthy, killed or stopped."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from hotline.sandbox.instance import AsteriskSandbox
from tests.ports import free_port
from tests.redis_keys import drop_prefix


def start_node(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A centre process with ``env``, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hotline.cli", "run", "--no-sandbox"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 40.0) -> None:
    """Until ``url``/healthz answers; AssertionError when the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "node exited during start-up"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def stop_nodes(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each node still running, then SIGKILL those that do not end within 15 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class NodePair:
    """Node A (serving the sandbox's FastAGI port) and node B (FastAGI on a port of its own), sharing one
    database, one Redis prefix and the sandbox's Asterisk."""

    procs: list[subprocess.Popen[bytes]]
    urls: list[str]
    database_url: str
    prefix: str


@contextmanager
def node_pair(
    sandbox: AsteriskSandbox, tmp_path: Path, *, redis_url: str, admin_password: str, ring_timeout_s: int = 6
) -> Iterator[NodePair]:
    """Start both nodes, wait until healthy; stop them (those still running) and drop the prefix after."""
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    c = sandbox.config
    base = os.environ | {
        "HOTLINE_DATABASE_URL": database,
        "HOTLINE_REDIS_URL": redis_url,
        "HOTLINE_REDIS_PREFIX": prefix,
        "HOTLINE_ASTERISK_MODE": "external",
        "HOTLINE_AMI_PORT": str(c.ami_port),
        "HOTLINE_AMI_SECRET": c.ami_secret,
        "HOTLINE_ADMIN_PASSWORD": admin_password,
        "HOTLINE_WRAPUP_SECONDS": "0.5",
        "HOTLINE_RING_TIMEOUT_SECONDS": str(ring_timeout_s),
    }
    pair = NodePair([], [], database, prefix)
    try:
        for name, agi_port in (("a", c.fastagi_port), ("b", free_port())):
            http_port = free_port()
            env = base | {
                "HOTLINE_STATE_DIR": str(tmp_path / name),
                "HOTLINE_FASTAGI_PORT": str(agi_port),
                "HOTLINE_HTTP_PORT": str(http_port),
            }
            pair.procs.append(start_node(env, tmp_path / f"node-{name}.log"))
            pair.urls.append(f"http://127.0.0.1:{http_port}")
            wait_healthy(pair.urls[-1], pair.procs[-1])
        yield pair
    finally:
        stop_nodes(pair.procs)
        drop_prefix(redis_url, prefix)
