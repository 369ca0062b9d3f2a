"""A department's name for citizens: the department tree's name, else the dispatch catalogue's."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tickets.catalogue import Catalogue, default_catalogue
from tickets.departments import get_department
from tickets.rows import WorkOrderRow
from tickets.vocab import DepartmentRole


def handling_department(row: WorkOrderRow) -> str | None:
    """The code of the department that handles the order now (the latest main one)."""
    main = [d.department for d in row.departments if d.role is DepartmentRole.MAIN]
    return main[-1] if main else None


def department_name(sessions: sessionmaker[Session], code: str, catalogue: Catalogue | None = None) -> str:
    """The name of department ``code``; empty when neither the tree nor the catalogue knows it."""
    with sessions() as s:
        node = get_department(s, code)
    if node is not None:
        return node.name
    listed = (catalogue or default_catalogue()).department(code)
    return listed.name if listed is not None else ""


def handling_name(
    sessions: sessionmaker[Session], row: WorkOrderRow, catalogue: Catalogue | None = None
) -> str:
    """The name of the department handling ``row``; empty before dispatch."""
    code = handling_department(row)
    return "" if code is None else department_name(sessions, code, catalogue)
