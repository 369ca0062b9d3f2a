"""``hotline retention run``: one run of the retention job on the configured database, its report as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory


def test_retention_run_dry_run_counts_then_run_anonymises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_RETENTION_CALLS_DAYS", "30")
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    old = datetime.now(UTC) - timedelta(days=31)
    repo.record_call_started(
        sessions, call_id="c-old", caller="13800138000", channel="PJSIP/t", dialed="12345", at=old
    )

    assert main(["retention", "run", "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    row = repo.get_call(sessions, call_id="c-old")
    assert row is not None
    assert (dry["dry_run"], dry["calls"], row.caller) == (True, 1, "13800138000")

    assert main(["retention", "run"]) == 0
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    row = repo.get_call(sessions, call_id="c-old")
    assert row is not None
    assert (done["dry_run"], done["calls"], row.caller, row.anonymised_at is not None) == (False, 1, "", True)
    engine.dispose()
