"""Checks every saved recording file against the size and SHA-256 stored when it was closed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from recordings.files import inside_root, sha256_of
from recordings.store import Sessions, saved_recordings

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Problem:
    """One saved recording whose file is not what was stored."""

    recording_id: str
    path: str
    problem: str
    """``absent``, ``outside_root``, ``size`` or ``sha256``."""
    expected: str
    found: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """How many saved files were checked and what was wrong."""

    checked: int
    problems: list[Problem]


def verify_recordings(sm: Sessions, root: Path) -> VerifyReport:
    """Read every saved file under ``root`` and compare it with its row (a page of rows at a time)."""
    checked = 0
    problems: list[Problem] = []
    after = ""
    while rows := saved_recordings(sm, after=after, limit=PAGE):
        for row in rows:
            checked += 1
            problem = _check(root, row.path, row.bytes, row.sha256 or "")
            if problem is not None:
                problems.append(Problem(row.recording_id, row.path, *problem))
        after = rows[-1].recording_id
    return VerifyReport(checked=checked, problems=problems)


def _check(root: Path, relative: str, size: int | None, sha256: str) -> tuple[str, str, str] | None:
    path = inside_root(root, relative)
    if path is None:
        return ("outside_root", str(root), relative)
    if not path.is_file():
        return ("absent", "a file", "none")
    found_size = path.stat().st_size
    if size is not None and found_size != size:
        return ("size", str(size), str(found_size))
    digest = sha256_of(path)
    if digest != sha256:
        return ("sha256", sha256, digest)
    return None
