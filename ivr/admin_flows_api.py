"""Routes the flow editor of the admin console needs beyond the flow API (``ivr.api``).

- ``POST /api/admin/flows/check``: the validator's findings on YAML being edited, each with its line,
  and the flows as graphs (nodes, edges, findings on nodes) when the text loads.
- ``GET /api/admin/flows/changes/{old}/{new}``: what going from one version to another changes (nodes and
  fields), with the unified diff, for the publish and rollback confirmations.
- ``GET /api/admin/flows/prompts``: the prompts of a version (default: live), which flows play each, files.
- ``GET /api/admin/flows/prompts/{id}/audio``: the prompt's WAV file, to listen to.
- ``POST /api/admin/flows/prompts/{id}/generate``: speak the prompt with the TTS (audited).

Admins only (``ivr.api.Admin``); errors in the uniform body.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from ivr import admin_flow_audit as audit
from ivr import admin_flow_prompts as flow_prompts
from ivr import prompts
from ivr.admin_flow_changes import pack_changes
from ivr.admin_flow_graph import pack_graph
from ivr.admin_flow_lines import with_lines
from ivr.api import Admin, Ivr, IvrErrors, SourceIn, VersionPath
from ivr.api_bounds import VersionNumber
from ivr.catalog import LivePack
from ivr.errors import IvrError
from ivr.service import IvrService

router = APIRouter(prefix="/api/admin/flows", tags=["admin"], route_class=IvrErrors)
PromptPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$")]


class GenerateIn(BaseModel):
    """Speak a prompt: the text of ``version`` (default: live) for it, or ``text`` of the admin's own."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    version: VersionNumber | None = None


async def _pack(ivr: IvrService, version: int | None) -> LivePack:
    if version is None:
        return await asyncio.to_thread(ivr.catalog.live)
    return await asyncio.to_thread(ivr.catalog.pack, version)


def _check(ivr: IvrService, source: str) -> dict[str, Any]:
    issues = ivr.catalog.issues(source)
    try:
        flows = ivr.catalog.parse(source)
    except IvrError:
        flows = {}
    found = with_lines(source, issues, flows)
    return {"valid": not issues, "issues": found, "flows": pack_graph(flows, found)}


@router.post("/check")
async def check(body: SourceIn, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """Findings with lines, and the graphs of the flows that load."""
    return await asyncio.to_thread(_check, ivr, body.source)


@router.get("/changes/{old}/{new}")
async def changes(old: VersionPath, new: VersionPath, _: Admin, ivr: Ivr) -> dict[str, Any]:
    """What replacing version ``old`` by ``new`` changes, node by node, and the YAML diff."""
    before, after = await _pack(ivr, old), await _pack(ivr, new)
    diff = await asyncio.to_thread(ivr.catalog.diff, old, new)
    return {"from": old, "to": new, "changes": pack_changes(before.flows, after.flows), "diff": diff}


@router.get("/prompts")
async def list_prompts(
    _: Admin, ivr: Ivr, version: Annotated[VersionNumber | None, Query()] = None
) -> dict[str, Any]:
    """The prompts of a version with their users and files."""
    pack = await _pack(ivr, version)
    listed = await asyncio.to_thread(flow_prompts.prompt_list, pack, ivr.sounds_dir)
    return {"version": pack.version, "prompts": listed}


@router.get("/prompts/{prompt_id:path}/audio", response_class=FileResponse)
async def prompt_audio(prompt_id: PromptPath, _: Admin, ivr: Ivr) -> FileResponse:
    """The prompt's 8 kHz WAV file."""
    target = prompts.prompt_file(ivr.sounds_dir, prompt_id)
    if not await asyncio.to_thread(target.exists):
        raise IvrError(
            "prompt_not_found", f"prompt {prompt_id!r} has no file", {"prompt": prompt_id}, status_code=404
        )
    return FileResponse(target, media_type="audio/wav", headers={"Cache-Control": "no-store"})


@router.post("/prompts/{prompt_id:path}/generate")
async def generate_prompt(prompt_id: PromptPath, body: GenerateIn, me: Admin, ivr: Ivr) -> dict[str, Any]:
    """Speak the prompt with the TTS; logged with the text and the file before and after."""
    pack = await _pack(ivr, body.version)
    own = flow_prompts.flow_text(pack, prompt_id)
    text = body.text or own
    if not text:
        raise IvrError(
            "prompt_text_missing",
            f"prompt {prompt_id!r} has no text in version {pack.version}; give one",
            {"prompt": prompt_id, "version": pack.version},
            status_code=422,
        )
    before = await asyncio.to_thread(flow_prompts.file_facts, ivr.sounds_dir, prompt_id)
    await asyncio.to_thread(flow_prompts.generate, ivr.sounds_dir, prompt_id, text, own_text=text == own)
    after = await asyncio.to_thread(flow_prompts.file_facts, ivr.sounds_dir, prompt_id)
    await asyncio.to_thread(
        lambda: audit.prompt_changed(
            ivr.catalog.sessions,
            me,
            prompt_id,
            action="prompt_generate",
            before=before,
            after={**after, "text": text},
        )
    )
    return {"prompt": prompt_id, "text": text, "file": after}
