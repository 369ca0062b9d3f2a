"""The IVR's per-call reads contract (tests/call_start_contract.py) on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.call_start_contract import CallStartContract
from tests.pg import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]


class TestPostgresCallStart(CallStartContract):
    """Every contract test on its own scratch database, dropped afterwards."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        """A fresh, empty database."""
        with scratch_database("hotline_call_start") as url:
            yield url
