"""Scratch PostgreSQL databases for tests, on the server named by ``HOTLINE_TEST_POSTGRES_DSN``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench import scratch_pg

ADMIN_DSN = scratch_pg.TEST_DSN


@contextmanager
def scratch_database(prefix: str = "hotline_test") -> Iterator[str]:
    """Create a uniquely named database, yield its SQLAlchemy URL, drop it afterwards."""
    with scratch_pg.scratch_database(prefix, admin_dsn=ADMIN_DSN) as url:
        yield url
