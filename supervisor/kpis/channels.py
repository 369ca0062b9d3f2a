"""Video calls and chats as their own channels (docs/KPIS.md, "Channels"), per queue, in SQL.

Video calls come from ``video_calls`` (one row per call from the sign-language page) joined to their
call record in ``calls`` (same call id) for the queue and the answer time; chats from ``chat_sessions``.
A contact belongs to the range of its start: ``video_calls.started_at``, ``chat_sessions.queued_at``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from chat.models import ChatSession
from hotline.db.models import Call
from hotline.guest_models import VideoCall
from supervisor.kpis.intervals import check_range
from supervisor.kpis.model import ratio
from supervisor.kpis.sqlfn import epoch

VIDEO_QUEUE = "sign_video"
"""The queue of a video call whose call record names none."""
VIDEO_GIVEN_UP = ("left", "no_agent")
"""``video_calls.outcome`` values of a video call nobody answered."""


@dataclass(frozen=True)
class ChannelKpis:
    """One channel (``video`` or ``chat``) of one queue (None: every queue in scope) over [start, end)."""

    channel: str
    queue: str | None
    start: datetime
    end: datetime
    offered: int
    answered: int
    abandoned: int
    no_agent: int
    """Of ``abandoned``: video calls given up because nobody signing took them (0 for chats)."""
    answer_rate: float | None
    abandon_rate: float | None
    asa_s: float | None
    """Mean wait of the answered contacts, seconds."""


_Row = tuple[str, int, int, int, int, float, int]
"""queue, offered, answered, abandoned, no_agent, sum and count of the answered contacts' waits"""


def _row(*r: Any) -> _Row:
    return (str(r[0]), int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), float(r[5] or 0), int(r[6]))


def _scoped(column: Any, queue: str | None, queues: Collection[str] | None) -> ColumnElement[bool]:
    if queue is not None:
        return column == queue  # type: ignore[no-any-return]
    if queues is not None:
        return column.in_(sorted(queues))  # type: ignore[no-any-return]
    return true()


def _video_rows(
    session: Session, start: datetime, end: datetime, queue: str | None, queues: Collection[str] | None
) -> list[_Row]:
    v = VideoCall
    name = func.coalesce(Call.queue, VIDEO_QUEUE)
    answered = or_(v.outcome == "answered", and_(v.outcome == "", Call.answered_at.is_not(None)))
    answer_at = func.coalesce(Call.answered_at, v.answered_at)
    wait = epoch(answer_at) - epoch(func.coalesce(Call.queued_at, v.started_at))
    stmt = (
        select(
            name.label("queue"),
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((v.outcome.in_(VIDEO_GIVEN_UP), 1), else_=0)),
            func.sum(case((v.outcome == "no_agent", 1), else_=0)),
            func.sum(case((answered, wait), else_=None)),
            func.count(case((answered, wait), else_=None)),
        )
        .select_from(v)
        .outerjoin(Call, Call.call_id == v.call_id)
        .where(v.started_at >= start, v.started_at < end, _scoped(name, queue, queues))
        .group_by(name)
    )
    return [_row(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in session.execute(stmt)]


def _chat_rows(
    session: Session, start: datetime, end: datetime, queue: str | None, queues: Collection[str] | None
) -> list[_Row]:
    c = ChatSession
    answered = c.outcome == "answered"
    stmt = (
        select(
            c.queue,
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((c.outcome == "abandoned", 1), else_=0)),
            func.sum(case((answered, c.wait_seconds), else_=None)),
            func.count(case((answered, c.wait_seconds), else_=None)),
        )
        .where(c.queued_at >= start, c.queued_at < end, _scoped(c.queue, queue, queues))
        .group_by(c.queue)
    )
    return [_row(r[0], r[1], r[2], r[3], 0, r[4], r[5]) for r in session.execute(stmt)]


def _build(channel: str, queue: str | None, start: datetime, end: datetime, rows: list[_Row]) -> ChannelKpis:
    offered = sum(r[1] for r in rows)
    answered = sum(r[2] for r in rows)
    abandoned = sum(r[3] for r in rows)
    waited = sum(r[5] for r in rows)
    counted = sum(r[6] for r in rows)
    return ChannelKpis(
        channel=channel,
        queue=queue,
        start=start,
        end=end,
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        no_agent=sum(r[4] for r in rows),
        answer_rate=ratio(answered, offered),
        abandon_rate=ratio(abandoned, offered),
        asa_s=None if counted == 0 else round(waited / counted, 1),
    )


def channel_kpis(
    session: Session,
    *,
    channel: str,
    start: datetime,
    end: datetime,
    queue: str | None = None,
    queues: Collection[str] | None = None,
) -> tuple[ChannelKpis, list[ChannelKpis]]:
    """The ``video`` or ``chat`` figures over [start, end) of ``queue`` (None: every queue, or only
    ``queues`` when given): their total and one row per queue that had contacts, by queue name."""
    check_range(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if channel == "video":
        rows = _video_rows(session, start, end, queue, queues)
    elif channel == "chat":
        rows = _chat_rows(session, start, end, queue, queues)
    else:
        raise ValueError(f"unknown channel {channel!r}")
    per = [_build(channel, r[0], start, end, [r]) for r in sorted(rows)]
    return _build(channel, queue, start, end, rows), per


def channel_dict(kpis: ChannelKpis) -> dict[str, Any]:
    """A JSON-ready dict of a record (datetimes as ISO 8601)."""
    out = asdict(kpis)
    out["start"] = kpis.start.isoformat()
    out["end"] = kpis.end.isoformat()
    return out
