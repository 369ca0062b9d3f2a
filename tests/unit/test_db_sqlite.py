"""The database contract on SQLite (a file under ``tmp_path``), plus SQLite-only engine behaviour."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.db import repository as repo
from hotline.db.engine import SQLITE_BUSY_TIMEOUT_S, make_engine, migrate, normalise_url, session_factory
from tests.db_contract import DbContract, head_revisions, start

pytestmark = pytest.mark.timeout(60)


class TestSqliteContract(DbContract):
    """Every contract test, each on its own fresh SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A database file in a directory that does not exist yet."""
        return f"sqlite:///{tmp_path / 'state' / 'hotline.db'}"


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db:5432/hotline", "postgresql+psycopg"),
        ("postgres://u@db/hotline", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db/hotline", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalise_url_picks_psycopg_for_postgres(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


def test_given_new_file_when_engine_connects_then_wal_busy_timeout_and_foreign_keys_are_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a" / "b" / "hotline.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        engine.dispose()
    assert path.parent.is_dir()
    assert (journal, busy, fks) == ("wal", int(SQLITE_BUSY_TIMEOUT_S * 1000), 1)


def test_given_another_writer_holds_the_lock_when_writing_then_write_waits_instead_of_failing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hotline.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    sm = session_factory(engine)
    start(sm, "held")
    locked, hold_s = threading.Event(), 0.6

    def hold_write_lock() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE calls SET queue = 'held' WHERE call_id = 'held'")
        locked.set()
        time.sleep(hold_s)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    assert locked.wait(5)
    began = time.monotonic()
    repo.update_call(sm, call_id="held", ivr_keys="1")
    waited = time.monotonic() - began
    holder.join()
    row = repo.get_call(sm, call_id="held")
    engine.dispose()
    assert waited >= hold_s * 0.5
    assert row is not None
    assert (row.queue, row.ivr_keys) == ("held", "1")


def test_timestamps_are_stored_as_utc_text_readable_by_other_tools(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(url)
    engine = make_engine(url)
    start(session_factory(engine), "raw", at=datetime(2026, 3, 1, 8, 0, 1, tzinfo=UTC))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT entered_ivr_at FROM calls WHERE call_id = 'raw'")).scalar()
    engine.dispose()
    assert stored == "2026-03-01 08:00:01.000000"


def test_the_shipped_migrations_end_in_one_head(tmp_path: Path) -> None:
    """Parallel revisions are merged again (0009 and 0013 are merge points), so ``alembic upgrade head`` by
    hand works and the next revision has one parent to name."""
    assert head_revisions(f"sqlite:///{tmp_path / 'x.db'}") == {"0014_sms_notice_pending"}
