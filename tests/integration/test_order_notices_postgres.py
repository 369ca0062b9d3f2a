"""The order-notice contract on the real PostgreSQL server, in this session's scratch database."""

from __future__ import annotations

import pytest

from tests.integration.test_db_postgres import _empty_schema, _url, scratch_db
from tests.order_notices_contract import OrderNoticesContract

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

__all__ = ["scratch_db"]


class TestPostgresOrderNotices(OrderNoticesContract):
    """Every order-notice contract test against PostgreSQL."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema."""
        _empty_schema(scratch_db)
        return _url(scratch_db)
