"""The transcription job queue: huey on Redis when the centre has one, in memory in the process otherwise.

Jobs are recording ids. ``enqueue_recording`` queues one (the recorder may call it when a file is
saved; it needs nothing else of this package), and a periodic sweep queues every saved recording
still owed a transcript, so nothing depends on that call: a recording saved while no worker ran, or
whose job was lost with a stopped process, is found again (at start-up and every ``sweep_s``).
A marker per queued id (huey's storage, with a time to live on Redis) keeps the sweep from queueing
an id twice while it waits; if a process dies mid-job the marker expires and the id is queued again.

Workers are threads of this process, one per configured core, each pulling from the queue with
huey's own worker loop (no signal handlers, so it runs inside the app or a CLI). On Redis the queue
is shared: any app node's workers may take a job (the recordings root must then be shared too).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from huey import MemoryHuey, RedisExpireHuey
from huey.consumer import Worker

from hotline.thread_work import finished_in_thread
from recordings.transcript_store import mark_queued, owed
from recordings.transcription import TranscriptionService

log = logging.getLogger(__name__)

QUEUED_TTL_S = 3600
"""How long a queued marker lives on Redis (an id whose job was lost is queued again after it)."""
SWEEP_BATCH = 500
_POLL_DELAY_S = 0.1
_MAX_POLL_DELAY_S = 2.0

_current: list[TranscriptionQueue] = []


def enqueue_recording(recording_id: str) -> bool:
    """Queue ``recording_id`` on this process's running transcription queue; False when none runs."""
    if not _current:
        return False
    return _current[-1].enqueue_recording(recording_id)


class TranscriptionQueue:
    """The queue, its worker threads and the sweep."""

    def __init__(
        self,
        service: TranscriptionService,
        *,
        workers: int,
        redis_url: str = "",
        name: str = "hotline:transcribe",
        sweep_s: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.service = service
        self.workers = max(0, workers)
        self.sweep_s = sweep_s
        self.clock = clock
        self.huey: Any = (
            RedisExpireHuey(name, url=redis_url, results=False, expire_time=QUEUED_TTL_S)
            if redis_url
            else MemoryHuey(name, results=False)
        )
        self._job = self.huey.task(name="transcribe_recording")(self._transcribe)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _marker(self, recording_id: str) -> str:
        return f"queued:{recording_id}"

    def _transcribe(self, recording_id: str) -> None:
        try:
            self.service.run(recording_id)
        finally:
            self.huey.storage.delete_data(self._marker(recording_id))

    def enqueue_recording(self, recording_id: str) -> bool:
        """Queue one recording unless it is already waiting; whether it was queued now."""
        ttl = QUEUED_TTL_S if isinstance(self.huey, RedisExpireHuey) else None
        if not self.huey.storage.put_if_empty(self._marker(recording_id), b"1", ttl=ttl):
            return False
        self._job(recording_id)
        return True

    def sweep(self) -> int:
        """Queue every saved recording still owed a transcript (pending ones included); how many."""
        queued = 0
        waiting = owed(self.service.sessions, limit=SWEEP_BATCH)
        mark_queued(self.service.sessions, waiting, engine=self.service.transcriber.engine, now=self.clock())
        for job in waiting:
            queued += self.enqueue_recording(job.recording_id)
        self.service.add_missing_notes()
        return queued

    def pending(self) -> int:
        """Jobs waiting in the queue (not counting those being decoded)."""
        return int(self.huey.pending_count())

    def start(self) -> None:
        """Start the worker threads (none when ``workers`` is 0: this node only queues)."""
        if self._threads:
            return
        self._stop.clear()
        for n in range(self.workers):
            worker = Worker(self.huey, self._stop, _POLL_DELAY_S, _MAX_POLL_DELAY_S, 1.5)
            thread = threading.Thread(target=self._work, args=(worker,), name=f"transcribe-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        _current.append(self)

    def _work(self, worker: Worker) -> None:
        worker.initialize()
        try:
            while not self._stop.is_set():
                worker.loop()
        except Exception:
            log.exception("transcription worker stopped")
        finally:
            worker.shutdown()

    async def run(self) -> None:
        """Sweep at once and then every ``sweep_s`` until cancelled (workers must be started)."""
        while True:
            try:
                found = await finished_in_thread(self.sweep)
                if found:
                    log.info("transcription: %d recordings queued", found)
            except Exception:
                log.exception("transcription sweep failed; next try in %.0f s", self.sweep_s)
            await asyncio.sleep(self.sweep_s)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and wait up to ``timeout`` for running decodes (a decode is not cut)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self in _current:
            _current.remove(self)
        pool = getattr(self.huey.storage, "pool", None)
        if pool is not None:
            pool.disconnect()
