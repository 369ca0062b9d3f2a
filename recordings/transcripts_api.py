"""HTTP: searching and reading call transcripts, for supervisors, QA staff and admins only.

``GET /api/transcripts/search?q=`` finds recordings by what was said (the knowledge base's Chinese
search, ``recordings.search``); ``GET /api/transcripts?call_id=`` gives a call's transcripts with
their timed segments, per side. Agents and department users get 403. Every answer is written to
the read audit (``transcripts.search`` with the query, ``transcripts.read`` with the call) with the
recordings it showed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from privacy.reads import audit_read
from recordings.models import Recording, Transcript, TranscriptSegment
from recordings.search import MAX_LIMIT, TranscriptHit, search_transcripts
from recordings.transcript_store import Sessions

router = APIRouter(prefix="/api/transcripts", dependencies=[Depends(_principal)], tags=["transcripts"])

READERS = (Role.SUPERVISOR, Role.QA, Role.ADMIN)
SearchQuery = Annotated[str, Query(min_length=1, max_length=100)]
CallId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._:-]+$")]
AUDIT_QUERY_CHARS = 50


class TranscriptHitPublic(BaseModel):
    """One recording whose transcript matches; ``at_s``: where the first matching segment starts."""

    recording_id: str
    call_id: str
    side: str
    started_at: datetime
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    at_s: float | None
    audio_url: str

    @classmethod
    def of(cls, h: TranscriptHit) -> TranscriptHitPublic:
        """From a search hit."""
        return cls(
            recording_id=h.recording_id,
            call_id=h.call_id,
            side=h.side,
            started_at=h.started_at,
            score=h.score,
            snippet=h.snippet,
            highlights=list(h.highlights),
            at_s=h.at_s,
            audio_url=f"/api/recordings/{h.recording_id}/audio",
        )


class TranscriptSearchResult(BaseModel):
    """The hits of one query, best first."""

    query: str
    hits: list[TranscriptHitPublic]


class SegmentPublic(BaseModel):
    """One timed stretch of speech."""

    start_s: float
    end_s: float
    text: str


class TranscriptPublic(BaseModel):
    """The transcript of one recording (one side of one call leg)."""

    recording_id: str
    side: str
    status: str
    engine: str
    text: str
    error: str
    audio_s: float | None
    segments: list[SegmentPublic]


class CallTranscripts(BaseModel):
    """Every transcript of a call."""

    call_id: str
    transcripts: list[TranscriptPublic]


def _reader(me: Principal) -> None:
    if not me.may(*READERS):
        raise DesktopError(
            "forbidden", "only supervisors, QA staff and admins may read transcripts", status_code=403
        )


@router.get("/search", response_model=TranscriptSearchResult)
async def search(
    request: Request,
    me: Me,
    q: SearchQuery,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> TranscriptSearchResult:
    """Recordings whose transcript matches ``q``."""
    _reader(me)
    if "\x00" in q:
        raise DesktopError("query_invalid", "the query holds a NUL character", status_code=422)
    hits = await asyncio.to_thread(search_transcripts, _context(request).sessions, query=q, limit=limit)
    await audit_read(
        request,
        me,
        "transcripts.search",
        object_id=f"q:{q[:AUDIT_QUERY_CHARS]}",
        objects=[h.recording_id for h in hits],
    )
    return TranscriptSearchResult(query=q, hits=[TranscriptHitPublic.of(h) for h in hits])


@router.get("", response_model=CallTranscripts)
async def call_transcripts(request: Request, me: Me, call_id: CallId) -> CallTranscripts:
    """The transcripts of one call with their segments."""
    _reader(me)
    found = await asyncio.to_thread(_of_call, _context(request).sessions, call_id)
    await audit_read(
        request, me, "transcripts.read", object_id=call_id, objects=[t.recording_id for t in found]
    )
    return CallTranscripts(call_id=call_id, transcripts=found)


def _of_call(sm: Sessions, call_id: str) -> list[TranscriptPublic]:
    with sm() as s:
        rows = s.execute(
            select(Transcript, Recording.side)
            .join(Recording, Recording.recording_id == Transcript.recording_id)
            .where(Transcript.call_id == call_id)
            .order_by(Recording.segment, Recording.side)
        ).all()
        segments = s.scalars(
            select(TranscriptSegment)
            .where(TranscriptSegment.call_id == call_id)
            .order_by(TranscriptSegment.start_s, TranscriptSegment.id)
        ).all()
        by_recording: dict[str, list[SegmentPublic]] = {}
        for g in segments:
            by_recording.setdefault(g.recording_id, []).append(
                SegmentPublic(start_s=g.start_s, end_s=g.end_s, text=g.text)
            )
        return [
            TranscriptPublic(
                recording_id=t.recording_id,
                side=side,
                status=t.status,
                engine=t.engine,
                text=t.text,
                error=t.error,
                audio_s=t.audio_s,
                segments=by_recording.get(t.recording_id, []),
            )
            for t, side in rows
        ]
