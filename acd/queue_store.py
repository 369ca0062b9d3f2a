"""Versions of the queue configuration in the database (table ``queue_versions``).

Every change is a new numbered version holding the whole canonical document (acd.queue_store_doc);
the highest number is the configuration in force. Versions are never changed: a rollback writes the
old document again as a new version (``action`` ``rollback``, ``based_on`` the version restored).
The first version is the seed: the shipped ``acd/queues.yaml`` or ``HOTLINE_QUEUES_FILE``, written by
the first app node that starts on an empty table. A change names the version it was made from
(``expect``); when another change came first it is refused (:class:`VersionConflict`), never merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.db.access import writing
from hotline.db.models import Base

Sessions = sessionmaker[Session]
MAX_LIST = 500


class QueueVersion(Base):
    """One version of the whole queue configuration."""

    __tablename__ = "queue_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    based_on: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")
    document: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow:
    """A stored version."""

    version: int
    created_at: datetime
    created_by: str
    action: str
    based_on: int | None
    note: str
    document: str


class VersionConflict(Exception):
    """The configuration changed since the version a change was made from."""

    def __init__(self, expected: int | None, current: int | None) -> None:
        super().__init__(
            f"the queues changed meanwhile: version {current}, the change was made on {expected}"
        )
        self.expected = expected
        self.current = current


def _row(obj: QueueVersion) -> VersionRow:
    return VersionRow(
        version=obj.version,
        created_at=obj.created_at,
        created_by=obj.created_by,
        action=obj.action,
        based_on=obj.based_on,
        note=obj.note,
        document=obj.document,
    )


def current_number(sm: Sessions) -> int | None:
    """The number of the version in force (None: no version yet)."""
    with sm() as s:
        found = s.execute(select(func.max(QueueVersion.version))).scalar_one_or_none()
        return None if found is None else int(found)


def current(sm: Sessions) -> VersionRow | None:
    """The version in force."""
    with sm() as s:
        obj = s.execute(select(QueueVersion).order_by(QueueVersion.version.desc()).limit(1)).scalar()
        return None if obj is None else _row(obj)


def get(sm: Sessions, version: int) -> VersionRow | None:
    """One version."""
    with sm() as s:
        obj = s.get(QueueVersion, version)
        return None if obj is None else _row(obj)


def history(sm: Sessions, *, limit: int = 100) -> list[VersionRow]:
    """Versions, newest first."""
    query = select(QueueVersion).order_by(QueueVersion.version.desc()).limit(max(1, min(limit, MAX_LIST)))
    with sm() as s:
        return [_row(obj) for obj in s.execute(query).scalars()]


def add(
    sm: Sessions,
    *,
    document: str,
    by: str,
    action: str,
    expect: int | None,
    based_on: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> VersionRow:
    """Write ``document`` as the next version, made from version ``expect`` (None: the table is empty);
    VersionConflict when another version came first."""
    try:
        with writing(sm) as s:
            found = s.execute(select(func.max(QueueVersion.version))).scalar_one_or_none()
            if found != expect:
                raise VersionConflict(expect, found)
            obj = QueueVersion(
                version=(found or 0) + 1,
                created_at=now or datetime.now(UTC),
                created_by=by[:32],
                action=action[:16],
                based_on=based_on,
                note=note[:200],
                document=document,
            )
            s.add(obj)
            s.flush()
            written = _row(obj)
    except IntegrityError as exc:  # another node wrote the same number first
        raise VersionConflict(expect, current_number(sm)) from exc
    return written


def seed(sm: Sessions, *, document: str, now: datetime | None = None) -> VersionRow:
    """The version in force, writing ``document`` as version 1 when there is none yet."""
    found = current(sm)
    if found is not None:
        return found
    try:
        return add(sm, document=document, by="system", action="seed", expect=None, note="", now=now)
    except VersionConflict:
        seeded = current(sm)
        if seeded is None:
            raise
        return seeded
