"""Ports for test servers that no other test worker and no outgoing connection can take.

A port the kernel picks for ``bind(0)`` comes from the ephemeral range (32768-60999 here), the same range
it hands to every outgoing connection, and it is free again as soon as the probe closes. A sandbox keeps
its FastAGI port for the whole session while a centre listens on it only during a test, so in between
another worker's sandbox or an outgoing connection could take it: three tests of one run failed with
"address already in use" on their FastAGI port that way. Ports here come from below the ephemeral range,
a separate block for each test process, and are never handed out twice in one process. A process claims
its block by locking one of ``SLOTS`` lock files (``flock``, released when the process ends), so the
workers of one run and those of another run on the same machine never share a block.
"""

from __future__ import annotations

import fcntl
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

LOWEST = 20000
"""Above the RTP ports a sandbox gives Asterisk (10000-19999 by default)."""

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
SLOTS = 6
"""Blocks between ``LOWEST`` and the ephemeral range: test processes running at once on one machine."""
LOCK_DIR = Path(tempfile.gettempdir()) / "hotline-test-ports"


def ephemeral_low() -> int:
    """The first port the kernel hands to outgoing connections."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def claim_slot(lock_dir: Path = LOCK_DIR, slots: int = SLOTS) -> tuple[int, IO[str]]:
    """The first of ``slots`` lock files no other process holds, locked; its index and the open file
    (the lock lasts while the file is open, at most as long as this process)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    for index in range(slots):
        handle = (lock_dir / f"{index}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return index, handle
    raise RuntimeError(f"more than {slots} test processes at once hold ports (locks in {lock_dir})")


def free_on_loopback(port: int) -> bool:
    """Whether ``port`` can be bound on 127.0.0.1 for both TCP and UDP (SIP and Kamailio use both)."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


@dataclass
class PortBlock:
    """Ports ``start`` to ``end - 1``, handed out in turn, each once, skipping any that is in use."""

    start: int
    end: int
    handed_out: set[int] = field(default_factory=set)
    cursor: int = 0

    def take(self, count: int = 1) -> int:
        """The first of ``count`` neighbouring free ports (even when ``count`` > 1, as RTP wants)."""
        size = self.end - self.start
        for _ in range(size):
            port = self.start + self.cursor % size
            self.cursor += 1
            if count > 1 and port % 2:
                continue
            run = range(port, port + count)
            if run.stop > self.end or any(p in self.handed_out or not free_on_loopback(p) for p in run):
                continue
            self.handed_out.update(run)
            return port
        raise RuntimeError(f"no {count} free port(s) left in {self.start}-{self.end - 1}")


def slot_block(index: int, slots: int = SLOTS) -> PortBlock:
    """Slot ``index``'s share of the ports between ``LOWEST`` and the ephemeral range."""
    size = (ephemeral_low() - LOWEST) // slots
    if size < 200:
        raise RuntimeError(f"too few ports below {ephemeral_low()} for {slots} test processes")
    start = LOWEST + index * size
    return PortBlock(start=start, end=start + size)


_BLOCK: PortBlock | None = None
_LOCK: IO[str] | None = None


def free_port(count: int = 1) -> int:
    """A loopback port, free for TCP and UDP, that this process has not handed out before; with
    ``count``, the first of that many neighbours (SIPp's media port ``-mp`` binds the ports after it)."""
    global _BLOCK, _LOCK
    if _BLOCK is None:
        index, _LOCK = claim_slot()
        _BLOCK = slot_block(index)
    return _BLOCK.take(count)
