"""Files only the centre's own user may read: the state directory, the SQLite database, secrets.

The state directory is made mode 0700. A secret file is written to a fresh temporary name opened with
``O_CREAT | O_EXCL`` and mode 0600 (so it is never readable by others, not even for an instant) and then
renamed over the target. A SQLite database file is created empty with mode 0600 before SQLite opens it;
SQLite gives its journal and WAL files the database file's mode.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["private_dir", "private_sqlite_file", "write_private"]


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it mode 0700; returns ``path``."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically (readers see the old or the new file)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def private_sqlite_file(url: str) -> Path | None:
    """For a SQLite file URL, create the database file empty with mode 0600 if it does not exist yet
    (its directory 0700 when created here); the file's path, or None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    if not path.parent.exists():
        private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path
