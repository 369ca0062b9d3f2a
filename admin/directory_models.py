"""The transfer and three-way-call directory kept in the database (``directory_entries``).

Seeded once from ``agent_desktop/directory.yaml``; every later change is made in the admin console and
recorded in the admin change log (area ``directory``) with its before/after.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db.models import Base

KINDS = ("emergency", "hotline", "department", "neighbour")
"""What an entry is: 110/119/120/122, a national special line, a handling department, a neighbouring
city's hotline."""


class DirectoryRecord(Base):
    """One party agents can transfer a call to or bring into a three-way call."""

    __tablename__ = "directory_entries"
    __table_args__ = (CheckConstraint("number <> ''", name="number_present"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(32))
