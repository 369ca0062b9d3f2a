"""The recordings table: rows opened when MixMonitor starts, closed with the file's facts, read back.

Every function is one short transaction. ``calls.recording_path`` keeps pointing at the first
caller-side file of a call for readers that predate the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from hotline.db.call_statements import CALLS
from recordings.models import Recording

Sessions = sessionmaker[Session]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingRow:
    """One recording as stored."""

    recording_id: str
    call_id: str
    node: str
    kind: str
    side: str
    segment: int
    agent_id: str | None
    path: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    bytes: int | None
    sha256: str | None
    status: str

    @classmethod
    def of(cls, r: Recording) -> RecordingRow:
        """From the ORM object."""
        return cls(**{name: getattr(r, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """One file MixMonitor started to write."""

    recording_id: str
    call_id: str
    node: str
    side: str
    segment: int
    agent_id: str | None
    path: str
    started_at: datetime


# Plain Core statements built once: these writes are made for every answered call.
_RECORDINGS = cast(Table, Recording.__table__)
_KNOWN = select(_RECORDINGS.c.recording_id).where(
    _RECORDINGS.c.recording_id.in_(bindparam("ids", expanding=True))
)
_OPEN = _RECORDINGS.insert()
_FIRST_PATH = (
    CALLS.update()
    .where(CALLS.c.call_id == bindparam("target"), CALLS.c.recording_path.is_(None))
    .values(recording_path=bindparam("first_path"))
)
_CLOSE = _RECORDINGS.update().where(
    _RECORDINGS.c.recording_id == bindparam("target"), _RECORDINGS.c.status == "recording"
)


def open_recordings(sm: Sessions, opened: list[Opened]) -> None:
    """Insert rows in state ``recording`` (an id already there is left as it is)."""
    with writing(sm) as s:
        known = set(s.scalars(_KNOWN, {"ids": [o.recording_id for o in opened]}))
        open_into(s, [o for o in opened if o.recording_id not in known])


def open_into(s: Session, opened: list[Opened]) -> None:
    """Add the rows within the caller's transaction; a caller side becomes the call's recording_path
    when it has none."""
    if not opened:
        return
    s.execute(
        _OPEN,
        [
            {
                "recording_id": o.recording_id,
                "call_id": o.call_id,
                "node": o.node,
                "kind": "call",
                "side": o.side,
                "segment": o.segment,
                "agent_id": o.agent_id,
                "path": o.path,
                "started_at": o.started_at,
                "status": "recording",
            }
            for o in opened
        ],
    )
    for o in opened:
        if o.side == "caller":
            s.execute(_FIRST_PATH, {"target": o.call_id, "first_path": o.path})


def close_recording(
    sm: Sessions,
    *,
    recording_id: str,
    ended_at: datetime,
    duration_s: float | None,
    size: int | None,
    sha256: str | None,
) -> None:
    """Mark a recording ``saved`` with its facts, or ``missing`` when ``sha256`` is None (no file)."""
    values: dict[str, object] = {"ended_at": ended_at}
    if sha256 is None:
        values["status"] = "missing"
    else:
        values |= {"status": "saved", "duration_s": duration_s, "bytes": size, "sha256": sha256}
    with writing(sm) as s:
        s.execute(_CLOSE, {"target": recording_id, **values})


def recordings_of_call(sm: Sessions, call_id: str) -> list[RecordingRow]:
    """A call's recordings by segment, caller side first."""
    with sm() as s:
        rows = s.scalars(
            select(Recording)
            .where(Recording.call_id == call_id)
            .order_by(Recording.segment, Recording.side.desc(), Recording.recording_id)
        )
        return [RecordingRow.of(r) for r in rows]


def get_recording(sm: Sessions, recording_id: str) -> RecordingRow | None:
    """One recording, or None."""
    with sm() as s:
        r = s.get(Recording, recording_id)
        return None if r is None else RecordingRow.of(r)


def saved_recordings(sm: Sessions, *, after: str = "", limit: int = 1000) -> list[RecordingRow]:
    """Saved recordings in id order, a page at a time (``after``: the last id of the previous page)."""
    with sm() as s:
        rows = s.scalars(
            select(Recording)
            .where(Recording.status == "saved", Recording.recording_id > after)
            .order_by(Recording.recording_id)
            .limit(limit)
        )
        return [RecordingRow.of(r) for r in rows]


def unfiled_recordings(sm: Sessions, *, before: datetime, limit: int = 1000) -> list[RecordingRow]:
    """Rows still ``recording`` that started before ``before`` (oldest first)."""
    with sm() as s:
        rows = s.scalars(
            select(Recording)
            .where(Recording.status == "recording", Recording.started_at < before)
            .order_by(Recording.started_at)
            .limit(limit)
        )
        return [RecordingRow.of(r) for r in rows]


def claim_recordings(sm: Sessions, opened: list[Opened]) -> bool:
    """Insert the rows of a segment that several app nodes may try to start at once (the static
    fallback queue's answer is seen by every node; the ids are made from what all of them see): True
    for the node whose insert won, False for the others."""
    try:
        with writing(sm) as s:
            open_into(s, opened)
    except IntegrityError:
        return False
    return True


def next_segment(sm: Sessions, call_id: str) -> int:
    """The segment number after the call's last stored one (0 for none)."""
    with sm() as s:
        last = s.scalar(select(func.max(Recording.segment)).where(Recording.call_id == call_id))
        return 0 if last is None else int(last) + 1
