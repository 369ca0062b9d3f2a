"""Scratch PostgreSQL databases for tests and benchmarks: created under a unique name, dropped afterwards.

The server is the one ``HOTLINE_BENCH_POSTGRES_DSN`` names for benchmarks, else ``HOTLINE_TEST_POSTGRES_DSN``
(the tests' server), else PostgreSQL on loopback as user ``postgres``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

TEST_DSN = os.environ.get("HOTLINE_TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")
BENCH_DSN = os.environ.get("HOTLINE_BENCH_POSTGRES_DSN", TEST_DSN)


def url_of(admin_dsn: str, database: str) -> str:
    """The SQLAlchemy URL of ``database`` on ``admin_dsn``'s server (same user and password)."""
    params = conninfo_to_dict(admin_dsn)
    return URL.create(
        "postgresql+psycopg",
        username=str(params.get("user", "postgres")),
        password=str(params["password"]) if "password" in params else None,
        host=str(params.get("host", "127.0.0.1")),
        port=int(str(params.get("port", 5432))),
        database=database,
    ).render_as_string(hide_password=False)


@contextmanager
def scratch_database(prefix: str, *, admin_dsn: str = TEST_DSN) -> Iterator[str]:
    """Create a uniquely named database on ``admin_dsn``'s server, yield its URL, drop it afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url_of(admin_dsn, name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
