"""One coturn instance run as a child process from the host, its files under the state directory.

Layout under ``state_dir/turn/<name>``: ``static-auth-secret`` (generated once, 0600), ``etc`` (the
rendered ``turnserver.conf``, 0600 as it holds the secret), ``turnserver.pid``, ``turndb`` and
``console.log``. coturn runs in the foreground of its own session; no systemd unit is involved.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import secrets
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from hotline.sandbox.process import alive, kill_group, read_cmdline, spawn_detached, wait_gone
from hotline.sandbox.render import PLACEHOLDER
from hotline.turn.config import TurnConfig
from hotline.turn.credentials import IceServers
from hotline.turn.errors import TurnError
from hotline.turn.probe import stun_answers

__all__ = ["TurnServer", "render_turn_text"]

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
SECRET_FILE = "static-auth-secret"
SECRET = re.compile(r"[A-Za-z0-9_-]{32,}")


def render_turn_text(text: str, values: dict[str, str], *, source: str) -> str:
    """``text`` with every ``@@NAME@@`` replaced; an unknown name is an error naming ``source``."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise TurnError("conf_placeholder_unknown", f"{source}: no value for {match.group(0)}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(substitute, text)


class TurnServer:
    """Render, start, stop and query one coturn instance."""

    def __init__(self, *, config: TurnConfig, state_dir: Path) -> None:
        self.config = config
        self.state = state_dir / "turn" / config.name
        self.conf_file = self.state / "etc" / "turnserver.conf"
        self.pid_file = self.state / "turnserver.pid"
        self.console_log = self.state / "console.log"

    def secret(self) -> str:
        """The shared REST secret, generated (0600) on first use."""
        path = self.state / SECRET_FILE
        with contextlib.suppress(FileNotFoundError):
            text = path.read_text().strip()
            if SECRET.fullmatch(text):
                return text
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(secrets.token_urlsafe(32) + "\n")
        tmp.replace(path)
        return path.read_text().strip()

    def ice_servers(self, *, ttl_s: int) -> IceServers:
        """This server as STUN and TURN for browser phones, with its secret."""
        stun, turn = self.config.urls()
        return IceServers(stun_urls=stun, turn_urls=turn, secret=self.secret(), ttl_s=ttl_s)

    def render(self) -> Path:
        """Render ``turnserver.conf`` (0600, it holds the secret); its path."""
        secret = self.secret()
        self.conf_file.parent.mkdir(parents=True, exist_ok=True)
        template = self.config.conf_src / "turnserver.conf"
        if not template.is_file():
            raise TurnError("conf_src_missing", f"no template at {template}", path=str(template))
        values = self.config.values(secret=secret, state_dir=str(self.state))
        text = render_turn_text(template.read_text(encoding="utf-8"), values, source=str(template))
        tmp = self.conf_file.with_name(".turnserver.conf.tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.conf_file)
        return self.conf_file

    def is_running(self) -> bool:
        """Whether this instance's process (from the pid file) is alive."""
        return self._pid() is not None

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if alive(pid) and str(self.conf_file) in read_cmdline(pid):
            return pid
        return None

    def up(self, *, timeout: float = 15.0) -> None:
        """Start coturn and wait until it answers a STUN Binding request."""
        with self._locked():
            if self.is_running():
                return
            self._check_ports_free()
            argv = [_turnserver(), "-c", str(self.render())]
            with self.console_log.open("a") as log:
                log.write(f"\n--- starting {self.config.name} at {time.ctime()}\n")
            pid = spawn_detached(argv, log=self.console_log, env=ENV)
            self.pid_file.write_text(f"{pid}\n")
            try:
                self._wait_ready(pid, time.monotonic() + timeout)
            except BaseException:
                self._stop(timeout=5.0, pid=pid)
                raise

    def down(self, *, timeout: float = 10.0) -> None:
        """Stop coturn (SIGTERM to its group, then SIGKILL)."""
        with self._locked():
            self._stop(timeout=timeout)

    def status(self) -> dict[str, object]:
        """A JSON-friendly summary (no secret)."""
        pid = self._pid()
        c = self.config
        stun, turn = c.urls()
        return {
            "name": c.name,
            "running": pid is not None,
            "pid": pid,
            "answers_stun": pid is not None and stun_answers(c.listen_address, c.port),
            "urls": stun + turn,
            "relay_ports": f"{c.relay_min_port}-{c.relay_max_port}",
            "allowed_peers": list(c.allowed_peers),
            "conf": str(self.conf_file),
            "console_log": str(self.console_log),
        }

    def _wait_ready(self, pid: int, deadline: float) -> None:
        while not stun_answers(self.config.listen_address, self.config.port, timeout=0.3):
            if not alive(pid):
                raise TurnError("turn_exited", "coturn exited while starting", log=self._log_tail())
            if time.monotonic() >= deadline:
                raise TurnError("turn_start_timeout", "coturn did not answer STUN", log=self._log_tail())

    def _stop(self, *, timeout: float, pid: int | None = None) -> None:
        pid = pid if pid is not None and alive(pid) else self._pid()
        if pid is not None:
            kill_group(pid, signal.SIGTERM)
            if not wait_gone([pid], timeout):
                kill_group(pid, signal.SIGKILL)
                wait_gone([pid], 5.0)
        self.pid_file.unlink(missing_ok=True)

    def _check_ports_free(self) -> None:
        c = self.config
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            family = socket.AF_INET6 if ":" in c.listen_address else socket.AF_INET
            with socket.socket(family, kind) as probe:
                try:
                    probe.bind((c.listen_address, c.port))
                except OSError as exc:
                    raise TurnError("turn_port_busy", f"port {c.port} is in use", port=c.port) from exc

    def _log_tail(self, size: int = 3000) -> str:
        try:
            return self.console_log.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)
        with (self.state / "lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _turnserver() -> str:
    path = shutil.which("turnserver", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise TurnError("turn_missing", "turnserver is not installed (run scripts/setup-system.sh)")
    return path
