"""Deletes recording files past the retention period (privacy.retention's ``recordings_days``).

A recording whose call entered the centre before the cutoff loses its file; its row stays, marked
``deleted`` (who was recorded when stays for statistics and the audit), and the call's
``recording_path`` is cleared. A file already gone counts as deleted too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.db.models import Call
from recordings.files import inside_root
from recordings.models import Recording

log = logging.getLogger(__name__)

KEPT = ("saved", "missing")


def delete_expired(s: Session, root: Path, cutoff: datetime) -> int:
    """Within the caller's transaction: delete the files of recordings started before ``cutoff`` and
    mark them ``deleted``; the number of rows marked."""
    rows = s.execute(
        select(Recording.recording_id, Recording.path, Recording.call_id).where(
            Recording.started_at < cutoff, Recording.status.in_(KEPT)
        )
    ).all()
    for _, relative, _ in rows:
        path = inside_root(root, relative)
        if path is not None:
            path.unlink(missing_ok=True)
        else:
            log.error("recording path %r is outside the root; row marked deleted, nothing removed", relative)
    ids = [r[0] for r in rows]
    calls = sorted({r[2] for r in rows})
    for start in range(0, len(ids), 500):
        s.execute(
            update(Recording)
            .where(Recording.recording_id.in_(ids[start : start + 500]))
            .values(status="deleted")
        )
    for start in range(0, len(calls), 500):
        s.execute(
            update(Call).where(Call.call_id.in_(calls[start : start + 500])).values(recording_path=None)
        )
    return len(ids)
