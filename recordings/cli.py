"""``hotline recordings verify``: every saved recording checked against its stored size and SHA-256."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hotline.settings import Settings


def add_recordings_parser(sub: Any) -> None:
    """Add the ``recordings`` command to the CLI's subparsers."""
    recordings = sub.add_parser("recordings", help="check the recordings store")
    recordings.add_argument("action", choices=["verify"])


def cmd_recordings(settings: Settings, args: argparse.Namespace) -> int:
    """Verify every saved file; one JSON line per problem, then a summary line; 1 when any problem."""
    from hotline.db.engine import make_engine, migrate, session_factory
    from recordings.files import recordings_root
    from recordings.verify import verify_recordings

    url = settings.resolved_database_url()
    migrate(url)
    engine = make_engine(url)
    try:
        report = verify_recordings(session_factory(engine), recordings_root(settings))
    finally:
        engine.dispose()
    for p in report.problems:
        line = {"recording_id": p.recording_id, "path": p.path, "problem": p.problem}
        print(json.dumps(line | {"expected": p.expected, "found": p.found}, ensure_ascii=False))
    print(json.dumps({"checked": report.checked, "problems": len(report.problems)}))
    return 1 if report.problems else 0
