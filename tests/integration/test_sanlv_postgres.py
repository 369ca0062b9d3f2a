"""The 三率 contract (tests/sanlv_contract.py) on the real PostgreSQL server, in this session's scratch
database (``tests.integration.test_db_postgres``); each test starts from an empty schema."""

from __future__ import annotations

import pytest

from tests.integration.test_db_postgres import _empty_schema, _url, scratch_db
from tests.sanlv_contract import SanlvContract

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

__all__ = ["scratch_db"]


class TestPostgresSanlv(SanlvContract):
    """Every 三率 contract test against PostgreSQL."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema."""
        _empty_schema(scratch_db)
        return _url(scratch_db)
