"""The ``video_calls`` records (hotline.guest_models): written as a video call starts and ends, counted
apart for reports and KPIs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from hotline.db.access import Sessions, aware, writing
from hotline.guest_models import VideoCall

__all__ = ["count_video_calls", "record_ended", "record_started"]


def record_started(sm: Sessions, *, call_id: str, guest: str, at: datetime) -> None:
    """A video call from guest endpoint ``guest`` reached the queue (again: the first start stays)."""
    with writing(sm) as session:
        if session.get(VideoCall, call_id) is None:
            session.add(
                VideoCall(
                    call_id=call_id,
                    guest=guest,
                    started_at=aware(at, "at"),
                    answered_at=None,
                    ended_at=None,
                    outcome="",
                )
            )


def record_ended(sm: Sessions, *, call_id: str, outcome: str, answered: bool, at: datetime) -> None:
    """The video call ended with ``outcome``; ``answered`` when an agent had taken it (that time is
    the end's unless already known). A call never started here is left alone."""
    with writing(sm) as session:
        row = session.get(VideoCall, call_id)
        if row is None:
            return
        row.ended_at, row.outcome = aware(at, "at"), outcome
        if answered and row.answered_at is None:
            row.answered_at = row.ended_at


def count_video_calls(sm: Sessions, *, start: datetime, end: datetime) -> dict[str, int]:
    """Video calls started in [start, end), per outcome (``""``: still going), plus ``total``."""
    query = (
        select(VideoCall.outcome, func.count())
        .where(VideoCall.started_at >= aware(start, "start"), VideoCall.started_at < aware(end, "end"))
        .group_by(VideoCall.outcome)
    )
    with sm() as session:
        counts = {str(outcome): int(n) for outcome, n in session.execute(query)}
    return counts | {"total": sum(counts.values())}
