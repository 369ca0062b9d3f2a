"""Scratch PostgreSQL databases for tests, on the server named by ``HOTLINE_TEST_POSTGRES_DSN``."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

ADMIN_DSN = os.environ.get("HOTLINE_TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


@contextmanager
def scratch_database(prefix: str = "hotline_test") -> Iterator[str]:
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(ADMIN_DSN)
    url = URL.create(
        "postgresql+psycopg",
        username=str(params.get("user", "postgres")),
        password=str(params["password"]) if "password" in params else None,
        host=str(params.get("host", "127.0.0.1")),
        port=int(str(params.get("port", 5432))),
        database=name,
    ).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
