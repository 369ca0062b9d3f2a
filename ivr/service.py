"""The IVR as the centre runs it: the flow catalog, prompts, speech, caller directory and FastAGI routes.

Start-up seeds the shipped pack as version 1 (first start only), generates every prompt of the live
pack and of the runtime, and loads the speech model in the background. Publishing generates the new
version's prompts before the version goes live, so no call ever asks for a missing file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hotline.bus import EventBus
from hotline.fastagi.session import AgiSession
from ivr import prompts
from ivr.aftercall import MessageRoute, SurveyRoute
from ivr.call_start import DbCallStarts
from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog, LivePack
from ivr.dryrun_view import DryRunRequest, run_dry
from ivr.flow import default_calendar
from ivr.order_status import OrderStatusTeller
from ivr.player import HostPath, identity_path
from ivr.revisit_route import REVISIT_PROMPTS
from ivr.runtime import FlowRoute, IvrDeps
from ivr.speech import SpeechEngine

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]


def pack_prompt_texts(pack: LivePack) -> dict[str, str]:
    """Prompt id -> text for every flow of the pack, the runtime's own prompts and the revisit call's."""
    texts: dict[str, str] = {}
    for flow in pack.flows.values():
        texts.update(flow.prompts)
    return texts | dict(prompts.RUNTIME_PROMPTS) | dict(REVISIT_PROMPTS)


class IvrService:
    """Builds and runs the IVR parts of one centre."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        bus: EventBus,
        sounds_dir: Path,
        clock: Callable[[], datetime],
        known_queues: AbstractSet[str] | None = None,
        host_path: HostPath = identity_path,
        speech: SpeechEngine | None = None,
        max_wait_s: float | None = None,
    ) -> None:
        self.sounds_dir = sounds_dir
        self.catalog = FlowCatalog(
            sessions=sessions,
            known_queues=known_queues,
            recorded=lambda prompt: prompts.has_recording(sounds_dir, prompt),
        )
        self.speech = speech
        directory = DbCallerDirectory(sessions)
        self.deps = IvrDeps(
            bus=bus,
            catalog=self.catalog,
            starts=DbCallStarts(sessions=sessions, catalog=self.catalog, directory=directory),
            directory=directory,
            clock=clock,
            calendar=default_calendar(),
            speech=self.speech,
            host_path=host_path,
            max_wait_s=max_wait_s,
            order_status=OrderStatusTeller(sessions=sessions, sounds_dir=sounds_dir).answer,
        )
        self._loading: asyncio.Task[bool] | None = None

    def routes(self) -> dict[str, AgiHandler]:
        """FastAGI routes by name: ``ivr``, ``survey`` and ``message``."""
        return {
            "ivr": FlowRoute(self.deps),
            "survey": SurveyRoute(self.deps),
            "message": MessageRoute(self.deps),
        }

    async def start(self) -> None:
        """Seed the pack, generate the live prompts, start loading the speech model."""
        live = await asyncio.to_thread(self._seed)
        await asyncio.to_thread(self._generate_quietly, live)
        if self.speech is not None:
            self._loading = asyncio.create_task(self.speech.load_in_background())
            return
        spoken = [n for f in live.flows.values() for n, node in f.nodes.items() if node.type == "speech_menu"]
        if spoken:
            log.warning("speech menus off (HOTLINE_SPEECH_ENGINE): speech menus %s take DTMF only", spoken)

    async def speech_ready(self) -> bool:
        """Wait for the speech model to finish loading; whether it is usable."""
        if self._loading is not None:
            await self._loading
        return self.speech is not None and self.speech.available

    async def close(self) -> None:
        """Wait for background loading to end (a worker thread cannot be cancelled)."""
        if self._loading is not None:
            with contextlib.suppress(Exception):
                await self._loading

    def _seed(self) -> LivePack:
        self.catalog.seed(before_live=self._generate_quietly)
        return self.catalog.live()

    def _generate_quietly(self, pack: LivePack) -> None:
        try:
            self._generate(pack)
        except (prompts.PromptError, OSError) as exc:
            log.error("prompts of version %s not generated (%s)", pack.label, exc)

    def _generate(self, pack: LivePack) -> None:
        prompts.ensure_prompts(self.sounds_dir, pack_prompt_texts(pack))

    async def publish(self, version: int, *, by: str) -> LivePack:
        """Validate, generate the version's prompts, then make it live."""
        return await asyncio.to_thread(self.catalog.publish, version, by=by, before_live=self._generate)

    async def upload_prompt(self, prompt_id: str, data: bytes, *, kind: str | None) -> Path:
        """Install an admin recording for ``prompt_id``."""
        return await asyncio.to_thread(prompts.install_upload, self.sounds_dir, prompt_id, data, kind=kind)

    async def dry_run(self, request: DryRunRequest) -> Mapping[str, Any]:
        """Where a scripted call would go (see ``ivr.dryrun_view``)."""
        if request.version is None:
            pack = await asyncio.to_thread(self.catalog.live)
        else:
            pack = await asyncio.to_thread(self.catalog.pack, request.version)
        flags = await asyncio.to_thread(self.catalog.flags)
        return await run_dry(request, pack=pack, directory=self.deps.directory, stored_flags=flags)
