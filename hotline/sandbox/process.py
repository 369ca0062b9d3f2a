"""Process bookkeeping for the sandbox: liveness, finding an instance's processes, stopping a group."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

__all__ = ["alive", "kill_group", "pids_with_arg", "read_cmdline", "spawn_detached", "wait_gone"]


def read_cmdline(pid: int) -> list[str]:
    """The argv of ``pid``, or an empty list if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def spawn_detached(argv: list[str], *, log: Path, env: dict[str, str]) -> int:
    """Start ``argv`` in a new session (its own process group), output appended to ``log``; its pid.

    No ``Popen`` object is kept, so the process may outlive this one without complaint; :func:`alive`
    reaps it if it ends while this process is still its parent.
    """
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1),
            (os.POSIX_SPAWN_DUP2, out, 2),
        ]
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
    finally:
        os.close(out)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child of ours is reaped and counts as gone)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[:1]
    return state != ["Z"]


def pids_with_arg(arg: str) -> list[int]:
    """Every live process with ``arg`` as one of its command-line arguments."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and arg in read_cmdline(int(entry.name)) and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def wait_gone(pids: list[int], timeout: float) -> bool:
    """Wait until none of ``pids`` runs; whether that happened within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def kill_group(pgid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to process group ``pgid`` if it still exists."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
