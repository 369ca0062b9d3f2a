"""One transcription job: a saved recording in, a ``done`` or ``failed`` transcript out.

The job reads the recording's row (nothing to do when it is no longer owed a transcript), finds its
file under the recordings root, decodes it and stores the text with its timed segments; a voice
message's text also goes into its work order (``recordings.transcript_voicemail``). Any error (file
gone or outside the root, audio that cannot be decoded, a model that does not load) marks that one
recording ``failed`` with the error and the worker goes on with the next.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.db.access import writing
from recordings.files import inside_root
from recordings.transcriber import Transcriber
from recordings.transcript_store import Owed, Sessions, owed_one, save_done, save_failed
from recordings.transcript_voicemail import add_note, missing_notes

log = logging.getLogger(__name__)

NOTE_LOOKBACK = timedelta(days=2)
"""How far back the sweep looks for voice messages whose order came after their transcript."""


class TranscriptionService:
    """Runs jobs by recording id; thread-safe (each job is its own transactions)."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        root: Path,
        transcriber: Transcriber,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.root = root
        self.transcriber = transcriber
        self.clock = clock
        self._lock = threading.Lock()
        self.finished: dict[str, int] = {"done": 0, "failed": 0, "skipped": 0}
        self.audio_s = 0.0

    def run(self, recording_id: str, *, retry_failed: bool = False) -> str:
        """Transcribe one recording if it is still owed one: ``done``, ``failed`` or ``skipped``."""
        job = owed_one(self.sessions, recording_id, retry_failed=retry_failed)
        outcome = "skipped" if job is None else self._run(job)
        with self._lock:
            self.finished[outcome] += 1
        return outcome

    def _run(self, job: Owed) -> str:
        started = time.perf_counter()
        engine = self.transcriber.engine
        try:
            path = inside_root(self.root, job.path)
            if path is None or not path.is_file():
                raise FileNotFoundError(f"recording file {job.path!r} not found under the recordings root")
            result = self.transcriber.transcribe(path)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("transcription of %s failed: %s", job.recording_id, error)
            wall = time.perf_counter() - started
            save_failed(self.sessions, job, error, engine=engine, wall_s=wall, now=self.clock())
            return "failed"
        wall = time.perf_counter() - started
        now = self.clock()
        with writing(self.sessions) as s:
            save_done(s, job, result, engine=engine, wall_s=wall, now=now)
            if job.kind == "voicemail":
                add_note(s, call_id=job.call_id, recording_id=job.recording_id, text=result.text, now=now)
        with self._lock:
            self.audio_s += result.audio_s
        return "done"

    def add_missing_notes(self) -> int:
        """Write the transcripts of voice messages into orders opened after them; how many."""
        now = self.clock()
        with writing(self.sessions) as s:
            missing = missing_notes(s, since=now - NOTE_LOOKBACK)
            return sum(
                add_note(s, call_id=call_id, recording_id=rec_id, text=text, now=now)
                for call_id, rec_id, text in missing
            )
