"""The admin change log's contract (tests/admin_audit_contract.py) on PostgreSQL, where the log is
append-only: UPDATE, DELETE and TRUNCATE of ``admin_changes`` are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.admin_audit_contract import AdminAuditContract, PostgresOnlyAuditContract
from tests.pg import scratch_database

pytestmark = pytest.mark.postgres


class TestPostgresAdminAudit(AdminAuditContract, PostgresOnlyAuditContract):
    """Each test in a scratch database of its own."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        """A fresh scratch database."""
        with scratch_database("hotline_audit") as url:
            yield url
