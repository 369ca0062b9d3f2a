"""Centre-wide settings and switches for supervisors (``/api/supervisor/...``; supervisors and admins).

- ``GET queue-settings``: the thresholds of the supervisor's queues (``acd/queues.yaml``), the pause
  reasons agents may choose (the ACD policy), the KPIs' service-level threshold and time zone: what the
  supervisor page colours, offers and labels.
- ``GET switches``: surge mode and the emergency notice as they are now.
- ``PUT switches/surge``: surge mode is two switches turned together: the ACD's surge seats (each queue's
  ``surge_skills`` join at once) and the call flow's ``surge`` flag (new callers asking for a person go to
  the surge queue). ``on`` reports both; ``acd`` and ``ivr`` each one (an admin may flip the flag alone).
- ``PUT switches/emergency``: the flow's ``emergency_announcement`` flag and, with ``text``, the notice
  callers hear: spoken into the ``emergency_notice`` prompt like an admin's recording (kept over restarts),
  its text kept next to it; the live flow's own text brings the generated prompt back.

Every change is a step of the supervision log (``agent_id`` empty: it concerns the whole centre).

The ACD's surge seats are state of each app node's ACD; the flag lives in the database. The switch sets
both on the node that served the request; every node's ``supervisor.surge_follower`` turns its seats to
the flag within seconds (other app nodes, and any node after a restart).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from acd.events import SurgeMode
from acd.service import AcdService
from acd.thresholds import thresholds_public
from hotline.body_limit import body_limit
from ivr import prompts
from ivr.errors import IvrError
from ivr.service import IvrService
from supervisor import store
from supervisor.api import Service, Supervising
from supervisor.errors import SupervisorError
from supervisor.kpis import KpiSettings
from supervisor.schemas import PRINTABLE
from supervisor.service import Actor

router = APIRouter(prefix="/api/supervisor", tags=["supervisor"])
BODY_LIMIT = 4096
SURGE_FLAG = "surge"
EMERGENCY_FLAG = "emergency_announcement"
EMERGENCY_PROMPT = "emergency_notice"
NOTICE_MAX_CHARS = 200


class SurgeUpdate(BaseModel):
    """Surge mode on or off."""

    model_config = ConfigDict(extra="forbid")
    on: bool


class EmergencyUpdate(BaseModel):
    """The emergency notice on or off, and optionally the text callers hear from now on."""

    model_config = ConfigDict(extra="forbid")
    on: bool
    text: str | None = Field(default=None, min_length=1, max_length=NOTICE_MAX_CHARS, pattern=PRINTABLE)


def _ivr(request: Request) -> IvrService:
    ivr: IvrService | None = getattr(request.app.state, "ivr", None)
    if ivr is None:
        raise SupervisorError("ivr_unavailable", "the IVR is not running in this process", status_code=503)
    return ivr


def _acd(request: Request) -> AcdService:
    acd: AcdService = request.app.state.desktop.acd
    return acd


Ivr = Annotated[IvrService, Depends(_ivr)]
Acd = Annotated[AcdService, Depends(_acd)]


@router.get("/queue-settings")
async def queue_settings(actor: Supervising, service: Service, acd: Acd, request: Request) -> dict[str, Any]:
    """Thresholds of the supervisor's queues, the pause reasons agents may choose, and the KPIs' service
    level threshold and time zone (the centre's day)."""
    mine = await service.queues_of(actor.principal)
    queues = [q for name, q in sorted(acd.engine.queues.items()) if name in mine]
    kpis: KpiSettings = getattr(request.app.state, "kpi_settings", None) or KpiSettings()
    return {
        "queues": [{"queue": q.name, "thresholds": thresholds_public(q.thresholds)} for q in queues],
        "pause_reasons": list(acd.engine.policy.pause_reasons),
        "service_level_s": kpis.service_level_s,
        "timezone": kpis.timezone,
    }


@router.get("/switches")
async def switches(_: Supervising, ivr: Ivr, acd: Acd) -> dict[str, Any]:
    """Surge mode and the emergency notice as they are now."""
    return await _state(ivr, acd)


@router.put("/switches/surge")
@body_limit(BODY_LIMIT)
async def set_surge(
    body: SurgeUpdate, actor: Supervising, ivr: Ivr, acd: Acd, request: Request
) -> dict[str, Any]:
    """Turn the ACD's surge seats and the call flow's surge flag on or off together."""
    await _set_flag(ivr, SURGE_FLAG, body.on)
    acd.submit(SurgeMode(on=body.on))
    await _log(request, actor, "surge_on" if body.on else "surge_off", "")
    return await _state(ivr, acd)


@router.put("/switches/emergency")
@body_limit(BODY_LIMIT)
async def set_emergency(
    body: EmergencyUpdate, actor: Supervising, ivr: Ivr, acd: Acd, request: Request
) -> dict[str, Any]:
    """Switch the emergency notice for new callers; a new ``text`` is spoken into its prompt first."""
    text = None if body.text is None else body.text.strip()
    if text == "":
        raise SupervisorError("notice_text_empty", "the notice text is empty", status_code=422)
    if text is not None and text != await asyncio.to_thread(_notice_text, ivr):
        await asyncio.to_thread(_speak_notice, ivr, text)
    await _set_flag(ivr, EMERGENCY_FLAG, body.on)
    await _log(request, actor, "emergency_on" if body.on else "emergency_off", text or "")
    return await _state(ivr, acd)


async def _state(ivr: IvrService, acd: AcdService) -> dict[str, Any]:
    flags = await asyncio.to_thread(_flags, ivr)
    surge_acd = bool(acd.engine.routing.surge)
    surge_ivr = flags.get(SURGE_FLAG, False)
    text = await asyncio.to_thread(_notice_text, ivr)
    return {
        "surge": {"on": surge_acd and surge_ivr, "acd": surge_acd, "ivr": surge_ivr},
        "emergency": {"on": flags.get(EMERGENCY_FLAG, False), "text": text},
    }


def emergency_state(ivr: IvrService) -> dict[str, Any]:
    """The emergency notice as new callers get it: ``on`` and its ``text`` (blocking: database reads)."""
    return {"on": _flags(ivr).get(EMERGENCY_FLAG, False), "text": _notice_text(ivr)}


def set_emergency_notice(ivr: IvrService, *, on: bool, text: str | None) -> None:
    """Speak a new ``text`` into the notice's prompt (when it differs) and switch the notice for new
    callers, as ``PUT switches/emergency`` does (blocking; SupervisorError when refused)."""
    if text is not None and text != _notice_text(ivr):
        _speak_notice(ivr, text)
    try:
        ivr.catalog.set_flag(EMERGENCY_FLAG, on)
    except IvrError as exc:
        raise SupervisorError(
            exc.error_id, exc.message, status_code=exc.status_code, details=exc.details
        ) from exc


def surge_flag_of(ivr: IvrService) -> bool:
    """The call flow's surge flag as new calls see it (blocking: a database read)."""
    return _flags(ivr).get(SURGE_FLAG, False)


def _flags(ivr: IvrService) -> dict[str, bool]:
    """The live flow's flags as new calls see them (defaults with overrides applied)."""
    return {**ivr.catalog.live().main.flags, **ivr.catalog.flags()}


async def _set_flag(ivr: IvrService, flag: str, value: bool) -> None:
    try:
        await asyncio.to_thread(ivr.catalog.set_flag, flag, value)
    except IvrError as exc:
        raise SupervisorError(
            exc.error_id, exc.message, status_code=exc.status_code, details=exc.details
        ) from exc


def _text_file(ivr: IvrService) -> Path:
    prompt = prompts.prompt_file(ivr.sounds_dir, EMERGENCY_PROMPT)
    return prompt.with_name(f".{EMERGENCY_PROMPT}.text")


def _flow_text(ivr: IvrService) -> str:
    return ivr.catalog.live().main.prompts.get(EMERGENCY_PROMPT, "")


def _notice_text(ivr: IvrService) -> str:
    """The text of the notice callers hear: the one set here, else the live flow's."""
    try:
        return _text_file(ivr).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return _flow_text(ivr)


def _speak_notice(ivr: IvrService, text: str) -> None:
    """Speak ``text`` into the notice's prompt (installed as a recording: kept over restarts); the live
    flow's own text goes back to the prompt generated from the flow (regenerated as the flow changes)."""
    if text == _flow_text(ivr):
        _text_file(ivr).unlink(missing_ok=True)
        prompts.prompt_file(ivr.sounds_dir, EMERGENCY_PROMPT).unlink(missing_ok=True)
        _spoken(lambda: prompts.ensure_prompts(ivr.sounds_dir, {EMERGENCY_PROMPT: text}))
        return
    _spoken(lambda: _install_spoken(ivr, text))
    target = _text_file(ivr)
    partial = target.with_suffix(".partial")
    partial.write_text(text + "\n", encoding="utf-8")
    partial.replace(target)


def _install_spoken(ivr: IvrService, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spoken = Path(tmp) / "notice.wav"
        prompts.synthesise(text, spoken)
        prompts.install_upload(ivr.sounds_dir, EMERGENCY_PROMPT, spoken.read_bytes(), kind="wav")


def _spoken(speak: Callable[[], object]) -> None:
    try:
        speak()
    except (IvrError, OSError) as exc:
        raise SupervisorError(
            "notice_not_spoken", f"the notice could not be spoken: {exc}", status_code=502
        ) from exc


async def _log(request: Request, actor: Actor, action: str, detail: str) -> None:
    step = store.Step(
        supervisor_id=actor.user_id,
        role=str(actor.principal.role),
        action=action,
        agent_id="",
        detail=detail,
        client=actor.client,
    )
    await asyncio.to_thread(store.log_step, request.app.state.desktop.sessions, step)
