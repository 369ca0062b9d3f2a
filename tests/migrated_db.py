"""A migrated database for contract test classes; the runner class supplies the ``db_url`` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.engine import make_engine, migrate, session_factory


class MigratedDatabase:
    """Gives contract tests ``sm``: the session factory of the migrated database at ``db_url``."""

    @pytest.fixture
    def sm(self, db_url: str) -> Iterator[sessionmaker[Session]]:
        """A migrated database's session factory."""
        migrate(db_url)
        engine = make_engine(db_url)
        yield session_factory(engine)
        engine.dispose()
