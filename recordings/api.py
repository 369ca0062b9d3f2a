"""HTTP: recordings of a call and their audio, for supervisors, QA staff and admins only.

``GET /api/recordings?call_id=`` lists a call's files; ``GET /api/recordings/{id}/audio`` sends one
(HTTP Range for seeking; ``?download=1`` as an attachment). Agents (and department users, refused for
every path outside their portal) get 403. Every listing, playback and download is written to the read
audit (``recordings.list``, ``recordings.play``, ``recordings.download``); the follow-up range requests
of a player seeking through a file (a Range not starting at byte 0) are not counted again.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from privacy.reads import audit_read
from recordings.files import inside_root
from recordings.store import RecordingRow, get_recording, recordings_of_call

router = APIRouter(prefix="/api/recordings", dependencies=[Depends(_principal)], tags=["recordings"])

LISTENERS = (Role.SUPERVISOR, Role.QA, Role.ADMIN)
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CallId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._:-]+$")]
RecordingId = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z._-]+$")]


class RecordingPublic(BaseModel):
    """One recording file of a call."""

    recording_id: str
    call_id: str
    side: str
    segment: int
    agent_id: str | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    bytes: int | None
    sha256: str | None
    status: str
    audio_url: str

    @classmethod
    def of(cls, r: RecordingRow) -> RecordingPublic:
        """From a stored row."""
        return cls(
            recording_id=r.recording_id,
            call_id=r.call_id,
            side=r.side,
            segment=r.segment,
            agent_id=r.agent_id,
            started_at=r.started_at,
            ended_at=r.ended_at,
            duration_s=r.duration_s,
            bytes=r.bytes,
            sha256=r.sha256,
            status=r.status,
            audio_url=f"/api/recordings/{r.recording_id}/audio",
        )


class RecordingList(BaseModel):
    """A call's recordings by segment, caller side first."""

    call_id: str
    recordings: list[RecordingPublic]


def _listener(me: Principal) -> None:
    if not me.may(*LISTENERS):
        raise DesktopError(
            "forbidden", "only supervisors, QA staff and admins may hear recordings", status_code=403
        )


def _root(request: Request) -> Path:
    root: Path = request.app.state.recordings_root
    return root


@router.get("", response_model=RecordingList)
async def list_recordings(request: Request, me: Me, call_id: CallId) -> RecordingList:
    """The recordings of one call."""
    _listener(me)
    rows = await asyncio.to_thread(recordings_of_call, _context(request).sessions, call_id)
    await audit_read(
        request, me, "recordings.list", object_id=call_id, objects=[r.recording_id for r in rows]
    )
    return RecordingList(call_id=call_id, recordings=[RecordingPublic.of(r) for r in rows])


@router.get("/{recording_id}/audio", response_class=FileResponse)
async def recording_audio(
    request: Request,
    me: Me,
    recording_id: RecordingId,
    download: Annotated[bool, Query()] = False,
) -> FileResponse:
    """One recording's WAV file (Range requests answered with 206)."""
    _listener(me)
    row = await asyncio.to_thread(get_recording, _context(request).sessions, recording_id)
    if row is None:
        raise DesktopError(
            "recording_not_found",
            "no such recording",
            status_code=404,
            details={"recording_id": recording_id},
        )
    path = inside_root(_root(request), row.path)
    if row.status != "saved" or path is None or not path.is_file():
        raise DesktopError(
            "recording_unavailable",
            "the recording's file is not available",
            status_code=404,
            details={"recording_id": recording_id, "status": row.status},
        )
    first = _range_start(request.headers.get("range"), path.stat().st_size)
    if first == 0:
        action = "recordings.download" if download else "recordings.play"
        await audit_read(request, me, action, object_id=row.call_id, objects=[recording_id])
    name = f"{recording_id}.wav"
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=name if download else None,
        content_disposition_type="attachment" if download else "inline",
        headers={"Cache-Control": "no-store"},
    )


def _range_start(header: str | None, size: int) -> int:
    """The first byte a Range header asks for (0 without one); 416 for anything but one byte range
    inside the file."""
    if header is None:
        return 0
    m = RANGE.match(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        raise DesktopError(
            "range_invalid",
            "only one byte range (bytes=a-b) is served",
            status_code=416,
            details={"range": header[:100]},
        )
    if not m.group(1):
        return max(0, size - int(m.group(2)))
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        raise DesktopError(
            "range_not_satisfiable",
            "the range is outside the file",
            status_code=416,
            details={"range": header[:100], "size": size},
        )
    return start
