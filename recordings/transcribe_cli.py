"""``hotline transcribe --since DATE``: transcribe the saved recordings still owed a transcript, here and now.

Runs the same job queue as the centre, in this process (one worker per core unless ``--workers``),
over the recordings that started on or after DATE (a Beijing calendar day; every recording when
left out), oldest first, in batches, with a progress bar on standard error. ``--retry-failed`` takes
the failed ones again. Ends with one JSON line: how many were done, failed or skipped (transcribed
meanwhile by the centre), the audio seconds and the wall time. Exit status 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime
from typing import Any

from hotline.settings import Settings
from tickets.vocab import BEIJING

BATCH = 200


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def add_transcribe_parser(sub: Any) -> None:
    """Add the ``transcribe`` command to the CLI's subparsers."""
    cmd = sub.add_parser("transcribe", help="transcribe saved recordings that have no transcript yet")
    cmd.add_argument("--since", type=_day, default=None, help="first day (YYYY-MM-DD, Beijing time)")
    cmd.add_argument("--workers", type=int, default=0, help="worker threads (default: one per core)")
    cmd.add_argument("--retry-failed", action="store_true", help="also take recordings that failed before")


def cmd_transcribe(settings: Settings, args: argparse.Namespace) -> int:
    """Backfill; a JSON summary line; 1 when any recording failed."""
    from tqdm import tqdm

    from hotline.db.engine import make_engine, migrate, session_factory
    from recordings.files import recordings_root
    from recordings.jobs import TranscriptionQueue
    from recordings.transcriber import WhisperTranscriber
    from recordings.transcription import TranscriptionService
    from recordings.transcription_wiring import worker_count

    since = None if args.since is None else datetime.combine(args.since, datetime.min.time(), BEIJING)
    workers = args.workers if args.workers > 0 else worker_count(settings) or 1
    url = settings.resolved_database_url()
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    transcriber = WhisperTranscriber(settings.cache_dir, parallel=workers)
    service = TranscriptionService(sessions=sessions, root=recordings_root(settings), transcriber=transcriber)
    queue = TranscriptionQueue(service, workers=workers)
    started = time.perf_counter()
    queue.start()
    try:
        with tqdm(desc="转写录音", unit="个", dynamic_ncols=True) as bar:
            _backfill(queue, service, bar, since=since, retry_failed=args.retry_failed)
    finally:
        queue.stop()
        engine.dispose()
    summary = dict(service.finished) | {
        "audio_s": round(service.audio_s, 1),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))
    return 1 if service.finished["failed"] else 0


def _backfill(queue: Any, service: Any, bar: Any, *, since: datetime | None, retry_failed: bool) -> None:
    from recordings.transcript_store import owed

    tried: set[str] = set()
    while True:
        batch = [
            o.recording_id
            for o in owed(service.sessions, since=since, limit=BATCH + len(tried), retry_failed=retry_failed)
            if o.recording_id not in tried
        ][:BATCH]
        if not batch:
            return
        tried.update(batch)
        bar.total = (bar.total or 0) + len(batch)
        bar.refresh()
        target = sum(service.finished.values()) + len(batch)
        for recording_id in batch:
            if not queue.enqueue_recording(recording_id):
                target -= 1
        while (finished := sum(service.finished.values())) < target:
            bar.n = finished
            bar.refresh()
            time.sleep(0.2)
        bar.n = sum(service.finished.values())
        bar.refresh()
