"""Record and list admin changes (admin.models.AdminChange); writes only insert.

``unified_diff`` turns a before and after text (YAML, JSON) into the stored diff, so that every area
shows its changes the same way.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from admin.models import AdminChange
from hotline.db.engine import WRITE_OPTION

Sessions = sessionmaker[Session]
MAX_DIFF_CHARS = 200_000
MAX_LIST = 1_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One change to record."""

    user_id: str
    role: str
    area: str
    object_id: str
    action: str
    summary: str = ""
    diff: str = ""
    client: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeRow:
    """One recorded change."""

    id: int
    at: datetime
    user_id: str
    role: str
    area: str
    object_id: str
    action: str
    summary: str
    diff: str
    client: str


def unified_diff(before: str, after: str, *, name: str = "") -> str:
    """A unified diff of two texts (empty when equal)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}" if name else "before",
        tofile=f"b/{name}" if name else "after",
    )
    return "".join(lines)


def json_diff(before: Any, after: Any, *, name: str = "") -> str:
    """The unified diff of two JSON-able values, written sorted and indented."""

    def dump(value: Any) -> str:
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, default=str) + "\n"

    return unified_diff(dump(before), dump(after), name=name)


def record_change(sm: Sessions, change: Change, *, now: datetime | None = None) -> int:
    """Insert one change in its own transaction; the new row's id."""
    at = now or datetime.now(UTC)
    values = {
        "at": at,
        "user_id": change.user_id[:32],
        "role": change.role[:16],
        "area": change.area[:32],
        "object_id": change.object_id[:200],
        "action": change.action[:32],
        "summary": change.summary[:500],
        "diff": change.diff[:MAX_DIFF_CHARS],
        "client": change.client[:64],
    }
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        new_id = s.execute(insert(AdminChange).values(**values).returning(AdminChange.id)).scalar_one()
    return int(new_id)


def list_changes(
    sm: Sessions,
    *,
    area: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[ChangeRow]:
    """Changes, newest first, optionally of one area / object / since a time."""
    query = select(AdminChange).order_by(AdminChange.at.desc(), AdminChange.id.desc())
    if area is not None:
        query = query.where(AdminChange.area == area)
    if object_id is not None:
        query = query.where(AdminChange.object_id == object_id)
    if since is not None:
        query = query.where(AdminChange.at >= since)
    with sm() as s:
        rows = s.execute(query.limit(max(1, min(limit, MAX_LIST)))).scalars().all()
        return [
            ChangeRow(
                id=r.id,
                at=r.at,
                user_id=r.user_id,
                role=r.role,
                area=r.area,
                object_id=r.object_id,
                action=r.action,
                summary=r.summary,
                diff=r.diff,
                client=r.client,
            )
            for r in rows
        ]
