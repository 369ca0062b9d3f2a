"""Files recordings left ``recording`` by an app process that stopped before their calls ended.

A row stays ``recording`` when the process that started its MixMonitor is gone before the file closed
(restart, crash). Asterisk still closes the file when the call ends. This pass, run at start and then
every few minutes on every app node, files each such row whose spool file is closed, exactly as the
live recording would (move into the root, duration, size, SHA-256). A file still open belongs to a
call under way, perhaps another node's: it is left alone. Rows whose file is absent are left too
(another node's spool may be mounted elsewhere); they keep saying ``recording``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recordings import files
from recordings.files import Spools
from recordings.store import Sessions, close_recording, unfiled_recordings

log = logging.getLogger(__name__)

MIN_AGE = timedelta(seconds=30)
EVERY_S = 300.0


def recover_once(sm: Sessions, *, root: Path, spools: Spools, now: datetime | None = None) -> int:
    """File every closed leftover; the number filed."""
    filed = 0
    for row in unfiled_recordings(sm, before=(now or datetime.now(UTC)) - MIN_AGE):
        spool = spools.of(row.node)
        source = None if spool is None else spool / files.spool_name(row.recording_id)
        if source is None or not files.is_closed_wav(source):
            continue
        target = files.move_into_root(source, root, row.path)
        close_recording(
            sm,
            recording_id=row.recording_id,
            ended_at=datetime.now(UTC),
            duration_s=files.duration_s(target),
            size=target.stat().st_size,
            sha256=files.sha256_of(target),
        )
        filed += 1
    return filed


async def recover_periodically(sm: Sessions, *, root: Path, spools: Spools) -> None:
    """Run :func:`recover_once` now and every EVERY_S seconds until cancelled."""
    while True:
        try:
            filed = await asyncio.to_thread(recover_once, sm, root=root, spools=spools)
            if filed:
                log.warning("filed %d recordings left open by an earlier process", filed)
        except Exception:
            log.exception("recovering unfiled recordings failed; trying again later")
        await asyncio.sleep(EVERY_S)
