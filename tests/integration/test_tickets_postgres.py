"""The work-order repository contract on the real PostgreSQL server, in this session's scratch database.

Uses the scratch database of ``tests.integration.test_db_postgres`` (``HOTLINE_TEST_POSTGRES_DSN``);
each test starts from an empty schema.
"""

from __future__ import annotations

import psycopg
import pytest

from hotline.db.engine import make_engine, migrate, session_factory
from tests.integration.test_db_postgres import _empty_schema, _scratch_conninfo, _url, scratch_db
from tests.knowledge_contract import KnowledgeContract
from tests.request_keys_contract import RequestKeysContract
from tests.tickets_contract import TicketsContract
from tickets import knowledge
from tickets.models import PG_SEARCH_INDEX

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

__all__ = ["scratch_db"]


class TestPostgresTickets(TicketsContract, KnowledgeContract, RequestKeysContract):
    """Every ticket contract test against PostgreSQL."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema."""
        _empty_schema(scratch_db)
        return _url(scratch_db)


def test_given_migrated_db_then_knowledge_search_uses_the_gin_index(scratch_db: str) -> None:
    _empty_schema(scratch_db)
    url = _url(scratch_db)
    migrate(url)
    engine = make_engine(url)
    try:
        knowledge.add_article(session_factory(engine), title="供暖费用", body="缴纳方式", created_by="admin")
    finally:
        engine.dispose()
    with psycopg.connect(_scratch_conninfo(scratch_db)) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            "EXPLAIN SELECT id FROM knowledge_articles WHERE search_vector @@ to_tsquery('simple', '供暖')"
        ).fetchall()
        terms = conn.execute("SELECT title_terms FROM knowledge_articles").fetchone()
    assert PG_SEARCH_INDEX in " ".join(str(line[0]) for line in plan)
    assert terms == ("供暖 暖费 费用",)
