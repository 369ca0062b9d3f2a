"""The deadline checker's contract (tests/checker_contract.py) on the real PostgreSQL server, each test
in a scratch database of its own (``HOTLINE_TEST_POSTGRES_DSN``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.checker_contract import CheckerContract
from tests.checker_marks_contract import CheckerMarksContract
from tests.pg import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


class TestPostgresChecker(CheckerContract, CheckerMarksContract):
    """Every contract test against PostgreSQL."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        """A fresh scratch database."""
        with scratch_database("hotline_checker") as url:
            yield url
