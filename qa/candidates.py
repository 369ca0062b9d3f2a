"""Which calls are ready for inspection, and their speech on the call's own clock.

A call is ready once every recording of it that holds audio (``kind`` ``call``, not ``missing`` or
``deleted``) has a ``done`` transcript, at least one has, its record (when there is one) says it ended,
and it was not inspected yet. Segment times are moved from each recording's clock to the call's: 0 is
when the call's first recording started. Holds come from ``call_events`` ``hold``/``unhold`` pairs
when they were recorded (a hold without its end lasts until the last speech).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.models import Call, CallEvent
from qa.models import QaInspection
from qa.rules import Segment, Span
from qa.worklist import CallFacts
from recordings.models import Recording, Transcript, TranscriptSegment

Sessions = sessionmaker[Session]
NO_AUDIO = ("missing", "deleted")
HOLD_KINDS = ("hold", "unhold")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallSpeech:
    """One ready call: its facts, its segments and holds on the call's clock."""

    facts: CallFacts
    segments: list[Segment]
    holds: list[Span]


def ready_calls(sm: Sessions, *, since: datetime, limit: int = 50) -> list[str]:
    """Up to ``limit`` call ids ready for inspection among calls recorded since ``since``, oldest
    first (the window keeps each pass to the recent part of the recordings index)."""
    not_done = func.sum(case((or_(Transcript.status.is_(None), Transcript.status != "done"), 1), else_=0))
    query = (
        select(Recording.call_id)
        .outerjoin(Transcript, Transcript.recording_id == Recording.recording_id)
        .outerjoin(Call, Call.call_id == Recording.call_id)
        .outerjoin(QaInspection, QaInspection.call_id == Recording.call_id)
        .where(
            Recording.kind == "call",
            Recording.started_at >= since,
            Recording.status.not_in(NO_AUDIO),
            QaInspection.call_id.is_(None),
            or_(Call.call_id.is_(None), Call.ended_at.is_not(None)),
        )
        .group_by(Recording.call_id)
        .having(and_(not_done == 0, func.count(Transcript.recording_id) > 0))
        .order_by(func.min(Recording.started_at))
        .limit(limit)
    )
    with sm() as s:
        return list(s.scalars(query))


def speech_of(sm: Sessions, call_id: str) -> CallSpeech | None:
    """The call's facts, segments and holds; None when it has no recording with audio."""
    with sm() as s:
        recordings = (
            s.execute(
                select(Recording).where(
                    Recording.call_id == call_id, Recording.kind == "call", Recording.status.not_in(NO_AUDIO)
                )
            )
            .scalars()
            .all()
        )
        if not recordings:
            return None
        t0 = min(r.started_at for r in recordings)
        offsets = {r.recording_id: (r.started_at - t0).total_seconds() for r in recordings}
        rows = s.execute(
            select(TranscriptSegment).where(TranscriptSegment.recording_id.in_(list(offsets)))
        ).scalars()
        segments = [
            Segment(
                side=g.side,
                start_s=g.start_s + offsets[g.recording_id],
                end_s=g.end_s + offsets[g.recording_id],
                text=g.text,
            )
            for g in rows
        ]
        call = s.get(Call, call_id)
        events = [
            (kind, at)
            for kind, at in s.execute(
                select(CallEvent.kind, CallEvent.at)
                .where(CallEvent.call_id == call_id, CallEvent.kind.in_(HOLD_KINDS))
                .order_by(CallEvent.at, CallEvent.id)
            )
        ]
        agent = call.agent_id if call is not None and call.agent_id else _agent_of(recordings)
        facts = CallFacts(
            call_id=call_id,
            started_at=(call.answered_at or call.entered_ivr_at) if call is not None else t0,
            agent_id=agent,
            queue=call.queue if call is not None else None,
        )
    last = max((g.end_s for g in segments), default=0.0)
    return CallSpeech(facts=facts, segments=segments, holds=_holds(events, t0, last))


def _agent_of(recordings: Sequence[Recording]) -> str | None:
    return next((r.agent_id for r in sorted(recordings, key=lambda r: r.segment) if r.agent_id), None)


def _holds(events: list[tuple[str, datetime]], t0: datetime, last_s: float) -> list[Span]:
    spans: list[Span] = []
    held_at: float | None = None
    for kind, at in events:
        offset = (at - t0).total_seconds()
        if kind == "hold" and held_at is None:
            held_at = offset
        elif kind == "unhold" and held_at is not None:
            spans.append(Span(held_at, offset))
            held_at = None
    if held_at is not None and last_s > held_at:
        spans.append(Span(held_at, last_s))
    return spans


def call_view(sm: Sessions, call_id: str) -> dict[str, object]:
    """The recordings (with their offset on the call's clock) and segments the QA page shows."""
    with sm() as s:
        recordings = (
            s.execute(
                select(Recording)
                .where(Recording.call_id == call_id, Recording.kind == "call")
                .order_by(Recording.segment, Recording.side)
            )
            .scalars()
            .all()
        )
    if not recordings:
        return {"recordings": [], "segments": []}
    t0 = min(r.started_at for r in recordings)
    speech = speech_of(sm, call_id)
    segments = [] if speech is None else sorted(speech.segments, key=lambda g: (g.start_s, g.side))
    return {
        "recordings": [
            {
                "recording_id": r.recording_id,
                "side": r.side,
                "segment": r.segment,
                "status": r.status,
                "offset_s": (r.started_at - t0).total_seconds(),
                "duration_s": r.duration_s,
            }
            for r in recordings
        ],
        "segments": [
            {"side": g.side, "start_s": g.start_s, "end_s": g.end_s, "text": g.text} for g in segments
        ],
    }
