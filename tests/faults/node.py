"""One app node of the centre as its own process (``hotline run --no-sandbox``), to kill and restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hotline.sandbox.instance import AsteriskSandbox
from tests.conftest import REPO_ROOT, free_port

ADMIN_PASSWORD = "faults-admin-password"


async def until(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(interval)
    return check()


def cel_path(sandbox: AsteriskSandbox) -> Path:
    """Where the sandbox instance writes its channel event log (asterisk_conf/cel_custom.conf)."""
    return sandbox.host_instance_dir / "log" / "cel.jsonl"


def node_env(
    sandbox: AsteriskSandbox,
    state_dir: Path,
    *,
    database_url: str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a node wired to ``sandbox`` (``extra``: more ``HOTLINE_*`` settings, lower case)."""
    c = sandbox.config
    env = {
        "HOTLINE_STATE_DIR": str(state_dir),
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_ASTERISK_MODE": "external",
        "HOTLINE_AMI_PORT": str(c.ami_port),
        "HOTLINE_AMI_USERNAME": c.ami_username,
        "HOTLINE_AMI_SECRET": c.ami_secret,
        "HOTLINE_FASTAGI_PORT": str(c.fastagi_port),
        "HOTLINE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HOTLINE_WRAPUP_SECONDS": "0.5",
        "HOTLINE_RING_TIMEOUT_SECONDS": "6",
        "HOTLINE_IVR_DIGIT_TIMEOUT_SECONDS": "2",
        "HOTLINE_AGENT_EXTENSIONS": ",".join(c.extensions),
        "HOTLINE_CEL_FILE": str(cel_path(sandbox)),
    }
    env.update({f"HOTLINE_{k.upper()}": v for k, v in extra.items()})
    return env


@dataclass
class AppNode:
    """A centre process; ``start`` again after ``kill`` keeps its port, database and settings."""

    name: str
    env: dict[str, str]
    log_dir: Path
    http_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The node's HTTP base URL."""
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        """Start the process (its output goes to ``<log_dir>/<name>.log``)."""
        env = os.environ | self.env | {"HOTLINE_HTTP_PORT": str(self.http_port)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{self.name}.log").open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "run", "--no-sandbox"],
                env=env,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown work of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end within 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    async def health(self) -> dict[str, object] | None:
        """The ``/healthz`` answer, or None when the node does not answer."""
        try:
            async with httpx.AsyncClient(timeout=2.0) as http:
                resp = await http.get(f"{self.url}/healthz")
        except httpx.HTTPError:
            return None
        body: dict[str, object] = resp.json() if resp.status_code == 200 else {}
        return body or None

    async def wait_healthy(self, *, telephony: bool = True, timeout: float = 60.0) -> float:
        """Wait until the node answers (with telephony up when asked); the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"node {self.name} exited with {self.proc.returncode}")
            health = await self.health()
            if health is not None and (not telephony or health.get("telephony") == "up"):
                return time.monotonic() - started
            await asyncio.sleep(0.1)
        raise TimeoutError(f"node {self.name} not healthy within {timeout:g}s")
