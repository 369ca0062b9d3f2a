"""Dry runs for admins: "a call from 13800138000 at 22:00 on 2026-10-01 pressing 3 then 1" -> the path.

The caller profile comes from the request when given, else from the caller directory (as a live
call would see it); flags from the request override the stored admin switches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ivr.api_bounds import CallTime, VersionNumber
from ivr.callers import CallerDirectory
from ivr.catalog import LivePack
from ivr.errors import IvrError
from ivr.flow import (
    SHANGHAI,
    AskDigits,
    AskSpeech,
    CallerAttributes,
    FlowRunError,
    OpenWorkOrder,
    Play,
    default_calendar,
    dry_run,
)


class AttributesIn(BaseModel):
    """A caller profile given with the request."""

    model_config = ConfigDict(extra="forbid")

    elderly: bool = False
    repeat_caller: bool = False
    vip: bool = False
    open_work_orders: list[str] = Field(default_factory=list, max_length=20)


class DryRunRequest(BaseModel):
    """A scripted call: ``keys`` one entry per question (``"say:<option>"`` for a recognised keyword)."""

    model_config = ConfigDict(extra="forbid")

    caller: str = Field(pattern=r"^\+?[0-9]{1,20}$")
    at: CallTime
    keys: list[str] = Field(default_factory=list, max_length=100)
    version: VersionNumber | None = None
    attributes: AttributesIn | None = None
    flags: dict[str, bool] = Field(default_factory=dict)
    speech: bool = False


def _plain(value: object) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _outcome(value: object) -> dict[str, Any]:
    body = _plain(value)
    return {"type": type(value).__name__, **(body if isinstance(body, dict) else {})}


def _prompts(actions: tuple[object, ...]) -> list[str]:
    return [a.prompt for a in actions if isinstance(a, Play | AskDigits | AskSpeech)]


async def _attributes(request: DryRunRequest, directory: CallerDirectory, at: datetime) -> CallerAttributes:
    given = request.attributes
    if given is None:
        return await directory.lookup(request.caller, call_id="", now=at)
    return CallerAttributes(
        elderly=given.elderly,
        repeat_caller=given.repeat_caller,
        vip=given.vip,
        open_work_orders=tuple(OpenWorkOrder(n) for n in given.open_work_orders),
    )


async def run_dry(
    request: DryRunRequest, *, pack: LivePack, directory: CallerDirectory, stored_flags: Mapping[str, bool]
) -> dict[str, Any]:
    """Run the pack's interpreter for the scripted call; a JSON-ready description of what happened."""
    at = request.at if request.at.tzinfo else request.at.replace(tzinfo=SHANGHAI)
    attributes = await _attributes(request, directory, at)
    try:
        result = dry_run(
            pack.main,
            pack.flows,
            caller=request.caller,
            at=at,
            keys=request.keys,
            attributes=attributes,
            calendar=default_calendar(),
            flags={**stored_flags, **request.flags},
            speech_available=request.speech,
        )
    except FlowRunError as exc:
        raise IvrError(exc.error_id, exc.message, {"version": pack.version}, status_code=422) from exc
    return {
        "version": pack.version,
        "flow_version": pack.label,
        "path": [{"flow": s.flow_id, "node": s.node_id, "inputs": list(s.inputs)} for s in result.path],
        "outcome": _outcome(result.outcome),
        "tags": list(result.tags),
        "variables": dict(result.variables),
        "prompts": _prompts(result.actions),
        "survey": _plain(result.survey),
        "unused_keys": list(result.unused_keys),
        "attributes": _plain(attributes),
    }
