"""One Asterisk 22 instance running inside the cached chroot, supervised from the host.

Layout: the config renders into ``ROOT/etc/hotline/<instance>/etc``; the same instance directory holds
the AstDB, spool (recordings under ``spool/monitor``), run (control socket) and log directories, so
several instances share one root without touching each other. Asterisk runs as PID 1 of a private PID
and mount namespace (``unshare --kill-child``), whose own ``/proc`` never shows outside. The host keeps
the pid of the ``unshare`` process and the console log under ``state_dir/asterisk/<instance>``.
Stopping is graceful first (``core stop now``), then SIGTERM to the process group, then SIGKILL.
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

from hotline.sandbox.ami_probe import AmiProbe
from hotline.sandbox.config import SandboxConfig, instance_state_dir
from hotline.sandbox.dtls import DtlsFiles, ensure_dtls_certificate
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.process import (
    alive,
    kill_group,
    pids_with_arg,
    read_cmdline,
    spawn_detached,
    wait_gone,
)
from hotline.sandbox.render import render_tree

__all__ = ["AsteriskSandbox", "SandboxConfig", "SandboxError"]

INSTANCE_DIRS = ("etc", "db", "spool/monitor", "run", "log", "cache", "keys")
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
CLI_TIMEOUT_S = 20.0


class AsteriskSandbox:
    """Render, start, stop and talk to one sandbox instance."""

    def __init__(self, *, root: Path, config: SandboxConfig, state_dir: Path) -> None:
        self.root = root
        self.config = config
        self.state = instance_state_dir(state_dir, config.instance)
        self.instance_dir = f"/etc/hotline/{config.instance}"
        self.conf_file = f"{self.instance_dir}/etc/asterisk.conf"
        self.pid_file = self.state / "asterisk.pid"
        self.console_log = self.state / "console.log"
        self.spawned_at: float | None = None
        """Wall-clock time (epoch seconds, like CEL's) at which this object last started the instance: a
        call the event log shows started before it and never ended died with the previous instance."""

    @property
    def host_instance_dir(self) -> Path:
        """The instance directory as seen from the host."""
        return self.root / self.instance_dir.lstrip("/")

    @property
    def recordings_dir(self) -> Path:
        """Host path of the instance's monitor directory, where MixMonitor writes."""
        return self.host_instance_dir / "spool" / "monitor"

    @property
    def sounds_dir(self) -> Path:
        """Host path of the sounds directory Asterisk plays prompts from (shared by all instances)."""
        return self.root / "usr" / "share" / "asterisk" / "sounds"

    def to_host(self, chroot_path: str) -> Path:
        """The host path of a path inside the chroot (e.g. a recording file name from an AMI event)."""
        return self.root / chroot_path.lstrip("/")

    def render(self) -> Path:
        """Render the config for this instance and create its directories; the host config dir."""
        for sub in INSTANCE_DIRS:
            (self.host_instance_dir / sub).mkdir(parents=True, exist_ok=True)
        self.host_instance_dir.chmod(0o700)
        etc = self.host_instance_dir / "etc"
        ensure_dtls_certificate(self.host_instance_dir / "dtls")
        values = self.config.values(
            instance_dir=self.instance_dir,
            modules_dir=self._modules_dir(),
            dtls=DtlsFiles.in_dir(f"{self.instance_dir}/dtls"),
        )
        written = set(render_tree(self.config.conf_src, etc, values))
        for stale in etc.rglob("*"):
            if stale.is_file() and stale not in written:
                stale.unlink()
        return etc

    def _modules_dir(self) -> str:
        found = sorted(self.root.glob("usr/lib/*/asterisk/modules")) or sorted(
            self.root.glob("usr/lib/asterisk/modules")
        )
        if not found:
            raise SandboxError("sandbox_root_broken", "no Asterisk modules directory", root=str(self.root))
        return "/" + str(found[0].relative_to(self.root))

    def is_running(self) -> bool:
        """Whether this instance's process (from the pid file) is alive."""
        return self._pid() is not None

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if alive(pid) and self.conf_file in read_cmdline(pid):
            return pid
        return None

    def status(self) -> dict[str, object]:
        """A JSON-friendly summary of the instance."""
        pid = self._pid()
        uptime = None
        if pid is not None:
            with contextlib.suppress(OSError):
                uptime = round(time.time() - self.pid_file.stat().st_mtime, 1)
        return {
            "instance": self.config.instance,
            "running": pid is not None,
            "pid": pid,
            "uptime_s": uptime,
            "ami_port": self.config.ami_port,
            "sip_port": self.config.sip_port,
            "http_port": self.config.http_port,
            "root": str(self.root),
            "conf_dir": str(self.host_instance_dir / "etc"),
            "console_log": str(self.console_log),
        }

    def up(self, *, timeout: float = 60.0) -> None:
        """Start the instance and wait until AMI accepts the login and Asterisk is fully booted."""
        with self._locked():
            if self.is_running():
                return
            self._kill_leftovers()
            self._check_ports_free()
            self.render()
            self.spawned_at = time.time()
            pid = self._spawn()
            try:
                self._wait_ready(pid, time.monotonic() + timeout)
            except BaseException:
                self._stop(timeout=5.0)
                raise

    def down(self, *, timeout: float = 15.0) -> None:
        """Stop the instance (gracefully, then by force); no process of it is left afterwards."""
        with self._locked():
            self._stop(timeout=timeout)

    def destroy(self) -> None:
        """Stop the instance and delete its directory in the root and its host state (recordings too)."""
        self.down()
        shutil.rmtree(self.host_instance_dir, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)

    def reload(self) -> None:
        """Re-render the config and have the running instance reload it."""
        self.render()
        self.cli("core reload")

    def cli(self, command: str, *, timeout: float = CLI_TIMEOUT_S) -> str:
        """Run one CLI command in the running instance (``asterisk -rx``); its output."""
        argv = [*self._chroot(), "/usr/sbin/asterisk", "-C", self.conf_file, "-rx", command]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, env=CHROOT_ENV, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError("sandbox_cli_timeout", "CLI command timed out", command=command) from exc
        out = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise SandboxError(
                "sandbox_cli_failed",
                "CLI command failed",
                command=command,
                returncode=done.returncode,
                output=(out + done.stderr.decode(errors="replace"))[-2000:],
            )
        return out

    def _chroot(self) -> list[str]:
        return [_tool("chroot"), str(self.root)]

    def _spawn(self) -> int:
        argv = [
            _tool("unshare"),
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            f"--mount-proc={self.root}/proc",
            *self._chroot(),
            "/usr/sbin/asterisk",
            "-f",
            "-n",
            "-C",
            self.conf_file,
        ]
        self.state.mkdir(parents=True, exist_ok=True)
        with self.console_log.open("a") as log:
            log.write(f"\n--- starting {self.config.instance} at {time.ctime()}\n")
        pid = spawn_detached(argv, log=self.console_log, env=CHROOT_ENV)
        self.pid_file.write_text(f"{pid}\n")
        return pid

    def _wait_ready(self, pid: int, deadline: float) -> None:
        c = self.config
        while True:
            if not alive(pid):
                raise SandboxError(
                    "sandbox_exited", "Asterisk exited while starting", log_tail=self._log_tail()
                )
            if time.monotonic() >= deadline:
                raise SandboxError(
                    "sandbox_start_timeout", "Asterisk did not boot in time", log_tail=self._log_tail()
                )
            try:
                with AmiProbe(
                    host="127.0.0.1",
                    port=c.ami_port,
                    username=c.ami_username,
                    secret=c.ami_secret,
                    timeout=1.0,
                ) as probe:
                    if probe.wait_fully_booted(deadline):
                        self._wait_core_commands(deadline)
                        return
            except OSError:
                time.sleep(0.1)

    def _wait_core_commands(self, deadline: float) -> None:
        """Wait until the CLI knows the core commands. Asterisk announces FullyBooted on AMI and only then
        registers them (``core show version``, ``core stop now``…: main/asterisk.c), so a command sent at
        once can get "No such command" (seen on a busy machine)."""
        while True:
            with contextlib.suppress(SandboxError):
                if self.cli("core show version", timeout=max(1.0, deadline - time.monotonic())).startswith(
                    "Asterisk"
                ):
                    return
            if time.monotonic() >= deadline:
                raise SandboxError(
                    "sandbox_start_timeout", "the CLI did not answer in time", log_tail=self._log_tail()
                )
            time.sleep(0.05)

    def _stop(self, *, timeout: float) -> None:
        pid = self._pid()
        if pid is not None:
            deadline = time.monotonic() + timeout
            try:
                self.cli("core stop now", timeout=max(1.0, timeout / 3))
                graceful = wait_gone([pid], max(0.5, deadline - time.monotonic() - timeout / 3))
            except SandboxError:
                graceful = False
            if not graceful:
                kill_group(pid, signal.SIGTERM)
                if not wait_gone([pid], max(0.5, deadline - time.monotonic())):
                    kill_group(pid, signal.SIGKILL)
                    wait_gone([pid], 5.0)
        self._kill_leftovers()
        self.pid_file.unlink(missing_ok=True)

    def crash(self) -> None:
        """Kill the instance at once (SIGKILL, no shutdown work: channels are not hung up, AMI sees the
        connection drop), as a node failure would; ``down()`` or ``up()`` afterwards clean up."""
        pid = self._pid()
        if pid is not None:
            kill_group(pid, signal.SIGKILL)
            wait_gone([pid], 5.0)
        self._kill_leftovers()

    def _kill_leftovers(self) -> None:
        """SIGKILL any process still running this instance's config (e.g. after a lost pid file)."""
        pids = pids_with_arg(self.conf_file)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if pids and not wait_gone(pids, 5.0):
            raise SandboxError("sandbox_unkillable", "processes of the instance survive SIGKILL", pids=pids)

    def _check_ports_free(self, wait_s: float = 10.0) -> None:
        """Fail when a port stays taken; right after ``down()`` the old instance's connections may hold
        it for a moment (closing sockets whose peers have not read the end yet), so wait a little."""
        c = self.config
        deadline = time.monotonic() + wait_s
        for kind, port in (
            (socket.SOCK_STREAM, c.ami_port),
            (socket.SOCK_STREAM, c.http_port),
            (socket.SOCK_DGRAM, c.sip_port),
        ):
            while not _bindable(c.bind_address, port, kind):
                if time.monotonic() > deadline:
                    raise SandboxError("sandbox_port_busy", f"port {port} is in use", port=port)
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


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise SandboxError("sandbox_tool_missing", f"{name} is not installed", tool=name)
    return path


def _bindable(address: str, port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True
