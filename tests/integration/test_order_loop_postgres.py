"""The order-loop contract on the real PostgreSQL server, in this session's scratch database.

Uses the scratch database of ``tests.integration.test_db_postgres`` (``HOTLINE_TEST_POSTGRES_DSN``);
each test starts from an empty schema.
"""

from __future__ import annotations

import pytest

from tests.duplicates_contract import DuplicatesContract
from tests.integration.test_db_postgres import _empty_schema, _url, scratch_db
from tests.order_loop_centre_contract import OrderLoopCentreContract
from tests.order_loop_contract import OrderLoopContract

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

__all__ = ["scratch_db"]


class TestPostgresOrderLoop(OrderLoopContract, OrderLoopCentreContract, DuplicatesContract):
    """Every order-loop contract test against PostgreSQL."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema."""
        _empty_schema(scratch_db)
        return _url(scratch_db)
