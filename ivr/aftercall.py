"""FastAGI routes that run after the menu: the post-call survey and the recorded-message notice.

``survey``: the agent hung up and Bridge option F sent the caller to ``[hotline-after]``. The survey
node comes from the flow version the call ran (``HOTLINE_FLOW_VERSION``), the live one if unknown;
the score (or None when the caller gave none) is published as ``call.survey``.

``message``: the dialplan recorded a message (``Record()``) and passes the file and the record
status as arguments; it runs from the ``h`` extension too, so it needs no live channel. It publishes
``call.message`` with the host path of the recording, which becomes a work order downstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from hotline.fastagi.server import AgiError, AgiHangup, AgiSession
from ivr.catalog import LivePack, parse_label
from ivr.flow import AskDigits, Finish, SurveyNode, SurveyResult, SurveyRun, Timeout
from ivr.runtime import IvrDeps

log = logging.getLogger(__name__)

THANKS_PROMPT = "survey_thanks"


class SurveyRoute:
    """FastAGI route ``survey``."""

    def __init__(self, deps: IvrDeps) -> None:
        self.deps = deps

    async def _pack(self, label: str | None) -> LivePack:
        parsed = parse_label(label or "")
        catalog = self.deps.catalog
        if parsed is not None and parsed[0] == catalog.pack_id:
            try:
                return await asyncio.to_thread(catalog.pack, parsed[1])
            except Exception:
                log.warning("flow version %s is gone; surveying with the live version", label)
        return await asyncio.to_thread(catalog.live)

    async def __call__(self, session: AgiSession) -> None:
        """Ask the five-level question and publish the answer."""
        label = await session.get_variable("HOTLINE_FLOW_VERSION")
        pack = await self._pack(label)
        node_id = pack.main.post_call_survey
        node = pack.main.nodes.get(node_id) if node_id else None
        if not isinstance(node, SurveyNode):
            return
        player = self.deps.player(session)
        survey = SurveyRun(node)
        action: AskDigits | Finish = survey.start()
        while isinstance(action, AskDigits):
            got = await player.ask_digits(action)
            action = survey.feed(Timeout() if isinstance(got, Timeout) else got)
        result = survey.result or SurveyResult(score=None)
        self.deps.bus.publish(
            "call.survey",
            {
                "call_id": session.uniqueid,
                "score": result.score,
                "key": result.key,
                "flow_version": label or pack.label,
                "at": time.time(),
            },
        )
        if result.score is not None:
            with contextlib.suppress(AgiHangup, AgiError):
                await player.play(THANKS_PROMPT)


class MessageRoute:
    """FastAGI route ``message``: arguments are the recording (inside the Asterisk root) and its status."""

    def __init__(self, deps: IvrDeps) -> None:
        self.deps = deps

    async def __call__(self, session: AgiSession) -> None:
        """Publish ``call.message`` for the recording."""
        chroot_path = session.args[0] if session.args else ""
        status = session.args[1] if len(session.args) > 1 else ""
        host = self.deps.host_path(chroot_path) if chroot_path else None
        exists = host is not None and await asyncio.to_thread(host.exists)
        self.deps.bus.publish(
            "call.message",
            {
                "call_id": session.uniqueid,
                "caller": session.caller_id,
                "path": str(host) if host else "",
                "recorded": exists,
                "status": status,
                "callback": (await _variable(session, "HOTLINE_CALLBACK")) == "1",
                "tags": [t for t in (await _variable(session, "HOTLINE_TAGS") or "").split(",") if t],
                "flow_version": await _variable(session, "HOTLINE_FLOW_VERSION") or "",
                "at": time.time(),
            },
        )


async def _variable(session: AgiSession, name: str) -> str | None:
    """A channel variable, or None when the channel is already gone and refuses commands."""
    try:
        return await session.get_variable(name)
    except (AgiHangup, AgiError):
        return None
