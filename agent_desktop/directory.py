"""The transfer and three-way-call directory: departments, special lines and 110/119/120/122."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hotline.dialing import NUMBER

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "directory.yaml"


class DirectoryError(ValueError):
    """The directory file is malformed."""


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One party an agent can transfer to or bring into a call."""

    id: str
    name: str
    number: str
    kind: str


def _entry(raw: Mapping[str, Any]) -> DirectoryEntry:
    try:
        entry = DirectoryEntry(
            id=str(raw["id"]),
            name=str(raw["name"]),
            number=str(raw["number"]),
            kind=str(raw.get("kind", "department")),
        )
    except KeyError as exc:
        raise DirectoryError(f"directory entry {dict(raw)} lacks {exc}") from None
    if not NUMBER.fullmatch(entry.number):
        raise DirectoryError(f"directory entry {entry.id}: number must be 3-20 digits")
    return entry


def load_directory(path: Path = DEFAULT_DIRECTORY) -> dict[str, DirectoryEntry]:
    """Entries by id."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = [_entry(raw) for raw in data.get("entries", [])]
    return {e.id: e for e in entries}
