"""What every data-access module here shares: short write transactions, rows out of ORM objects,
time-zone checks and the dialect's INSERT (for upserts).

A write function given a ``WriteTo`` runs in its own transaction when given the sessionmaker, or
within the caller's open write transaction when given a session (the recorder writes all the events
it has at hand in one transaction; that caller commits, or rolls back everything)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import WRITE_OPTION
from hotline.db.errors import InvalidValueError
from hotline.db.rows import AgentRow, AgentStateRow, CallEventRow, CallRow

Sessions = sessionmaker[Session]
WriteTo = Sessions | Session
RowT = TypeVar("RowT", AgentRow, CallRow, CallEventRow, AgentStateRow)


@contextmanager
def writing(sm: WriteTo) -> Iterator[Session]:
    """One write transaction (routed to the writer), committed on leaving the block; given a session
    (in its owner's write transaction), that session, left to its owner to commit."""
    if isinstance(sm, Session):
        yield sm
        return
    with sm.begin() as session:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def row(cls: type[RowT], obj: object) -> RowT:
    """The immutable row ``cls`` with the fields of ORM object ``obj``."""
    return cls(**{f.name: getattr(obj, f.name) for f in fields(cls)})


def aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC; InvalidValueError for a naive datetime (``name`` says which field)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError("naive_datetime", f"{name} must be timezone-aware", field=name)
    return value.astimezone(UTC)


def insert(session: Session) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_*`` on PostgreSQL and SQLite alike."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
