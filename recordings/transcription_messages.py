"""Voice messages (留言) become saved ``voicemail`` recordings, so that they are transcribed.

The IVR records a message with the dialplan's ``Record()`` and publishes ``call.message`` with the
file's path on this host (``ivr.aftercall``); the message intake opens its work order from the same
event. This listener copies the file into the recordings root (the original stays where the order
says it is) as ``<day>/<call>-0-voicemail.wav``, stores a ``recordings`` row (kind ``voicemail``, side
``caller``, status ``saved`` with duration, bytes and sha256) and queues it; its transcript then goes
into the order (``recordings.transcript_voicemail``). An empty or missing recording is skipped; the
same message seen twice is stored once.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotline.bus import EventBus
from hotline.db.access import insert, writing
from recordings.files import duration_s, recording_id, root_path, sha256_of
from recordings.models import Recording
from recordings.transcript_store import Sessions

log = logging.getLogger(__name__)

TOPIC = "call.message"


class VoiceMessages:
    """Registers every recorded voice message of ``call.message`` and queues its transcription."""

    def __init__(
        self, *, bus: EventBus, sessions: Sessions, root: Path, enqueue: Callable[[str], bool]
    ) -> None:
        self.sessions = sessions
        self.root = root
        self.enqueue = enqueue
        self._sub = bus.subscribe(TOPIC, maxsize=10_000)

    async def run(self) -> None:
        """Register messages until cancelled."""
        try:
            while True:
                event = await self._sub.get()
                if event.topic != TOPIC:
                    continue
                try:
                    await asyncio.to_thread(self.register, event.data)
                except Exception:
                    log.exception("voice message of call %s not registered", event.data.get("call_id"))
        finally:
            self._sub.close()

    def register(self, message: Mapping[str, Any]) -> str | None:
        """Store and queue one message; its recording id, or None when there is nothing to keep."""
        source = Path(str(message.get("path") or ""))
        call_id = str(message.get("call_id") or "")
        if not call_id or not message.get("recorded") or not source.is_file() or duration_s(source) <= 0:
            return None
        at = datetime.fromtimestamp(float(message.get("at") or 0) or datetime.now(UTC).timestamp(), UTC)
        rec_id = recording_id(call_id, 0, "voicemail")
        relative = root_path(rec_id, at)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o640)
        row = {
            "recording_id": rec_id,
            "call_id": call_id,
            "node": "",
            "kind": "voicemail",
            "side": "caller",
            "segment": 0,
            "agent_id": None,
            "path": relative,
            "started_at": at,
            "ended_at": at,
            "duration_s": round(duration_s(target), 3),
            "bytes": target.stat().st_size,
            "sha256": sha256_of(target),
            "status": "saved",
        }
        with writing(self.sessions) as s:
            s.execute(
                insert(s)(Recording).values(row).on_conflict_do_nothing(index_elements=["recording_id"])
            )
        self.enqueue(rec_id)
        return rec_id
