"""The department tree (承办单位网络): city → district → street/community, loaded, checked and queried.

Rules: the city level is the dispatch catalogue's departments; ``tickets/data/department_tree.yaml``
adds districts (each under a city department) and streets (each under a district). A tree is valid
when codes are unique, every parent exists, a city node has no parent and every other node sits
exactly one level below its parent; levels strictly grow downwards, so no chain of parents can
return to where it started (a cycle is still reported by name if a table was edited by hand).
Queries take an open ``Session`` and read the ``departments`` table; ``subtree`` includes the
department itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.catalogue import Catalogue, default_catalogue
from tickets.department_models import DepartmentNode
from tickets.errors import CatalogueError, TicketValidationError

DEFAULT_TREE_PATH = Path(__file__).resolve().parent / "data" / "department_tree.yaml"
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,31}$"
MAX_DEPTH = 8


class Level(StrEnum):
    """A department's level in the tree, top down."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"

    @property
    def label(self) -> str:
        """The Chinese label."""
        return {"city": "市级", "district": "区级", "street": "街道（社区）"}[self.value]

    @property
    def depth(self) -> int:
        """0 for the city, 1 for a district, 2 for a street."""
        return list(Level).index(self)


@dataclass(frozen=True, slots=True)
class Department:
    """One node of the tree."""

    code: str
    name: str
    parent_code: str | None
    level: Level
    active: bool = True


class _Street(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=64)


class _District(_Street):
    parent: str = Field(pattern=CODE_PATTERN)
    streets: tuple[_Street, ...] = ()


class _TreeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^department_tree$")
    districts: tuple[_District, ...] = ()


def _tree_error(message: str, **details: object) -> TicketValidationError:
    return TicketValidationError("department_tree_invalid", message, **details)


def validate_tree(nodes: Sequence[Department]) -> None:
    """Refuse a tree with duplicate codes, unknown parents, levels out of order or a cycle."""
    by_code: dict[str, Department] = {}
    for node in nodes:
        if node.code in by_code:
            raise _tree_error(f"department {node.code} appears twice", code=node.code)
        by_code[node.code] = node
    for node in nodes:
        if node.parent_code is None:
            if node.level is not Level.CITY:
                raise _tree_error(f"{node.code} is a {node.level.value} without a parent", code=node.code)
            continue
        parent = by_code.get(node.parent_code)
        if parent is None:
            raise _tree_error(f"{node.code} names an unknown parent", code=node.code, parent=node.parent_code)
        if node.level.depth != parent.level.depth + 1:
            raise _tree_error(
                f"{node.code} ({node.level.value}) cannot sit under {parent.code} ({parent.level.value})",
                code=node.code,
                parent=parent.code,
            )
    check_acyclic(by_code)


def check_acyclic(by_code: Mapping[str, Department]) -> None:
    """Refuse parents that lead back to where they started."""
    for start in by_code:
        seen = {start}
        parent = by_code[start].parent_code
        while parent is not None:
            if parent in seen:
                raise _tree_error(f"the parents of {start} form a cycle", code=start)
            seen.add(parent)
            node = by_code.get(parent)
            parent = node.parent_code if node is not None else None


def load_tree(
    *, catalogue: Catalogue | None = None, tree_path: Path | str = DEFAULT_TREE_PATH
) -> list[Department]:
    """The catalogue's departments (city level) and the tree file's districts and streets, parents first,
    checked by ``validate_tree``; ``CatalogueError`` if the file cannot be read."""
    city = catalogue if catalogue is not None else default_catalogue()
    source = str(tree_path)
    try:
        raw: Any = yaml.safe_load(Path(tree_path).read_text(encoding="utf-8"))
        parsed = _TreeFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogueError("department_tree_invalid", f"{source}: {exc}", source=source) from exc
    nodes = [Department(d.code, d.name, None, Level.CITY) for d in city.departments.values()]
    nodes += [Department(d.code, d.name, d.parent, Level.DISTRICT) for d in parsed.districts]
    nodes += [Department(s.code, s.name, d.code, Level.STREET) for d in parsed.districts for s in d.streets]
    validate_tree(nodes)
    return nodes


def seed_rows(nodes: Iterable[Department]) -> list[dict[str, object]]:
    """Table rows for ``nodes`` (parents before children, as ``load_tree`` returns them)."""
    return [
        {
            "code": n.code,
            "name": n.name,
            "parent_code": n.parent_code,
            "level": n.level.value,
            "active": n.active,
        }
        for n in nodes
    ]


def _node(row: DepartmentNode) -> Department:
    return Department(row.code, row.name, row.parent_code, Level(row.level), row.active)


def all_departments(session: Session) -> list[Department]:
    """Every department, top level first, then by code."""
    rows = session.scalars(select(DepartmentNode)).all()
    return sorted((_node(r) for r in rows), key=lambda d: (d.level.depth, d.code))


def get_department(session: Session, code: str) -> Department | None:
    """The department ``code``, or ``None``."""
    row = session.get(DepartmentNode, code)
    return None if row is None else _node(row)


def parent_of(session: Session, code: str) -> str | None:
    """The code of ``code``'s parent; ``None`` for a top-level or unknown department."""
    return session.scalars(select(DepartmentNode.parent_code).where(DepartmentNode.code == code)).first()


def ancestors(session: Session, code: str) -> list[str]:
    """``code``'s parent, grandparent, … up to the top (nearest first)."""
    found: list[str] = []
    parent = parent_of(session, code)
    while parent is not None and parent not in found and len(found) < MAX_DEPTH:
        found.append(parent)
        parent = parent_of(session, parent)
    return found


def subtree(session: Session, code: str) -> set[str]:
    """``code`` and every department below it; empty when ``code`` is unknown."""
    tree = select(DepartmentNode.code).where(DepartmentNode.code == code).cte("subtree", recursive=True)
    below = select(DepartmentNode.code).join(tree, DepartmentNode.parent_code == tree.c.code)
    tree = tree.union(below)
    return set(session.scalars(select(tree.c.code)))


def seed_departments(session: Session, nodes: Sequence[Department]) -> int:
    """Add the departments of ``nodes`` that the table lacks (existing ones are left as edited);
    the result must still be a valid tree. Returns how many were added."""
    present = {d.code: d for d in all_departments(session)}
    missing = [n for n in nodes if n.code not in present]
    validate_tree([*present.values(), *missing])
    for node in missing:
        session.add(
            DepartmentNode(
                code=node.code,
                name=node.name,
                parent_code=node.parent_code,
                level=node.level.value,
                active=node.active,
            )
        )
        session.flush()
    return len(missing)
