"""Engines, sessions and schema migration for SQLite (embedded) and PostgreSQL (scaled out).

SQLite runs in WAL mode with a busy timeout, foreign keys on, and SQLAlchemy (not the ``sqlite3``
module) emitting ``BEGIN``: a transaction started with the ``WRITE_OPTION`` execution option begins
with ``BEGIN IMMEDIATE``, so a writer waits for the lock up front instead of failing with "database
is locked" when it upgrades a read lock. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

__all__ = [
    "MIGRATIONS_DIR",
    "SQLITE_BUSY_TIMEOUT_S",
    "WRITE_OPTION",
    "alembic_config",
    "dispose_when_returned",
    "make_engine",
    "migrate",
    "normalise_url",
    "session_factory",
]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
WRITE_OPTION = "hotline_write"
_MIGRATION_LOCK_KEY = 0x686F746C696E65


def normalise_url(url: str) -> URL:
    """Parse ``url``; plain ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file its parent directory is created."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # PostgreSQL's JIT compiles each larger aggregate afresh (~350 ms on a one-week KPI query, more than
    # the query itself); the centre's queries are short and many, so the app's connections run without it.
    return create_engine(parsed, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


async def dispose_when_returned(engine: Engine, *, wait_s: float) -> None:
    """Close the engine's pooled connections once the worker threads still reading or writing have given
    theirs back, waiting at most ``wait_s`` (a connection out at ``dispose`` would go back to the discarded
    pool and be dropped unclosed later). Pools that keep no count (SQLite in memory) are left as they are."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return
    for _ in range(max(1, round(wait_s / 0.05))):
        if not pool.checkedout():
            break
        await asyncio.sleep(0.05)
    else:
        log.error("%d database connections still in use at stop; closing the others", pool.checkedout())
    engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the migrations shipped in this package (no ini file)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Upgrade the schema at ``url`` to the newest revision; a no-op when it is current.

    Runs in one transaction that first takes a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
    lock on PostgreSQL), so several processes starting at once migrate exactly once.
    """
    engine = make_engine(url)
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    finally:
        engine.dispose()


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
