"""The dispatch catalogue (派单目录): which department handles which matter, loaded from YAML.

A catalogue lists departments (code, name, an optional time class such as ``urgent`` for water,
power, gas and heating, and whether it is the police for 12345 ↔ 110 linkage) and entries (a
matter code and name, its main department, helpers, keywords and the categories it applies to).
``suggest`` scores entries by the keywords found in free text: each hit counts its length (longer
keywords are more specific), and the score is ``hits / (hits + 4)``, a number in (0, 1) that grows
with evidence. Entries whose ``categories`` exclude the given category are skipped.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tickets.errors import CatalogueError
from tickets.vocab import Category, TimeClass

DEFAULT_CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "dispatch_catalogue.yaml"
_SCORE_DAMPING = 4.0


class Department(BaseModel):
    """A department or enterprise work orders are dispatched to."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=64)
    short: str = Field(min_length=1, max_length=16)
    time_class: TimeClass | None = None
    police_linkage: bool = False


class Entry(BaseModel):
    """One line of the catalogue: a matter and who handles it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_.]{1,63}$")
    matter: str = Field(min_length=1, max_length=100)
    department: str
    assist: tuple[str, ...] = ()
    keywords: tuple[str, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = ()
    time_class: TimeClass | None = None


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^dispatch_catalogue$")
    city: str = ""
    departments: list[Department]
    entries: list[Entry]

    @model_validator(mode="after")
    def _check(self) -> _CatalogueFile:
        codes = [d.code for d in self.departments]
        if len(set(codes)) != len(codes):
            raise ValueError("department codes must be unique")
        if len({e.code for e in self.entries}) != len(self.entries):
            raise ValueError("entry codes must be unique")
        for entry in self.entries:
            unknown = [c for c in (entry.department, *entry.assist) if c not in codes]
            if unknown:
                raise ValueError(f"entry {entry.code} names unknown departments {unknown}")
        return self


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A catalogue entry that matches a text, with its department and evidence."""

    entry: Entry
    department: Department
    score: float
    matched: tuple[str, ...]


def _normal(value: str) -> str:
    return unicodedata.normalize("NFKC", value).lower()


class Catalogue:
    """A loaded dispatch catalogue."""

    def __init__(self, *, departments: list[Department], entries: list[Entry], city: str = "") -> None:
        self.city = city
        self.departments: Mapping[str, Department] = {d.code: d for d in departments}
        self.entries: Mapping[str, Entry] = {e.code: e for e in entries}

    @classmethod
    def from_yaml(cls, path: Path | str) -> Catalogue:
        """Load a catalogue file such as ``tickets/data/dispatch_catalogue.yaml``."""
        return cls.from_text(Path(path).read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "<text>") -> Catalogue:
        """Parse catalogue YAML; ``CatalogueError`` (``catalogue_invalid``) says where it is wrong."""
        try:
            raw: Any = yaml.safe_load(text)
            parsed = _CatalogueFile.model_validate(raw)
        except yaml.YAMLError as exc:
            raise CatalogueError("catalogue_invalid", f"{source}: {exc}", source=source) from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise CatalogueError(
                "catalogue_invalid", f"{source}: {loc}: {first['msg']}", source=source, loc=loc
            ) from exc
        return cls(departments=parsed.departments, entries=parsed.entries, city=parsed.city)

    def department(self, code: str) -> Department | None:
        """The department ``code``, or ``None``."""
        return self.departments.get(code)

    def entry(self, code: str) -> Entry | None:
        """The entry ``code``, or ``None``."""
        return self.entries.get(code)

    def suggest(self, text: str, *, category: Category | None = None, limit: int = 3) -> list[Suggestion]:
        """Entries whose keywords occur in ``text``, best first (ties keep catalogue order)."""
        haystack = _normal(text)
        found: list[Suggestion] = []
        for entry in self.entries.values():
            if category is not None and entry.categories and category not in entry.categories:
                continue
            matched = tuple(k for k in entry.keywords if _normal(k) in haystack)
            if not matched:
                continue
            weight = float(sum(len(k) for k in matched))
            score = round(weight / (weight + _SCORE_DAMPING), 4)
            found.append(Suggestion(entry, self.departments[entry.department], score, matched))
        found.sort(key=lambda s: -s.score)
        return found[: max(0, limit)]


@functools.lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The catalogue shipped in ``tickets/data/dispatch_catalogue.yaml``."""
    return Catalogue.from_yaml(DEFAULT_CATALOGUE_PATH)
