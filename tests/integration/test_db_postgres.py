"""The database contract on the real PostgreSQL server, in a scratch database made for this session.

The server is reached with ``HOTLINE_TEST_POSTGRES_DSN`` (a libpq conninfo string for an existing
database; default: the local server, user ``postgres``, database ``test``). A uniquely named
database is created for the session and dropped at its end; each test starts from an empty schema.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

from hotline.db.engine import migrate
from tests.db_contract import DbContract

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

ADMIN_DSN = os.environ.get("HOTLINE_TEST_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def _url(dbname: str) -> str:
    params = conninfo_to_dict(ADMIN_DSN)
    url = URL.create(
        "postgresql",
        username=str(params.get("user", "postgres")),
        password=str(params["password"]) if "password" in params else None,
        host=str(params.get("host", "127.0.0.1")),
        port=int(str(params.get("port", 5432))),
        database=dbname,
    )
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def scratch_db() -> Iterator[str]:
    """The name of a database that exists only for this test session."""
    name = f"hotline_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _scratch_conninfo(dbname: str) -> str:
    params = conninfo_to_dict(ADMIN_DSN) | {"dbname": dbname}
    return " ".join(f"{k}={v}" for k, v in params.items())


def _empty_schema(dbname: str) -> None:
    with psycopg.connect(_scratch_conninfo(dbname), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


class TestPostgresContract(DbContract):
    """Every contract test against PostgreSQL, each on an emptied schema."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema, as a plain ``postgresql://`` URL."""
        _empty_schema(scratch_db)
        return _url(scratch_db)


def test_given_migrated_db_then_timestamps_are_timestamptz_and_caller_index_serves_prefix_search(
    scratch_db: str,
) -> None:
    _empty_schema(scratch_db)
    migrate(_url(scratch_db))
    with psycopg.connect(_scratch_conninfo(scratch_db)) as conn:
        types: dict[str, str] = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'calls' AND column_name LIKE '%_at'"
            ).fetchall()
        )
        index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_calls_caller'").fetchone()
    assert set(types.values()) == {"timestamp with time zone"}
    assert len(types) == 6, "entered_ivr, queued, offered, answered, ended, anonymised"
    assert index is not None
    assert "text_pattern_ops" in index[0]
