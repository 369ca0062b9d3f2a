"""App nodes as their own processes (``hotline run --no-sandbox``) for tests that need a node to die for
real: started with an environment, waited for until healthy, killed or stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


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
