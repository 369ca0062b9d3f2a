"""A transcribed voice message (留言) is written into its work order as a history entry.

The IVR's message intake (``tickets.intake``) opens one work order per message, linked by the call
id; the order and the transcript may each come first. The entry (event ``voicemail_transcript``,
actor ``transcription``, detail ``{"note", "recording_id"}``) is added in the transaction that stores
the transcript when the order exists, and otherwise by the next sweep (``missing_notes``), once per
recording.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from recordings.models import Recording, Transcript
from tickets.models import WorkOrder, WorkOrderHistory
from tickets.order_steps import log_event
from tickets.vocab import Status

EVENT = "voicemail_transcript"
ACTOR = "transcription"
NOTE_PREFIX = "留言录音转写："
EMPTY_NOTE = "留言录音转写：未识别出语音，请收听录音。"
NOTE_CHARS = 2000


def note_text(text: str) -> str:
    """The note written into the order for a message's transcript."""
    return (NOTE_PREFIX + text)[:NOTE_CHARS] if text.strip() else EMPTY_NOTE


def add_note(s: Session, *, call_id: str, recording_id: str, text: str, now: datetime) -> bool:
    """Add the entry to the order of ``call_id`` in ``s``; False when no order exists yet or it has one."""
    order = s.scalars(select(WorkOrder).where(WorkOrder.call_id == call_id).order_by(WorkOrder.id)).first()
    if order is None or _noted(s, order.id, recording_id):
        return False
    status = Status(order.status)
    detail = {"note": note_text(text), "recording_id": recording_id}
    log_event(s, order, event=EVENT, before=status, actor=ACTOR, at=now, detail=detail)
    return True


def _noted(s: Session, order_id: int, recording_id: str) -> bool:
    entries = s.scalars(
        select(WorkOrderHistory.detail).where(
            WorkOrderHistory.order_id == order_id, WorkOrderHistory.event == EVENT
        )
    )
    return any(d.get("recording_id") == recording_id for d in entries)


def missing_notes(s: Session, *, since: datetime, limit: int = 200) -> list[tuple[str, str, str]]:
    """(call id, recording id, text) of voicemail transcripts done from ``since`` whose order has no
    entry for them (an order opened after its message was transcribed)."""
    rows = s.execute(
        select(Transcript.call_id, Transcript.recording_id, Transcript.text)
        .join(Recording, Recording.recording_id == Transcript.recording_id)
        .join(WorkOrder, WorkOrder.call_id == Transcript.call_id)
        .where(Recording.kind == "voicemail", Transcript.status == "done", Transcript.done_at >= since)
        .order_by(Transcript.done_at)
        .limit(limit * 5)
    ).all()
    missing = []
    for call_id, recording_id, text in rows:
        order_ids = s.scalars(select(WorkOrder.id).where(WorkOrder.call_id == call_id).order_by(WorkOrder.id))
        first = next(iter(order_ids), None)
        if first is not None and not _noted(s, first, recording_id):
            missing.append((str(call_id), str(recording_id), str(text)))
        if len(missing) >= limit:
            break
    return missing
