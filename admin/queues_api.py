"""Admin routes for the queues (``/api/admin/queues``, tab 队列): the configuration in force, its
versions, the diff between two, a change and a rollback.

A change sends the whole configuration (the page's ``queues`` list, or ``yaml`` text in the schema of
``acd/queues.yaml``) with the version it was made from. It is checked whole (acd.queue_config: shape,
overflow order, exits, strategy names, threshold bands; 422 ``invalid_queue_config`` with each
problem's field as a ``loc`` list), stored as a new version (409 ``queue_version_conflict`` when
another change came first), applied at once on this node and announced to the others
(acd.queue_live), and recorded in the admin change log (area ``queue``) with the unified diff of the
two versions. A rollback stores an old version again as the newest. Callers already waiting keep their
place.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from acd import queue_store as store
from acd.errors import InvalidConfig
from acd.queue_live import QueueLive
from acd.queue_store_doc import canonical, parse_document, queue_entry, text_of_queues
from acd.strategies import strategy_names
from admin.audit import Change, record_change, unified_diff
from admin.audit_api import AdminUser, sessions_of
from agent_desktop.auth import Principal
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from privacy.reads import client_of

router = APIRouter(prefix="/api/admin", tags=["admin"])
AREA = "queue"
OBJECT_ID = "queues"
BODY_LIMIT = 128 * 1024
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
VersionQuery = Annotated[int, Query(ge=1, le=2**31 - 1)]
NOTE = Field(default="", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")


class QueuesChange(BaseModel):
    """The whole configuration as the admin wants it, made from version ``base_version``."""

    model_config = ConfigDict(extra="forbid")
    base_version: int = Field(ge=1, le=2**31 - 1)
    queues: list[dict[str, Any]] | None = Field(default=None, max_length=200)
    yaml: str | None = Field(default=None, max_length=BODY_LIMIT, pattern=r"^[^\x00]*$")
    note: str = NOTE

    @model_validator(mode="after")
    def _one_form(self) -> QueuesChange:
        if (self.queues is None) == (self.yaml is None):
            raise ValueError("send either queues or yaml")
        return self


class Rollback(BaseModel):
    """Bring ``version`` back as the newest version, made from ``base_version``."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=2**31 - 1)
    base_version: int = Field(ge=1, le=2**31 - 1)
    note: str = NOTE


def _live(request: Request) -> QueueLive:
    live: QueueLive | None = getattr(request.app.state, "queue_live", None)
    if live is None:
        raise DesktopError("queues_unavailable", "the ACD is not running in this process", status_code=503)
    return live


def _wrapup(request: Request) -> float:
    return float(getattr(request.app.state, "default_wrapup_s", 15.0))


def _meta(row: store.VersionRow) -> dict[str, Any]:
    return {
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "action": row.action,
        "based_on": row.based_on,
        "note": row.note,
    }


def _full(request: Request, row: store.VersionRow) -> dict[str, Any]:
    queues = parse_document(row.document, default_wrapup_s=_wrapup(request), source=f"version {row.version}")
    return {**_meta(row), "document": row.document, "queues": [queue_entry(q) for q in queues]}


async def _version(request: Request, version: int) -> store.VersionRow:
    row = await asyncio.to_thread(store.get, sessions_of(request), version)
    if row is None:
        raise DesktopError("unknown_queue_version", f"no queue version {version}", status_code=404)
    return row


async def _current(request: Request) -> store.VersionRow:
    row = await asyncio.to_thread(store.current, sessions_of(request))
    if row is None:
        raise DesktopError("queues_unavailable", "no queue configuration is stored yet", status_code=503)
    return row


@router.get("/queues")
async def queues_in_force(request: Request, me: AdminUser) -> dict[str, Any]:
    """The version in force, its queues with every value written out, and the strategy names."""
    live = _live(request)
    row = await _current(request)
    return {**_full(request, row), "applied_here": live.applied, "strategies": strategy_names()}


@router.get("/queues/versions")
async def versions(
    request: Request, me: AdminUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[dict[str, Any]]:
    """Versions, newest first (without their documents)."""
    rows = await asyncio.to_thread(store.history, sessions_of(request), limit=limit)
    return [_meta(r) for r in rows]


@router.get("/queues/versions/{version}")
async def one_version(request: Request, version: VersionPath, me: AdminUser) -> dict[str, Any]:
    """One version with its document and queues."""
    return _full(request, await _version(request, version))


@router.get("/queues/diff")
async def diff(request: Request, me: AdminUser, a: VersionQuery, b: VersionQuery) -> dict[str, Any]:
    """The unified diff from version ``a`` to version ``b``."""
    first, second = await _version(request, a), await _version(request, b)
    text = unified_diff(first.document, second.document, name="queues.yaml")
    return {"a": a, "b": b, "diff": text}


@router.put("/queues")
@body_limit(BODY_LIMIT)
async def change_queues(request: Request, body: QueuesChange, me: AdminUser) -> dict[str, Any]:
    """Store, apply and announce a new configuration."""
    text = body.yaml if body.yaml is not None else text_of_queues(body.queues or [])
    try:
        document, _ = canonical(text, default_wrapup_s=_wrapup(request), source="queues")
    except InvalidConfig as exc:
        raise DesktopError("invalid_queue_config", str(exc), status_code=422, details=_details(exc)) from None
    return await _store(request, me, document, action="update", base=body.base_version, note=body.note)


def _details(exc: InvalidConfig) -> dict[str, Any]:
    """The problem's details with each finding's ``loc`` as a list of keys and indexes, as FastAPI's
    request validation gives it (the console names the fields from it)."""
    details = dict(exc.details)
    errors = details.get("errors")
    if isinstance(errors, list):
        details["errors"] = [
            {**e, "loc": [int(p) if p.isdigit() else p for p in str(e.get("loc", "")).split(".") if p]}
            for e in errors
            if isinstance(e, dict)
        ]
    return details


@router.post("/queues/rollback")
@body_limit(4096)
async def roll_back(request: Request, body: Rollback, me: AdminUser) -> dict[str, Any]:
    """Store an old version again as the newest, apply and announce it."""
    old = await _version(request, body.version)
    note = body.note or f"回滚到版本 {body.version}"
    return await _store(
        request, me, old.document, action="rollback", base=body.base_version, note=note, based_on=old.version
    )


async def _store(
    request: Request,
    me: Principal,
    document: str,
    *,
    action: str,
    base: int,
    note: str,
    based_on: int | None = None,
) -> dict[str, Any]:
    live = _live(request)
    before = await _current(request)
    if before.version == base and before.document == document:
        raise DesktopError("queues_unchanged", "the configuration is the same as the one in force",
                           status_code=422, details={"version": base})  # fmt: skip
    try:
        row = await asyncio.to_thread(
            store.add, sessions_of(request), document=document, by=me.user_id, action=action,
            expect=base, based_on=based_on, note=note,
        )  # fmt: skip
    except store.VersionConflict as exc:
        raise DesktopError("queue_version_conflict", str(exc), status_code=409,
                           details={"expected": exc.expected, "current": exc.current}) from None  # fmt: skip
    await live.follow_once()
    await live.announce(row.version)
    verb = "回滚" if action == "rollback" else "修改"
    change = Change(
        user_id=me.user_id, role=str(me.role), area=AREA, object_id=OBJECT_ID, action=action,
        summary=f"{verb}队列配置：版本 {before.version} → {row.version}" + (f"（{note}）" if note else ""),
        diff=unified_diff(before.document, document, name="queues.yaml"), client=client_of(request),
    )  # fmt: skip
    await asyncio.to_thread(record_change, sessions_of(request), change)
    return {**_full(request, row), "applied_here": live.applied, "strategies": strategy_names()}
