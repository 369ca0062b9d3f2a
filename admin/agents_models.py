"""Disabled users (``agent_disabled``): who was disabled, when and by whom.

A disabled user keeps their profile (work orders and call records name them) but has no password, no
open session and no SIP registration; re-enabling gives them a new password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base


class AgentDisabled(Base):
    """One disabled user."""

    __tablename__ = "agent_disabled"

    agent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    disabled_at: Mapped[datetime]
    disabled_by: Mapped[str] = mapped_column(String(32))
