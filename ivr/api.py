"""Admin REST API of the call flows: versions, validation, publish, rollback, diff, prompts, dry runs.

Every endpoint needs an admin bearer token (the desktop sign-in). Refusals answer with the uniform
error body ``{"error_id", "message", "details"}``; a refused publish lists the validator's issues in
``details.issues``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from agent_desktop.api import Me
from agent_desktop.auth import Principal, Role
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from ivr import admin_flow_audit as audit
from ivr import flow_store as store
from ivr.admin_flow_prompts import file_facts
from ivr.api_bounds import MAX_VERSION, VersionNumber
from ivr.dryrun_view import DryRunRequest
from ivr.errors import IvrError
from ivr.service import IvrService

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class _IvrErrors(APIRoute):
    """Maps ``IvrError`` to the uniform error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except IvrError as exc:
                body = {"error_id": exc.error_id, "message": exc.message, "details": exc.details}
                return JSONResponse(status_code=exc.status_code, content=body)

        return guarded


IvrErrors = _IvrErrors
"""The route class that answers ``IvrError`` with the uniform error body (for the other IVR routers)."""


def _service(request: Request) -> IvrService:
    service: IvrService | None = getattr(request.app.state, "ivr", None)
    if service is None:
        raise IvrError("ivr_unavailable", "the IVR is not running in this process", status_code=503)
    return service


def _admin(me: Me) -> Principal:
    if not me.may(Role.ADMIN):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    return me


Ivr = Annotated[IvrService, Depends(_service)]
Admin = Annotated[Principal, Depends(_admin)]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION)]
router = APIRouter(prefix="/api/ivr", tags=["ivr"], route_class=_IvrErrors)


class VersionPublic(BaseModel):
    """A flow version as listed."""

    version: int
    status: str
    live: bool
    note: str
    author: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class VersionDetail(VersionPublic):
    """A flow version with its YAML and the YAML's SHA-256 (sent back as a save's ``base_sha256``)."""

    source: str
    source_sha256: str


class DraftCreate(BaseModel):
    """A new draft: YAML text, or a copy of ``base`` (default: the live version)."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    base: VersionNumber | None = None
    note: str = Field(default="", max_length=500)


class DraftUpdate(BaseModel):
    """New YAML for a draft."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=1_000_000)
    note: str | None = Field(default=None, max_length=500)
    base_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="the source_sha256 of the draft as it was opened: the save is refused "
        "(409 draft_changed) when someone saved the draft since",
    )


class SourceIn(BaseModel):
    """YAML to validate without storing it."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=1_000_000)


class RollbackIn(BaseModel):
    """Which published version to make live again (default: the one before the live version)."""

    model_config = ConfigDict(extra="forbid")
    version: VersionNumber | None = None


class FlagIn(BaseModel):
    """Switch a flow flag for new calls; null returns to the flow's default."""

    model_config = ConfigDict(extra="forbid")
    value: bool | None


class CallerProfileIn(BaseModel):
    """What the centre knows about a calling number."""

    model_config = ConfigDict(extra="forbid")
    elderly: bool = False
    vip: bool = False
    note: str = Field(default="", max_length=500)


def _public(row: store.FlowVersionRow) -> VersionPublic:
    return VersionPublic(**{k: getattr(row, k) for k in VersionPublic.model_fields})


def _detail(row: store.FlowVersionRow) -> VersionDetail:
    return VersionDetail(**{k: getattr(row, k) for k in VersionDetail.model_fields})


def _validation(issues: list[Any]) -> dict[str, Any]:
    return {"valid": not issues, "issues": [i.as_dict() for i in issues]}


@router.get("/flows", response_model=list[VersionPublic])
async def list_versions(_: Admin, ivr: Ivr) -> list[VersionPublic]:
    """Every version of the pack, newest first."""
    return [_public(r) for r in await asyncio.to_thread(ivr.catalog.versions)]


@router.get("/flows/{version}", response_model=VersionDetail)
async def get_version(version: VersionPath, _: Admin, ivr: Ivr) -> VersionDetail:
    """One version with its YAML."""
    return _detail(await asyncio.to_thread(ivr.catalog.version, version))


@router.post("/flows", response_model=VersionDetail, status_code=201)
async def create_draft(body: DraftCreate, me: Admin, ivr: Ivr) -> VersionDetail:
    """Start a draft from YAML or from an existing version."""
    row = await asyncio.to_thread(
        lambda: ivr.catalog.create_draft(
            source=body.source, base=body.base, author=me.user_id, note=body.note
        )
    )
    await asyncio.to_thread(
        audit.log_draft_created, ivr.catalog, me, row, base=body.base, copied=body.source is None
    )
    return _detail(row)


@router.put("/flows/{version}", response_model=VersionDetail)
async def edit_draft(version: VersionPath, body: DraftUpdate, me: Admin, ivr: Ivr) -> VersionDetail:
    """Replace a draft's YAML (published versions are frozen; with ``base_sha256``, a draft saved by
    someone else since it was opened is refused with 409 draft_changed)."""
    before = await asyncio.to_thread(ivr.catalog.version, version)
    row = await asyncio.to_thread(
        lambda: ivr.catalog.edit_draft(
            version, source=body.source, note=body.note, base_sha256=body.base_sha256
        )
    )
    await asyncio.to_thread(audit.draft_saved, ivr.catalog.sessions, me, row, before=before.source)
    return _detail(row)


@router.post("/flows/{version}/validate")
async def validate_version(version: VersionPath, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """The validator's verdict on a stored version."""
    row = await asyncio.to_thread(ivr.catalog.version, version)
    return _validation(await asyncio.to_thread(ivr.catalog.issues, row.source))


@router.post("/validate")
async def validate_source(body: SourceIn, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """The validator's verdict on YAML that is not stored."""
    return _validation(await asyncio.to_thread(ivr.catalog.issues, body.source))


@router.post("/flows/{version}/publish", response_model=VersionPublic)
async def publish(version: VersionPath, me: Admin, ivr: Ivr) -> VersionPublic:
    """Make a version live for new calls; refused with every issue when invalid."""
    previous = await asyncio.to_thread(audit.live_row, ivr.catalog)
    await ivr.publish(version, by=me.user_id)
    row = await asyncio.to_thread(ivr.catalog.version, version)
    await asyncio.to_thread(
        audit.made_live, ivr.catalog.sessions, me, row, previous=previous, action="publish"
    )
    return _public(row)


@router.post("/rollback", response_model=VersionPublic)
async def rollback(body: RollbackIn, me: Admin, ivr: Ivr) -> VersionPublic:
    """Make an earlier published version live again."""
    previous = await asyncio.to_thread(audit.live_row, ivr.catalog)
    pack = await asyncio.to_thread(lambda: ivr.catalog.rollback(to=body.version, by=me.user_id))
    row = await asyncio.to_thread(ivr.catalog.version, pack.version)
    await asyncio.to_thread(
        audit.made_live, ivr.catalog.sessions, me, row, previous=previous, action="rollback"
    )
    return _public(row)


@router.get("/flows/{old}/diff/{new}")
async def diff(old: VersionPath, new: VersionPath, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """Unified diff of two versions' YAML."""
    return {"from": old, "to": new, "diff": await asyncio.to_thread(ivr.catalog.diff, old, new)}


@router.post("/dry-run")
async def dry_run(body: DryRunRequest, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """The path a scripted call takes through a version (default: the live one)."""
    return dict(await ivr.dry_run(body))


@router.put("/prompts/{prompt_id:path}")
@body_limit(MAX_UPLOAD_BYTES)
async def upload_prompt(
    prompt_id: str,
    request: Request,
    me: Admin,
    ivr: Ivr,
    kind: Annotated[str | None, Query(alias="format", pattern=r"^[a-z0-9-]{2,10}$")] = None,
) -> dict[str, Any]:
    """Replace a prompt with a recording (any format sox reads); stored as 8 kHz mono 16-bit WAV."""
    data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        raise IvrError(
            "prompt_upload_too_large", "the upload is too large", {"limit": MAX_UPLOAD_BYTES}, status_code=413
        )
    before = await asyncio.to_thread(file_facts, ivr.sounds_dir, prompt_id)
    path = await ivr.upload_prompt(prompt_id, data, kind=kind)
    after = await asyncio.to_thread(file_facts, ivr.sounds_dir, prompt_id)
    await asyncio.to_thread(
        lambda: audit.prompt_changed(
            ivr.catalog.sessions, me, prompt_id, action="prompt_upload", before=before, after=after
        )
    )
    return {"prompt": prompt_id, "file": f"zh/hotline/{prompt_id}.wav", "bytes": path.stat().st_size}


@router.get("/flags")
async def get_flags(_: Admin, ivr: Ivr) -> dict[str, Any]:
    """The live flow's flags: defaults and admin overrides."""
    live = await asyncio.to_thread(ivr.catalog.live)
    overrides = await asyncio.to_thread(ivr.catalog.flags)
    return {"defaults": dict(live.main.flags), "overrides": overrides}


@router.put("/flags/{flag}")
async def set_flag(
    flag: Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], body: FlagIn, _: Admin, ivr: Ivr
) -> dict[str, bool]:
    """Switch a flag for every new call (e.g. the emergency announcement, surge seats)."""
    return await asyncio.to_thread(ivr.catalog.set_flag, flag, body.value)


@router.put("/callers/{number}")
async def put_caller(
    number: Annotated[str, Path(pattern=r"^\+?[0-9]{3,20}$")], body: CallerProfileIn, _: Admin, ivr: Ivr
) -> dict[str, Any]:
    """Mark a number as elderly (straight to a person) or VIP."""
    await asyncio.to_thread(
        lambda: store.upsert_caller_profile(
            ivr.catalog.sessions, number=number, elderly=body.elderly, vip=body.vip, note=body.note
        )
    )
    return {"number": number, **body.model_dump()}
