"""The caller-history contract (tests/caller_history_contract.py) on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.caller_history_contract import CallerHistoryContract
from tests.pg import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]


class TestPostgresCallerHistory(CallerHistoryContract):
    """Every contract test on its own scratch database, dropped afterwards."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        """A fresh, empty database."""
        with scratch_database("hotline_history") as url:
            yield url
