"""Recordings of calls and voice messages, and their transcripts (one row per audio file).

``recordings``: one row per file. A citizen call gives one pair per bridged leg (``segment`` 0, 1, ...
after a transfer): ``side`` ``caller`` (what the citizen said) and ``agent`` (what the centre said:
the agent, a consulted party, a barging supervisor); a voice message left out of hours is ``kind``
``voicemail`` with side ``caller``. ``path`` is relative to the recordings root (settings), so the
root can move. ``status``: ``recording`` while Asterisk writes it, ``saved`` once closed with its
duration and sha256, ``missing`` when the file was not found at close, ``deleted`` by retention.

``transcripts``: one row per recording once the transcription job took it (``pending``, ``done``,
``failed`` with the error); ``transcript_segments`` hold the timed text of a done transcript, with the
call and side repeated so that quality rules and search read one table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

KINDS = ("call", "voicemail")
SIDES = ("caller", "agent")
STATUSES = ("recording", "saved", "missing", "deleted")
TRANSCRIPT_STATUSES = ("pending", "done", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Recording(Base):
    """One audio file of one side of a call leg (or of a voice message)."""

    __tablename__ = "recordings"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="recording_kind_known"),
        CheckConstraint(_in("side", SIDES), name="recording_side_known"),
        CheckConstraint(_in("status", STATUSES), name="recording_status_known"),
        Index("ix_recordings_call_id", "call_id"),
        Index("ix_recordings_started_at", "started_at"),
    )

    recording_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(String)
    node: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16), default="call")
    side: Mapped[str] = mapped_column(String(16))
    segment: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]
    bytes: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="recording")


class Transcript(Base):
    """The transcription of one recording: its state and the whole text."""

    __tablename__ = "transcripts"
    __table_args__ = (
        CheckConstraint(_in("status", TRANSCRIPT_STATUSES), name="transcript_status_known"),
        Index("ix_transcripts_status", "status"),
    )

    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.recording_id", ondelete="CASCADE"), primary_key=True
    )
    call_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    engine: Mapped[str] = mapped_column(String(32), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    audio_s: Mapped[float | None]
    wall_s: Mapped[float | None]
    error: Mapped[str] = mapped_column(String(500), default="")
    queued_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class TranscriptSegment(Base):
    """One timed stretch of recognised speech of one side of a call."""

    __tablename__ = "transcript_segments"
    __table_args__ = (
        Index("ix_transcript_segments_call_id", "call_id"),
        Index("ix_transcript_segments_recording_id", "recording_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.recording_id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String)
    side: Mapped[str] = mapped_column(String(16))
    start_s: Mapped[float]
    end_s: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
