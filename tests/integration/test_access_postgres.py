"""Who may see citizens' data (tests/access_contract.py) on the real PostgreSQL server, and the read
audit's append-only trigger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline.db.engine import make_engine, migrate, session_factory
from privacy.audit import Read, record_read
from tests.access_contract import AccessContract
from tests.pg import scratch_database
from tests.read_audit_migration import check_ids_survive_the_move

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]


class TestPostgresAccess(AccessContract):
    """Every contract test on its own scratch database, dropped afterwards."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        """A fresh, empty database."""
        with scratch_database("hotline_access") as url:
            yield url


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE read_audit SET user_id = 'x'",
        "DELETE FROM read_audit",
        "TRUNCATE read_audit CASCADE",
        "UPDATE read_audit_objects SET object_id = 'x'",
        "DELETE FROM read_audit_objects",
        "TRUNCATE read_audit_objects",
    ],
)
def test_read_audit_refuses_update_delete_and_truncate(statement: str) -> None:
    with scratch_database("hotline_audit") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            read = Read(
                user_id="1001",
                role="agent",
                action="work_orders.list",
                object_id=None,
                objects=("o-1",),
                client="",
            )
            record_read(session_factory(engine), read)
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM read_audit")).scalar_one() == 1
                assert conn.execute(text("SELECT count(*) FROM read_audit_objects")).scalar_one() == 1
        finally:
            engine.dispose()


def test_audited_ids_survive_the_move_to_their_own_table() -> None:
    with scratch_database("hotline_audit_move") as url:
        check_ids_survive_the_move(url)
