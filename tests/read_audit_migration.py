"""The move of audited ids from ``read_audit.objects`` to ``read_audit_objects`` (migration 0006) keeps
every id of reads recorded before it; shared by the SQLite and PostgreSQL tests."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from hotline.db.engine import alembic_config, make_engine, migrate, session_factory
from privacy.audit import ReadQuery, query_reads

OLD_READ = (
    "INSERT INTO read_audit (at, user_id, role, action, object_id, objects, client) "
    "VALUES ('2026-12-06 08:00:00', '1001', 'agent', 'work_orders.list', NULL, ' o-1 o-2 ', '10.0.0.9')"
)


def check_ids_survive_the_move(url: str) -> None:
    """Migrate to 0005, record a read the old way, migrate to the newest, find it by each id."""
    command.upgrade(alembic_config(url), "0005_privacy")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(OLD_READ))
        migrate(url)
        sessions = session_factory(engine)
        for object_id in ("o-1", "o-2"):
            found = query_reads(sessions, ReadQuery(object_id=object_id))
            assert [(r.user_id, r.objects, r.client) for r in found] == [("1001", ("o-1", "o-2"), "10.0.0.9")]
    finally:
        engine.dispose()
