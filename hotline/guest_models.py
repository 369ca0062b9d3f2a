"""Video calls: one row per sign-language video call from the citizen page (``/citizen/sign``).

The call itself is an ordinary call record (``calls``, same call id, queue ``sign_video``); this table
marks it as video so that records and KPIs can count video calls apart (join on ``call_id``).
``guest`` is the guest endpoint it came from (``sg01`` ...), ``outcome`` how it ended for the citizen:
``answered``, ``no_agent`` (nobody signing within the limit: the page offered chat or a callback),
``left`` (the citizen hung up first) or empty while it lasts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class VideoCall(Base):
    """A call that came in with video from the sign-language page."""

    __tablename__ = "video_calls"
    __table_args__ = (Index("ix_video_calls_started_at", "started_at"),)

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    guest: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="")
