"""The transcripts and transcript_segments tables: jobs queued, done or failed, and which are still owed.

A recording is owed a transcript while it is ``saved`` and has no transcript row, or only a
``pending`` one (queued but not finished, e.g. when the process stopped). ``done`` and ``failed`` are
final: a failed file is not tried again by the sweep (``hotline transcribe`` can retry it). Writing
a result replaces any segments of an earlier attempt in the same transaction, so a job that runs twice
(queued by the recorder and by the sweep at once) leaves one copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import insert, writing
from recordings.models import Recording, Transcript, TranscriptSegment
from recordings.search import index_transcript
from recordings.search_models import TranscriptSearch

Sessions = sessionmaker[Session]
ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Piece:
    """One timed stretch of recognised speech, seconds from the start of the file."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcribed:
    """What a transcriber made of one file."""

    text: str
    audio_s: float
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Owed:
    """A saved recording still owed a transcript."""

    recording_id: str
    call_id: str
    kind: str
    side: str
    path: str
    started_at: datetime


def _owed_condition(retry_failed: bool) -> ColumnElement[bool]:
    final = ("done",) if retry_failed else ("done", "failed")
    return and_(
        Recording.status == "saved",
        or_(Transcript.recording_id.is_(None), Transcript.status.not_in(final)),
    )


def owed(
    sm: Sessions, *, since: datetime | None = None, limit: int = 1000, retry_failed: bool = False
) -> list[Owed]:
    """Saved recordings without a final transcript, oldest first (from ``since`` when given)."""
    query = (
        select(Recording)
        .outerjoin(Transcript, Transcript.recording_id == Recording.recording_id)
        .where(_owed_condition(retry_failed))
    )
    if since is not None:
        query = query.where(Recording.started_at >= since)
    query = query.order_by(Recording.started_at, Recording.recording_id).limit(limit)
    with sm() as s:
        return [_owed(r) for r in s.scalars(query)]


def owed_one(sm: Sessions, recording_id: str, *, retry_failed: bool = False) -> Owed | None:
    """The recording if it is saved and still owed a transcript."""
    query = (
        select(Recording)
        .outerjoin(Transcript, Transcript.recording_id == Recording.recording_id)
        .where(Recording.recording_id == recording_id, _owed_condition(retry_failed))
    )
    with sm() as s:
        found = s.scalars(query).first()
        return None if found is None else _owed(found)


def _owed(r: Recording) -> Owed:
    return Owed(
        recording_id=r.recording_id,
        call_id=r.call_id,
        kind=r.kind,
        side=r.side,
        path=r.path,
        started_at=r.started_at,
    )


def mark_queued(sm: Sessions, owed_rows: Sequence[Owed], *, engine: str, now: datetime) -> None:
    """A ``pending`` transcript row for each recording that has none yet."""
    if not owed_rows:
        return
    with writing(sm) as s:
        rows = [
            {
                "recording_id": o.recording_id,
                "call_id": o.call_id,
                "status": "pending",
                "engine": engine,
                "text": "",
                "error": "",
                "queued_at": now,
            }
            for o in owed_rows
        ]
        s.execute(insert(s)(Transcript).values(rows).on_conflict_do_nothing(index_elements=["recording_id"]))


def save_done(
    s: Session, job: Owed, result: Transcribed, *, engine: str, wall_s: float, now: datetime
) -> None:
    """Store a finished transcript, its segments and its search terms in the caller's transaction ``s``."""
    row = _row(s, job, engine=engine, now=now)
    row.status, row.text, row.error = "done", result.text, ""
    row.audio_s, row.wall_s, row.done_at = result.audio_s, wall_s, now
    s.execute(delete(TranscriptSegment).where(TranscriptSegment.recording_id == job.recording_id))
    s.add_all(
        TranscriptSegment(
            recording_id=job.recording_id,
            call_id=job.call_id,
            side=job.side,
            start_s=round(p.start_s, 3),
            end_s=round(p.end_s, 3),
            text=p.text,
        )
        for p in result.pieces
    )
    index_transcript(
        s,
        recording_id=job.recording_id,
        call_id=job.call_id,
        side=job.side,
        started_at=job.started_at,
        text_=result.text,
    )


def save_failed(sm: Sessions, job: Owed, error: str, *, engine: str, wall_s: float, now: datetime) -> None:
    """Mark the recording's transcript ``failed`` with the error (cut to the column's size)."""
    with writing(sm) as s:
        row = _row(s, job, engine=engine, now=now)
        row.status, row.text, row.error = "failed", "", error[:ERROR_CHARS] or "failed"
        row.wall_s, row.done_at = wall_s, now
        s.execute(delete(TranscriptSegment).where(TranscriptSegment.recording_id == job.recording_id))
        s.execute(delete(TranscriptSearch).where(TranscriptSearch.recording_id == job.recording_id))


def _row(s: Session, job: Owed, *, engine: str, now: datetime) -> Transcript:
    row = s.get(Transcript, job.recording_id, with_for_update=True)
    if row is None:
        row = Transcript(recording_id=job.recording_id, call_id=job.call_id, queued_at=now, text="", error="")
        s.add(row)
    row.engine = engine
    return row


def counts(sm: Sessions) -> dict[str, int]:
    """Transcripts by status (for progress and tests)."""
    with sm() as s:
        rows = s.execute(select(Transcript.status, func.count()).group_by(Transcript.status)).all()
        return {str(status): int(n) for status, n in rows}
