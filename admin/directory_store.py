"""The directory in the database: read, seed from the YAML file, save and delete entries.

Numbers are checked with the same rule the transfer path dials with (``hotline.dialing.NUMBER``), so
nothing saved here can be refused, or injected, when an agent transfers. Writes return the entry as it
was before, so that the caller can record the change with its diff.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from admin.directory_models import KINDS, DirectoryRecord
from admin.models import AdminChange
from agent_desktop.directory import DEFAULT_DIRECTORY, DirectoryEntry, load_directory
from hotline.db.engine import WRITE_OPTION
from hotline.dialing import NUMBER

Sessions = sessionmaker[Session]
AREA = "directory"


class DirectoryInvalid(ValueError):
    """An entry that may not be saved; ``field`` says which value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_entry(entry: DirectoryEntry) -> None:
    """Raise DirectoryInvalid unless ``entry`` can be dialled and shown."""
    if not NUMBER.fullmatch(entry.number):
        raise DirectoryInvalid("number", "a number must be 3-20 digits (the form transfers dial)")
    if entry.kind not in KINDS:
        raise DirectoryInvalid("kind", f"kind must be one of {', '.join(KINDS)}")
    if not entry.name.strip():
        raise DirectoryInvalid("name", "a name is required")


def _entry(r: DirectoryRecord) -> DirectoryEntry:
    return DirectoryEntry(id=r.id, name=r.name, number=r.number, kind=r.kind)


def read_entries(sm: Sessions) -> list[DirectoryEntry]:
    """Every entry in the order agents see them."""
    with sm() as s:
        rows = s.scalars(select(DirectoryRecord).order_by(DirectoryRecord.position, DirectoryRecord.id))
        return [_entry(r) for r in rows]


def seed_from_file(sm: Sessions, path: Path = DEFAULT_DIRECTORY, *, now: datetime | None = None) -> int:
    """Fill the empty directory from ``path``, once: never again after an admin changed it (even when
    they deleted every entry). How many entries were added."""
    entries = list(load_directory(path).values())
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        if s.scalar(select(func.count()).select_from(DirectoryRecord)):
            return 0
        if s.scalar(select(func.count()).select_from(AdminChange).where(AdminChange.area == AREA)):
            return 0
        s.add_all(
            DirectoryRecord(
                id=e.id,
                name=e.name,
                number=e.number,
                kind=e.kind,
                position=i,
                updated_at=at,
                updated_by="seed",
            )
            for i, e in enumerate(entries)
        )
    return len(entries)


def save_entry(
    sm: Sessions, entry: DirectoryEntry, *, by: str, position: int | None = None, now: datetime | None = None
) -> DirectoryEntry | None:
    """Create or replace ``entry`` (checked first); the entry before, or None when it is new."""
    check_entry(entry)
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        record = s.get(DirectoryRecord, entry.id, with_for_update=True)
        before = None if record is None else _entry(record)
        if record is None:
            last = s.scalar(select(func.max(DirectoryRecord.position)))
            record = DirectoryRecord(id=entry.id, position=0 if last is None else last + 1)
            s.add(record)
        record.name, record.number, record.kind = entry.name.strip(), entry.number, entry.kind
        if position is not None:
            record.position = position
        record.updated_at, record.updated_by = at, by[:32]
    return before


def delete_entry(sm: Sessions, entry_id: str) -> DirectoryEntry | None:
    """Remove an entry; what it was, or None when there was none."""
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        record = s.get(DirectoryRecord, entry_id, with_for_update=True)
        if record is None:
            return None
        before = _entry(record)
        s.execute(delete(DirectoryRecord).where(DirectoryRecord.id == entry_id))
    return before


def as_dict(entry: DirectoryEntry | None) -> dict[str, str] | None:
    """The entry as the change log's JSON diff shows it."""
    return None if entry is None else asdict(entry)


def refresh(target: dict[str, DirectoryEntry], entries: list[DirectoryEntry]) -> None:
    """Make the transfer path's directory (a dict shared with agent_desktop.call_api) equal ``entries``,
    in place, so the agents' next look-up sees the change."""
    fresh = {e.id: e for e in entries}
    for gone in target.keys() - fresh.keys():
        del target[gone]
    target.update(fresh)
