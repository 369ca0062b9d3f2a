"""Admin routes for the transfer directory (``/api/admin/directory``, tab 通讯录): departments, special
lines, 110/119/120/122 and neighbouring hotlines that agents transfer to or bring into a call.

A number is saved only in the form the transfer path dials (hotline.dialing). Every change is recorded
in the admin change log (area ``directory``) with the entry before and after, and the agents' transfer
list of this node (``GET /api/directory``) shows it at once; other app nodes read the table again every
few seconds (:func:`follow_directory`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from admin import directory_store as store
from admin.audit_api import AdminUser, audited, sessions_of
from admin.directory_models import KINDS
from agent_desktop.directory import DirectoryEntry
from agent_desktop.errors import DesktopError

router = APIRouter(prefix="/api/admin", tags=["admin"])
log = logging.getLogger(__name__)
EntryPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
KIND_PATTERN = "^(" + "|".join(KINDS) + ")$"


class EntryChange(BaseModel):
    """A directory entry as an admin writes it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
    number: str = Field(min_length=1, max_length=20)
    kind: str = Field(pattern=KIND_PATTERN)
    position: int | None = Field(default=None, ge=0, le=100_000)


class EntryCreate(EntryChange):
    """A new entry; ``id`` names it in transfers (letters, digits, ``_`` or ``-``)."""

    id: str = Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")


class EntryPublic(BaseModel):
    """One entry."""

    id: str
    name: str
    number: str
    kind: str


def _transfer_list(request: Request) -> dict[str, DirectoryEntry] | None:
    return _transfer_list_of(request.app)


async def _publish(request: Request) -> list[DirectoryEntry]:
    entries = await asyncio.to_thread(store.read_entries, sessions_of(request))
    target = _transfer_list(request)
    if target is not None:
        store.refresh(target, entries)
    return entries


async def _save(request: Request, me: AdminUser, entry: DirectoryEntry, position: int | None) -> EntryPublic:
    try:
        before = await asyncio.to_thread(
            store.save_entry, sessions_of(request), entry, by=me.user_id, position=position
        )
    except store.DirectoryInvalid as exc:
        raise DesktopError(
            "invalid_directory_entry", str(exc), status_code=422, details={"field": exc.field}
        ) from None
    await _publish(request)
    await audited(
        request, me, area=store.AREA, object_id=entry.id, action="create" if before is None else "update",
        summary=f"{'新增' if before is None else '修改'}通讯录 {entry.name} {entry.number}",
        before=store.as_dict(before), after=store.as_dict(entry),
    )  # fmt: skip
    return EntryPublic(id=entry.id, name=entry.name, number=entry.number, kind=entry.kind)


@router.get("/directory", response_model=list[EntryPublic])
async def list_entries(request: Request, me: AdminUser) -> list[EntryPublic]:
    """Every entry in the order agents see them."""
    entries = await asyncio.to_thread(store.read_entries, sessions_of(request))
    return [EntryPublic(id=e.id, name=e.name, number=e.number, kind=e.kind) for e in entries]


@router.post("/directory", response_model=EntryPublic, status_code=201)
async def create_entry(request: Request, body: EntryCreate, me: AdminUser) -> EntryPublic:
    """A new entry (409 ``directory_entry_exists`` for an id in use)."""
    existing = {e.id for e in await asyncio.to_thread(store.read_entries, sessions_of(request))}
    if body.id in existing:
        raise DesktopError("directory_entry_exists", f"entry {body.id} exists already", status_code=409)
    entry = DirectoryEntry(id=body.id, name=body.name.strip(), number=body.number, kind=body.kind)
    return await _save(request, me, entry, body.position)


@router.put("/directory/{entry_id}", response_model=EntryPublic)
async def change_entry(
    request: Request, entry_id: EntryPath, body: EntryChange, me: AdminUser
) -> EntryPublic:
    """Change an entry (404 when there is none)."""
    existing = {e.id for e in await asyncio.to_thread(store.read_entries, sessions_of(request))}
    if entry_id not in existing:
        raise DesktopError("unknown_directory_entry", f"no directory entry {entry_id}", status_code=404)
    entry = DirectoryEntry(id=entry_id, name=body.name.strip(), number=body.number, kind=body.kind)
    return await _save(request, me, entry, body.position)


@router.delete("/directory/{entry_id}", status_code=204)
async def delete_entry(request: Request, entry_id: EntryPath, me: AdminUser) -> None:
    """Remove an entry; agents can no longer transfer to it."""
    before = await asyncio.to_thread(store.delete_entry, sessions_of(request), entry_id)
    if before is None:
        raise DesktopError("unknown_directory_entry", f"no directory entry {entry_id}", status_code=404)
    await _publish(request)
    await audited(
        request, me, area=store.AREA, object_id=entry_id, action="delete",
        summary=f"删除通讯录 {before.name} {before.number}", before=store.as_dict(before), after=None,
    )  # fmt: skip


def load_into(sessions: sessionmaker[Session], target: dict[str, DirectoryEntry]) -> None:
    """Seed the table from the YAML file the first time, then make ``target`` (the transfer path's
    directory) the table's entries."""
    store.seed_from_file(sessions)
    store.refresh(target, store.read_entries(sessions))


async def follow_directory(
    sessions: sessionmaker[Session], target: dict[str, DirectoryEntry], *, every_s: float = 5.0
) -> None:
    """Read the table every ``every_s`` into ``target``, so that a change made on another app node
    reaches this node's agents."""
    while True:
        await asyncio.sleep(every_s)
        try:
            entries = await asyncio.to_thread(store.read_entries, sessions)
        except SQLAlchemyError as exc:
            log.info("directory not refreshed (%s)", exc)
            continue
        store.refresh(target, entries)


def install_directory(app: FastAPI, sessions: sessionmaker[Session]) -> asyncio.Task[None] | None:
    """Load the directory into the app's transfer path and follow the table; the following task."""
    target = _transfer_list_of(app)
    if target is None:
        return None
    with contextlib.suppress(SQLAlchemyError):
        load_into(sessions, target)
    return asyncio.create_task(follow_directory(sessions, target))


def _transfer_list_of(app: FastAPI) -> dict[str, DirectoryEntry] | None:
    calls = getattr(app.state, "calls", None)
    target = getattr(calls, "directory", None)
    return target if isinstance(target, dict) else None
