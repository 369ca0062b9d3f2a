"""One Kamailio instance run as a child process from the host, its files under the state directory.

Layout under ``state_dir/kamailio/<name>``: ``etc`` (rendered config and dispatcher list), ``run`` (the
runtime dir with the ctl socket), ``work`` (working dir), ``kamailio.pid`` and ``console.log``.
Kamailio runs in the foreground of its own session (``-DD -E``), so stopping the group stops every child.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from hotline.kamailio.config import KamailioConfig
from hotline.kamailio.errors import KamailioError
from hotline.kamailio.render import render_kamailio_tree
from hotline.kamailio.rpc import parse_dispatcher_list, parse_dispatcher_loads
from hotline.sandbox.process import alive, kill_group, pids_with_arg, read_cmdline, spawn_detached, wait_gone

__all__ = ["KamailioSandbox"]

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
SHM_MB = 64
PKG_MB = 8


class KamailioSandbox:
    """Render, start, stop and query one Kamailio instance."""

    def __init__(self, *, config: KamailioConfig, state_dir: Path) -> None:
        self.config = config
        self.state = state_dir / "kamailio" / config.name
        self.etc = self.state / "etc"
        self.run_dir = self.state / "run"
        self.work_dir = self.state / "work"
        self.conf_file = self.etc / "kamailio.cfg"
        self.pid_file = self.state / "kamailio.pid"
        self.console_log = self.state / "console.log"
        self.ctl_socket = self.run_dir / "kamailio_ctl"

    def render(self) -> Path:
        """Render the config into ``etc`` (stale files removed); the config file."""
        for sub in (self.etc, self.run_dir, self.work_dir):
            sub.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)
        values = self.config.values(run_dir=str(self.run_dir), etc_dir=str(self.etc))
        written = set(render_kamailio_tree(self.config.conf_src, self.etc, values))
        for stale in self.etc.rglob("*"):
            if stale.is_file() and stale not in written:
                stale.unlink()
        return self.conf_file

    def check(self) -> None:
        """Have Kamailio parse the rendered config (``-c``); raises with its output when it is wrong."""
        done = subprocess.run(
            [_kamailio(), "-c", "-f", str(self.render()), "-Y", str(self.run_dir)],
            capture_output=True,
            text=True,
            timeout=30,
            env=ENV,
            check=False,
        )
        if done.returncode != 0:
            raise KamailioError("kamailio_bad_config", "kamailio -c failed", output=done.stderr[-3000:])

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

    def up(self, *, timeout: float = 20.0) -> None:
        """Start Kamailio and wait until its ctl socket answers RPC."""
        with self._locked():
            if self.is_running():
                return
            self._kill_leftovers()
            self._check_ports_free()
            self.render()
            pid = self._spawn()
            try:
                self._wait_ready(pid, time.monotonic() + timeout)
            except BaseException:
                self._stop(timeout=5.0, pid=pid)
                raise

    def down(self, *, timeout: float = 10.0) -> None:
        """Stop Kamailio (SIGTERM to its group, then SIGKILL)."""
        with self._locked():
            self._stop(timeout=timeout)

    def status(self) -> dict[str, object]:
        """A JSON-friendly summary, with the dispatcher's view of the nodes when running."""
        pid = self._pid()
        nodes: object = None
        if pid is not None:
            with contextlib.suppress(KamailioError):
                nodes = self.dispatcher_nodes()
        return {
            "name": self.config.name,
            "running": pid is not None,
            "pid": pid,
            "sip": f"{self.config.bind_address}:{self.config.sip_port}",
            "ws": f"{self.config.bind_address}:{self.config.ws_port}",
            "rpc": self.config.rpc_url,
            "nodes": nodes,
            "conf": str(self.conf_file),
            "console_log": str(self.console_log),
        }

    def rpc(self, command: str, *args: str, timeout: float = 10.0) -> str:
        """Run one RPC command over the ctl socket (``kamcmd``); its output.

        kamcmd reads a number-like argument as an integer; write ``s:1001`` to pass it as a string.
        """
        argv = [_kamcmd(), "-s", f"unix:{self.ctl_socket}", command, *args]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=ENV, check=False)
        except subprocess.TimeoutExpired as exc:
            raise KamailioError("kamailio_rpc_timeout", "RPC timed out", command=command) from exc
        if done.returncode != 0 or done.stdout.startswith("error:"):
            raise KamailioError(
                "kamailio_rpc_failed",
                "RPC failed",
                command=command,
                output=(done.stdout + done.stderr)[-2000:],
            )
        return done.stdout

    def dispatcher_nodes(self) -> dict[str, str]:
        """Each node's dispatcher URI and flags (``AP`` active, ``IP`` inactive, ``DX`` disabled…)."""
        return parse_dispatcher_list(self.rpc("dispatcher.list"))

    def dispatcher_loads(self) -> dict[str, int]:
        """Each node's current call count as the call-load algorithm keeps it."""
        return parse_dispatcher_loads(self.rpc("dispatcher.list"))

    def _spawn(self) -> int:
        argv = [
            _kamailio(),
            "-DD",
            "-E",
            "-f",
            str(self.conf_file),
            "-P",
            str(self.pid_file),
            "-Y",
            str(self.run_dir),
            "-w",
            str(self.work_dir),
            "-m",
            str(SHM_MB),
            "-M",
            str(PKG_MB),
        ]
        with self.console_log.open("a") as log:
            log.write(f"\n--- starting {self.config.name} at {time.ctime()}\n")
        self.pid_file.unlink(missing_ok=True)
        return spawn_detached(argv, log=self.console_log, env=ENV)

    def _wait_ready(self, pid: int, deadline: float) -> None:
        while True:
            if not alive(pid):
                raise KamailioError("kamailio_exited", "Kamailio exited while starting", log=self._log_tail())
            if self.ctl_socket.exists() and self._pid() == pid:
                with contextlib.suppress(KamailioError):
                    self.rpc("core.version", timeout=2.0)
                    return
            if time.monotonic() >= deadline:
                raise KamailioError("kamailio_start_timeout", "Kamailio did not start", log=self._log_tail())
            time.sleep(0.1)

    def _stop(self, *, timeout: float, pid: int | None = None) -> None:
        pid = pid if pid is not None and alive(pid) else self._pid()
        if pid is not None:
            kill_group(pid, signal.SIGTERM)
            if not wait_gone([pid], timeout):
                kill_group(pid, signal.SIGKILL)
                wait_gone([pid], 5.0)
        self._kill_leftovers()
        self.pid_file.unlink(missing_ok=True)

    def _kill_leftovers(self) -> None:
        """SIGKILL any process still running this instance's config (e.g. after a lost pid file)."""
        pids = pids_with_arg(str(self.conf_file))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if pids and not wait_gone(pids, 5.0):
            raise KamailioError("kamailio_unkillable", "processes of the instance survive SIGKILL", pids=pids)

    def _check_ports_free(self, wait_s: float = 10.0) -> None:
        c = self.config
        deadline = time.monotonic() + wait_s
        for address, kind, port in (
            (c.bind_address, socket.SOCK_DGRAM, c.sip_port),
            (c.bind_address, socket.SOCK_STREAM, c.sip_port),
            (c.bind_address, socket.SOCK_STREAM, c.ws_port),
            (c.rpc_address, socket.SOCK_STREAM, c.rpc_port),
        ):
            while not _bindable(address, port, kind):
                if time.monotonic() > deadline:
                    raise KamailioError("kamailio_port_busy", f"port {port} is in use", port=port)
                time.sleep(0.1)

    def _log_tail(self, size: int = 3000) -> str:
        try:
            return self.console_log.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.state.mkdir(parents=True, exist_ok=True)
        with (self.state / "lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _kamailio() -> str:
    return _tool("kamailio")


def _kamcmd() -> str:
    return _tool("kamcmd")


def _tool(name: str) -> str:
    path = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise KamailioError("kamailio_missing", f"{name} is not installed (run scripts/setup-system.sh)")
    return path


def _bindable(address: str, port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True
