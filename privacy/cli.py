"""``hotline retention run [--dry-run]``: one run of the retention job, its report as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hotline.settings import Settings


def add_retention_parser(sub: Any) -> None:
    """Add the ``retention`` command to the CLI's subparsers."""
    retention = sub.add_parser("retention", help="anonymise personal data past its retention period")
    retention.add_argument("action", choices=["run"])
    retention.add_argument("--dry-run", action="store_true", help="only count what would be anonymised")


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    """Run the job once on the configured database (migrated first) and print its report."""
    from hotline.db.engine import make_engine, migrate, session_factory
    from privacy.retention import RetentionPolicy, run_retention
    from recordings.files import recordings_root

    url = settings.resolved_database_url()
    migrate(url)
    engine = make_engine(url)
    try:
        root = recordings_root(settings)
        report = run_retention(
            session_factory(engine), RetentionPolicy(), dry_run=args.dry_run, recordings_root=root
        )
    finally:
        engine.dispose()
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0
