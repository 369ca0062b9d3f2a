"""Builds the transcription queue of a centre (called by the composition root).

The queue is on Redis (``HOTLINE_REDIS_URL``, shared by the app nodes) when the centre has one and
in this process otherwise; ``HOTLINE_TRANSCRIBE_WORKERS`` threads decode here (one per core by
default) and the sweep runs every ``HOTLINE_TRANSCRIBE_SWEEP_SECONDS``; recorded voice messages are
registered as voicemail recordings and queued as they come. The routes are on the app.
"""

from __future__ import annotations

import os

from hotline.bus import EventBus
from hotline.settings import Settings
from recordings.files import recordings_root
from recordings.jobs import TranscriptionQueue
from recordings.transcriber import WhisperTranscriber
from recordings.transcript_store import Sessions
from recordings.transcription import TranscriptionService
from recordings.transcription_messages import VoiceMessages


def worker_count(settings: Settings) -> int:
    """The configured workers: ``transcribe_workers``, or one per core when it is negative."""
    if settings.transcribe_workers < 0:
        return os.cpu_count() or 1
    return settings.transcribe_workers


def install_transcription(settings: Settings, sessions: Sessions) -> TranscriptionQueue:
    """The centre's queue (``start()``, then ``run()`` as a task; ``stop()`` at the end)."""
    workers = worker_count(settings)
    transcriber = WhisperTranscriber(settings.cache_dir, parallel=max(1, workers))
    service = TranscriptionService(sessions=sessions, root=recordings_root(settings), transcriber=transcriber)
    return TranscriptionQueue(
        service,
        workers=workers,
        redis_url=settings.redis_url,
        name=f"{settings.redis_prefix}:transcribe",
        sweep_s=max(1.0, settings.transcribe_sweep_seconds),
    )


def install_voice_messages(
    settings: Settings, bus: EventBus, sessions: Sessions, queue: TranscriptionQueue
) -> VoiceMessages:
    """The listener that turns recorded voice messages into queued voicemail recordings (``run()``)."""
    return VoiceMessages(
        bus=bus, sessions=sessions, root=recordings_root(settings), enqueue=queue.enqueue_recording
    )
