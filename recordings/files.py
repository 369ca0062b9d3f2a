"""Where recording files live and what they hold: the root, the nodes' spools, WAV facts and hashes.

Asterisk (MixMonitor) writes a call's files into the monitor spool of the node holding the call, under
``hotline-rec/``. When a file is closed the app moves it into the recordings root as
``YYYY/MM/DD/<recording id>.wav`` (the date the recording started, UTC); the table holds that path
relative to the root, so the root can move. The app reads each node's spool where it is mounted
(``HOTLINE_RECORDINGS_SPOOLS``); the sandbox's spool is the default in sandbox mode.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import time
import wave
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hotline.settings import Settings

SPOOL_SUBDIR = "hotline-rec"
"""Under the node's monitor spool: where MixMonitor writes (a relative name in the MixMonitor options)."""
SAFE = re.compile(r"[^0-9A-Za-z._-]")
WAV_HEADER_BYTES = 44


def recordings_root(settings: Settings) -> Path:
    """The configured recordings root, or ``recordings`` in the state directory."""
    return settings.recordings_dir or settings.state_dir / "recordings"


def parse_spools(spec: str) -> dict[str, Path]:
    """``node=/path,...`` (or one bare path, key ``""`` = every node); ValueError naming a bad part."""
    spools: dict[str, Path] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        node, sep, path = part.partition("=")
        if not sep:
            node, path = "", part
        if not path.startswith("/"):
            raise ValueError(f"HOTLINE_RECORDINGS_SPOOLS: {part!r} is not node=/absolute/path")
        spools[node.strip()] = Path(path)
    return spools


@dataclass(frozen=True, slots=True)
class Spools:
    """The nodes' monitor spools as this app sees them."""

    by_node: dict[str, Path]

    def of(self, node: str) -> Path | None:
        """The spool of ``node`` (the one for every node when none is named for it)."""
        return self.by_node.get(node) or self.by_node.get("")


def recording_id(call_id: str, segment: int, side: str) -> str:
    """A stable id (and file stem) for one side of one segment of a call; at most 64 characters."""
    base = f"{SAFE.sub('_', call_id)}-{segment}-{side}"
    if len(base) <= 64:
        return base
    digest = hashlib.sha256(call_id.encode()).hexdigest()[:24]
    return f"{digest}-{segment}-{side}"


def spool_name(rec_id: str) -> str:
    """The name MixMonitor is given (relative: Asterisk puts it under its monitor spool)."""
    return f"{SPOOL_SUBDIR}/{rec_id}.wav"


def root_path(rec_id: str, started_at: datetime) -> str:
    """The path under the root a recording is kept at."""
    return f"{started_at:%Y/%m/%d}/{rec_id}.wav"


def is_closed_wav(path: Path) -> bool:
    """Whether ``path`` is a WAV whose header covers the whole file (Asterisk fixes the header when it
    closes the file; until then the sizes in it are stale)."""
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as w:
            data = w.getnframes() * w.getsampwidth() * w.getnchannels()
    except (OSError, wave.Error, EOFError):
        return False
    return size >= WAV_HEADER_BYTES and data == size - WAV_HEADER_BYTES


async def wait_closed(path: Path, wait: float) -> bool:
    """Wait at most ``wait`` seconds until Asterisk has closed the file at ``path``; whether it did."""
    deadline = time.monotonic() + wait
    while True:
        if await asyncio.to_thread(is_closed_wav, path):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.2)


def duration_s(path: Path) -> float:
    """The length of the WAV at ``path`` in seconds (0.0 when it is not readable as WAV)."""
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else 0.0
    except (OSError, wave.Error, EOFError):
        return 0.0


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def move_into_root(source: Path, root: Path, relative: str) -> Path:
    """Move a closed spool file to ``root/relative`` (directories made; mode 0640); the new path."""
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))
    target.chmod(0o640)
    return target


def inside_root(root: Path, relative: str) -> Path | None:
    """``root/relative`` when it stays inside the root (a stored path is never trusted blindly)."""
    candidate = (root / relative).resolve()
    return candidate if candidate.is_relative_to(root.resolve()) else None
