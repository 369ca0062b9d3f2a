"""The recordings store on SQLite and PostgreSQL: rows opened and closed, ``hotline recordings verify``
finding changed, cut and lost files, and retention deleting expired files and marking their rows."""

from __future__ import annotations

import json
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.cli import main
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from privacy.retention import RetentionPolicy, run_retention
from recordings import files
from recordings.recover import recover_once
from recordings.store import (
    Opened,
    Sessions,
    claim_recordings,
    close_recording,
    next_segment,
    open_recordings,
    recordings_of_call,
)
from recordings.verify import verify_recordings
from tests.pg import scratch_database

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rec.db'}"
        migrate(url)
        yield url
        return
    with scratch_database("hotline_rec") as url:
        migrate(url)
        yield url


@pytest.fixture
def sessions(db_url: str) -> Iterator[Sessions]:
    """Sessions on the database."""
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def _wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * int(8000 * seconds))


def _record(
    sessions: Sessions, root: Path, call_id: str, at: datetime, seconds: float = 2.0
) -> dict[str, str]:
    """A call with a saved pair of files under ``root``, as the live recording leaves it."""
    repo.record_call_started(
        sessions, call_id=call_id, caller="13800138000", channel="PJSIP/t", dialed="12345", at=at
    )
    paths: dict[str, str] = {}
    opened = []
    for side in ("caller", "agent"):
        rec_id = files.recording_id(call_id, 0, side)
        paths[side] = files.root_path(rec_id, at)
        opened.append(
            Opened(
                recording_id=rec_id,
                call_id=call_id,
                node="",
                side=side,
                segment=0,
                agent_id="ag1",
                path=paths[side],
                started_at=at,
            )
        )
    open_recordings(sessions, opened)
    for side, relative in paths.items():
        target = root / relative
        _wav(target, seconds)
        close_recording(
            sessions,
            recording_id=files.recording_id(call_id, 0, side),
            ended_at=at + timedelta(seconds=seconds),
            duration_s=files.duration_s(target),
            size=target.stat().st_size,
            sha256=files.sha256_of(target),
        )
    return paths


def test_given_saved_recordings_when_files_change_then_verify_names_each_problem(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    a = _record(sessions, root, "call-a", NOW)
    b = _record(sessions, root, "call-b", NOW)
    rows = recordings_of_call(sessions, "call-a")
    assert [(r.side, r.status, r.duration_s) for r in rows] == [
        ("caller", "saved", 2.0),
        ("agent", "saved", 2.0),
    ]
    call = repo.get_call(sessions, call_id="call-a")
    assert call is not None
    assert call.recording_path == a["caller"]
    assert verify_recordings(sessions, root).problems == []

    changed = root / a["caller"]
    data = bytearray(changed.read_bytes())
    data[100] ^= 0xFF
    changed.write_bytes(bytes(data))
    with (root / a["agent"]).open("ab") as f:
        f.write(b"\0\0")
    (root / b["caller"]).unlink()
    report = verify_recordings(sessions, root)
    assert report.checked == 4
    assert {(p.recording_id, p.problem) for p in report.problems} == {
        ("call-a-0-caller", "sha256"),
        ("call-a-0-agent", "size"),
        ("call-b-0-caller", "absent"),
    }


def test_given_a_missing_file_when_closed_then_the_row_is_missing_and_not_verified(
    sessions: Sessions, tmp_path: Path
) -> None:
    rec_id = files.recording_id("call-m", 0, "caller")
    opened = Opened(
        recording_id=rec_id,
        call_id="call-m",
        node="n1",
        side="caller",
        segment=0,
        agent_id=None,
        path="x.wav",
        started_at=NOW,
    )
    open_recordings(sessions, [opened])
    close_recording(sessions, recording_id=rec_id, ended_at=NOW, duration_s=None, size=None, sha256=None)
    assert [r.status for r in recordings_of_call(sessions, "call-m")] == ["missing"]
    assert verify_recordings(sessions, tmp_path).checked == 0


def test_given_old_and_new_recordings_when_retention_runs_then_only_old_files_go_and_rows_are_marked(
    sessions: Sessions, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    old = _record(sessions, root, "call-old", NOW - timedelta(days=200))
    new = _record(sessions, root, "call-new", NOW - timedelta(days=10))
    policy = RetentionPolicy(recordings_days=180)
    dry = run_retention(sessions, policy, now=NOW, dry_run=True, recordings_root=root)
    assert (dry.recordings_due, dry.recordings_deleted) == (1, 0)
    assert (root / old["caller"]).exists()

    report = run_retention(sessions, policy, now=NOW, recordings_root=root)
    assert (report.recordings_due, report.recordings_deleted) == (1, 2)
    assert not (root / old["caller"]).exists()
    assert not (root / old["agent"]).exists()
    assert (root / new["caller"]).exists()
    assert [r.status for r in recordings_of_call(sessions, "call-old")] == ["deleted", "deleted"]
    assert [r.status for r in recordings_of_call(sessions, "call-new")] == ["saved", "saved"]
    old_call = repo.get_call(sessions, call_id="call-old")
    assert old_call is not None
    assert old_call.recording_path is None
    assert verify_recordings(sessions, root).problems == []
    again = run_retention(sessions, policy, now=NOW, recordings_root=root)
    assert (again.recordings_due, again.recordings_deleted) == (0, 0)


def test_recordings_verify_command_exits_1_and_prints_the_changed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    root = tmp_path / "root"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_RECORDINGS_DIR", str(root))
    migrate(url)
    engine = make_engine(url)
    paths = _record(session_factory(engine), root, "call-cli", NOW)
    engine.dispose()
    assert main(["recordings", "verify"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"checked": 2, "problems": 0}

    (root / paths["agent"]).write_bytes((root / paths["agent"]).read_bytes()[:-2] + b"\x7f\x7f")
    assert main(["recordings", "verify"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[-1] == {"checked": 2, "problems": 1}
    assert (lines[0]["recording_id"], lines[0]["problem"]) == ("call-cli-0-agent", "sha256")


def test_given_rows_left_recording_when_recovered_then_closed_files_are_filed_and_open_ones_left(
    sessions: Sessions, tmp_path: Path
) -> None:
    spool, root = tmp_path / "spool", tmp_path / "root"
    started = NOW - timedelta(minutes=5)
    opened = [
        Opened(
            recording_id=files.recording_id(call, 0, "caller"),
            call_id=call,
            node="ast2",
            side="caller",
            segment=0,
            agent_id="ag1",
            path=files.root_path(files.recording_id(call, 0, "caller"), started),
            started_at=started,
        )
        for call in ("closed", "open", "absent", "later")
    ]
    open_recordings(sessions, opened)
    _wav(spool / files.spool_name("closed-0-caller"), 1.5)
    _wav(spool / files.spool_name("open-0-caller"), 1.0)
    with (spool / files.spool_name("open-0-caller")).open("ab") as f:
        f.write(b"\0" * 320)
    _wav(spool / files.spool_name("later-0-caller"), 1.0)
    spools = files.Spools({"ast2": spool})
    assert recover_once(sessions, root=root, spools=spools, now=started + timedelta(seconds=10)) == 0
    assert recover_once(sessions, root=root, spools=spools, now=NOW) == 2
    states = {c: recordings_of_call(sessions, c)[0] for c in ("closed", "open", "absent", "later")}
    assert {c: r.status for c, r in states.items()} == {
        "closed": "saved",
        "open": "recording",
        "absent": "recording",
        "later": "saved",
    }
    assert states["closed"].duration_s == 1.5
    assert states["closed"].sha256 == files.sha256_of(root / states["closed"].path)
    assert not (spool / files.spool_name("closed-0-caller")).exists()
    assert (spool / files.spool_name("open-0-caller")).exists()


def test_given_two_nodes_claiming_the_same_fallback_segment_then_only_the_first_wins(
    sessions: Sessions,
) -> None:
    repo.record_call_started(
        sessions, call_id="fb", caller="13800138000", channel="PJSIP/t", dialed="12345", at=NOW
    )
    assert next_segment(sessions, "fb") == 0

    def rows(segment: int) -> list[Opened]:
        base = f"fb-fallback-node1-1700000000.{segment}"
        return [
            Opened(
                recording_id=files.recording_id(base, segment, side),
                call_id="fb",
                node="ast1",
                side=side,
                segment=segment,
                agent_id=None,
                path=files.root_path(files.recording_id(base, segment, side), NOW),
                started_at=NOW,
            )
            for side in ("caller", "agent")
        ]

    assert claim_recordings(sessions, rows(0))
    assert not claim_recordings(sessions, rows(0))
    assert next_segment(sessions, "fb") == 1
    assert [r.status for r in recordings_of_call(sessions, "fb")] == ["recording", "recording"]
    call = repo.get_call(sessions, call_id="fb")
    assert call is not None
    assert call.recording_path == rows(0)[0].path
