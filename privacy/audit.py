"""Append-only read audit: every read of citizens' data is recorded, and admins can query it.

Writes only insert (one short transaction each); nothing here updates or deletes a row. The HTTP
layer calls :func:`record_read` after a successful read with the reader, the action (``calls.list``,
``caller_history.read``, ``work_orders.list``, ``work_orders.read``), what was asked for and every id
the answer showed, and the client address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from privacy.models import ReadAudit, ReadAuditObject

Sessions = sessionmaker[Session]
MAX_OBJECTS = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Read:
    """One read to record."""

    user_id: str
    role: str
    action: str
    object_id: str | None
    objects: tuple[str, ...]
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadRow:
    """One recorded read."""

    id: int
    at: datetime
    user_id: str
    role: str
    action: str
    object_id: str | None
    objects: tuple[str, ...]
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadQuery:
    """Filters of the audit query; ``None`` = any. ``before_id`` pages backwards (newest first)."""

    user_id: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 100


def _object_ids(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i[:64] for i in ids if i))[:MAX_OBJECTS]


def record_read(sm: Sessions, read: Read, *, now: datetime | None = None) -> None:
    """Append one read and the ids it showed."""
    at = now or datetime.now(UTC)
    with sm.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        row = ReadAudit(
            at=at,
            user_id=read.user_id[:32],
            role=read.role[:16],
            action=read.action[:64],
            object_id=None if read.object_id is None else read.object_id[:64],
            client=read.client[:64],
        )
        s.add(row)
        s.flush()
        shown = [{"read_id": row.id, "object_id": o} for o in _object_ids(read.objects)]
        if shown:
            s.execute(insert(ReadAuditObject), shown)


def _shown(s: Session, read_ids: list[int]) -> dict[int, list[str]]:
    shown: dict[int, list[str]] = {i: [] for i in read_ids}
    if read_ids:
        query = (
            select(ReadAuditObject.read_id, ReadAuditObject.object_id)
            .where(ReadAuditObject.read_id.in_(read_ids))
            .order_by(ReadAuditObject.read_id, ReadAuditObject.object_id)
        )
        for read_id, object_id in s.execute(query):
            shown[read_id].append(object_id)
    return shown


def _filtered(q: ReadQuery) -> Select[ReadAudit]:
    stmt = select(ReadAudit).order_by(ReadAudit.id.desc()).limit(max(0, q.limit))
    if q.user_id is not None:
        stmt = stmt.where(ReadAudit.user_id == q.user_id)
    if q.object_id is not None:
        showing = select(ReadAuditObject.read_id).where(ReadAuditObject.object_id == q.object_id)
        stmt = stmt.where((ReadAudit.object_id == q.object_id) | ReadAudit.id.in_(showing))
    if q.since is not None:
        stmt = stmt.where(ReadAudit.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(ReadAudit.at < q.until)
    if q.before_id is not None:
        stmt = stmt.where(ReadAudit.id < q.before_id)
    return stmt


def query_reads(sm: Sessions, q: ReadQuery) -> list[ReadRow]:
    """Recorded reads matching ``q``, newest first; ``object_id`` matches what was asked or shown."""
    with sm() as s:
        found = list(s.scalars(_filtered(q)))
        shown = _shown(s, [r.id for r in found])
        return [
            ReadRow(
                id=r.id,
                at=r.at,
                user_id=r.user_id,
                role=r.role,
                action=r.action,
                object_id=r.object_id,
                objects=tuple(shown[r.id]),
                client=r.client,
            )
            for r in found
        ]
