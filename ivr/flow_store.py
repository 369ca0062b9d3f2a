"""Tables and data access for call-flow versions, admin flag switches and caller profiles.

Rules: a version's YAML is editable only while it is a ``draft``; publishing freezes it
(``published``) and makes it the live version of its pack. The live version is one row per pack in
``ivr_live_flows``, so publishing or rolling back is a single-row update and never touches calls in
progress (they hold the parsed flow they started with). Functions take a ``sessionmaker`` and run
in their own short transaction, like ``hotline.db.repository``; the ``*_in`` readers take an open
session instead, so that a call's start reads everything it needs in one transaction (``ivr.call_start``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from hotline.db.engine import WRITE_OPTION
from hotline.db.models import Base, Call

Sessions = sessionmaker[Session]
VersionStatus = Literal["draft", "published"]


class FlowVersion(Base):
    """One version of a flow pack (the main flow and its subflows, as YAML)."""

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (
        UniqueConstraint("pack_id", "version"),
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pack_id: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String)
    author: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class LiveFlow(Base):
    """Which version of a pack new calls run."""

    __tablename__ = "ivr_live_flows"

    pack_id: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String)


class FlagOverride(Base):
    """An admin switch (``flags`` of a flow) set without editing the flow."""

    __tablename__ = "ivr_flag_overrides"

    pack_id: Mapped[str] = mapped_column(String, primary_key=True)
    flag: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime]


class CallerProfile(Base):
    """What the centre knows about a calling number (elderly 一键直达, VIP)."""

    __tablename__ = "caller_profiles"

    number: Mapped[str] = mapped_column(String, primary_key=True)
    elderly: Mapped[bool] = mapped_column(Boolean)
    vip: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String)
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowVersionRow:
    """A stored version; ``live`` tells whether new calls run it."""

    pack_id: str
    version: int
    status: str
    source: str
    note: str
    author: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    live: bool = False

    @property
    def source_sha256(self) -> str:
        """The SHA-256 of the YAML: an editor sends it back with a save (``base_sha256``)."""
        return source_sha256(self.source)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerProfileRow:
    """A caller profile."""

    number: str
    elderly: bool
    vip: bool
    note: str


@contextmanager
def _writing(sm: Sessions) -> Iterator[Session]:
    with sm.begin() as session:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session


def _row(obj: FlowVersion, live: int | None) -> FlowVersionRow:
    return FlowVersionRow(
        pack_id=obj.pack_id,
        version=obj.version,
        status=obj.status,
        source=obj.source,
        note=obj.note,
        author=obj.author,
        created_at=obj.created_at,
        updated_at=obj.updated_at,
        published_at=obj.published_at,
        live=obj.version == live,
    )


def _live(s: Session, pack_id: str) -> int | None:
    row = s.get(LiveFlow, pack_id)
    return None if row is None else row.version


def add_version(
    sm: Sessions, *, pack_id: str, source: str, author: str, note: str = "", status: VersionStatus = "draft"
) -> FlowVersionRow:
    """Store a new version numbered after the highest one of the pack."""
    now = datetime.now(UTC)
    with _writing(sm) as s:
        top = s.scalar(select(func.max(FlowVersion.version)).where(FlowVersion.pack_id == pack_id))
        obj = FlowVersion(
            pack_id=pack_id,
            version=(top or 0) + 1,
            status=status,
            source=source,
            note=note,
            author=author,
            created_at=now,
            updated_at=now,
            published_at=now if status == "published" else None,
        )
        s.add(obj)
        s.flush()
        return _row(obj, _live(s, pack_id))


def _get(s: Session, pack_id: str, version: int) -> FlowVersion | None:
    query = select(FlowVersion).where(FlowVersion.pack_id == pack_id, FlowVersion.version == version)
    return s.scalar(query)


def get_version(sm: Sessions, *, pack_id: str, version: int) -> FlowVersionRow | None:
    """Version ``version`` of the pack, or None."""
    with sm() as s:
        obj = _get(s, pack_id, version)
        return None if obj is None else _row(obj, _live(s, pack_id))


def list_versions(sm: Sessions, *, pack_id: str) -> list[FlowVersionRow]:
    """Every version of the pack, newest first."""
    query = select(FlowVersion).where(FlowVersion.pack_id == pack_id).order_by(FlowVersion.version.desc())
    with sm() as s:
        live = _live(s, pack_id)
        return [_row(obj, live) for obj in s.scalars(query)]


def update_draft(
    sm: Sessions,
    *,
    pack_id: str,
    version: int,
    source: str,
    note: str | None = None,
    base_sha256: str | None = None,
) -> DraftSave:
    """Replace a draft's YAML. With ``base_sha256`` (the SHA-256 of the text the editor started from)
    the draft is replaced only if its text is still that one, in the same transaction: two admins editing
    one draft cannot overwrite each other's save unseen."""
    with _writing(sm) as s:
        obj = _get(s, pack_id, version)
        if obj is None or obj.status != "draft":
            return DraftSave.NOT_DRAFT
        if base_sha256 is not None and source_sha256(obj.source) != base_sha256:
            return DraftSave.CHANGED
        obj.source = source
        obj.note = obj.note if note is None else note
        obj.updated_at = datetime.now(UTC)
        return DraftSave.SAVED


def source_sha256(source: str) -> str:
    """The SHA-256 of a version's YAML (UTF-8), as the editor echoes it back."""
    return hashlib.sha256(source.encode()).hexdigest()


class DraftSave(StrEnum):
    """What became of a draft save."""

    SAVED = "saved"
    NOT_DRAFT = "not_draft"
    CHANGED = "changed"


def make_live(sm: Sessions, *, pack_id: str, version: int, by: str) -> bool:
    """Freeze ``version`` (if still a draft) and make it the live version; False if it does not exist."""
    now = datetime.now(UTC)
    with _writing(sm) as s:
        obj = _get(s, pack_id, version)
        if obj is None:
            return False
        if obj.status == "draft":
            obj.status, obj.published_at, obj.updated_at = "published", now, now
        live = s.get(LiveFlow, pack_id)
        if live is None:
            s.add(LiveFlow(pack_id=pack_id, version=version, changed_at=now, changed_by=by))
        else:
            live.version, live.changed_at, live.changed_by = version, now, by
        return True


def live_number(sm: Sessions, *, pack_id: str) -> int | None:
    """The number of the version new calls run, or None before the first publish."""
    with sm() as s:
        return live_number_in(s, pack_id=pack_id)


def live_number_in(s: Session, *, pack_id: str) -> int | None:
    """The number of the version new calls run, read in the open session ``s`` (one small query)."""
    found: int | None = s.execute(_LIVE_NUMBER, {"pack_id": pack_id}).scalar()
    return found


def live_version(sm: Sessions, *, pack_id: str) -> FlowVersionRow | None:
    """The version new calls run, or None before the first publish."""
    with sm() as s:
        return live_version_in(s, pack_id=pack_id)


def live_version_in(s: Session, *, pack_id: str) -> FlowVersionRow | None:
    """The version new calls run, read in the open session ``s``."""
    live = _live(s, pack_id)
    obj = None if live is None else _get(s, pack_id, live)
    return None if obj is None else _row(obj, live)


def flag_overrides(sm: Sessions, *, pack_id: str) -> dict[str, bool]:
    """The admin switches set for the pack."""
    with sm() as s:
        return flag_overrides_in(s, pack_id=pack_id)


def flag_overrides_in(s: Session, *, pack_id: str) -> dict[str, bool]:
    """The admin switches set for the pack, read in the open session ``s``."""
    return {flag: value for flag, value in s.execute(_FLAG_OVERRIDES, {"pack_id": pack_id})}


def set_flag_override(sm: Sessions, *, pack_id: str, flag: str, value: bool | None) -> None:
    """Switch a flag on or off for every new call; ``None`` goes back to the flow's default."""
    with _writing(sm) as s:
        row = s.get(FlagOverride, (pack_id, flag))
        if value is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(FlagOverride(pack_id=pack_id, flag=flag, value=value, changed_at=datetime.now(UTC)))
        else:
            row.value, row.changed_at = value, datetime.now(UTC)


def get_caller_profile(sm: Sessions, *, number: str) -> CallerProfileRow | None:
    """The profile of a calling number, or None."""
    with sm() as s:
        return caller_profile_in(s, number=number)


def caller_profile_in(s: Session, *, number: str) -> CallerProfileRow | None:
    """The profile of a calling number, read in the open session ``s``, or None."""
    found = s.execute(_CALLER_PROFILE, {"number": number}).first()
    if found is None:
        return None
    elderly, vip, note = found
    return CallerProfileRow(number=number, elderly=elderly, vip=vip, note=note)


def upsert_caller_profile(sm: Sessions, *, number: str, elderly: bool, vip: bool, note: str = "") -> None:
    """Create or replace the profile of a calling number."""
    with _writing(sm) as s:
        row = s.get(CallerProfile, number)
        if row is None:
            s.add(
                CallerProfile(
                    number=number, elderly=elderly, vip=vip, note=note, updated_at=datetime.now(UTC)
                )
            )
        else:
            row.elderly, row.vip, row.note, row.updated_at = elderly, vip, note, datetime.now(UTC)


def recent_calls_from(sm: Sessions, *, caller: str, since: timedelta, now: datetime, exclude: str) -> int:
    """How many calls ``caller`` made from ``now - since`` on, not counting call ``exclude``."""
    with sm() as s:
        return recent_calls_in(s, caller=caller, since=since, now=now, exclude=exclude)


def recent_calls_in(s: Session, *, caller: str, since: timedelta, now: datetime, exclude: str) -> int:
    """``recent_calls_from`` read in the open session ``s``."""
    params = {"caller": caller, "since": now - since, "exclude": exclude}
    return int(s.execute(_RECENT_CALLS, params).scalar() or 0)


# The per-call reads (``*_in``) as plain Core statements built once: a call's start runs each of them.
_LIVE = cast(Table, LiveFlow.__table__)
_FLAGS = cast(Table, FlagOverride.__table__)
_PROFILES = cast(Table, CallerProfile.__table__)
_CALLS = cast(Table, Call.__table__)
_LIVE_NUMBER = select(_LIVE.c.version).where(_LIVE.c.pack_id == bindparam("pack_id"))
_FLAG_OVERRIDES = select(_FLAGS.c.flag, _FLAGS.c.value).where(_FLAGS.c.pack_id == bindparam("pack_id"))
_CALLER_PROFILE = select(_PROFILES.c.elderly, _PROFILES.c.vip, _PROFILES.c.note).where(
    _PROFILES.c.number == bindparam("number")
)
_RECENT_CALLS = select(func.count(_CALLS.c.call_id)).where(
    _CALLS.c.caller == bindparam("caller"),
    _CALLS.c.entered_ivr_at >= bindparam("since"),
    _CALLS.c.call_id != bindparam("exclude"),
)
