"""The admin change log's contract (tests/admin_audit_contract.py) on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.admin_audit_contract import AdminAuditContract


class TestSqliteAdminAudit(AdminAuditContract):
    """Each test on its own SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """A fresh database file."""
        return f"sqlite:///{tmp_path / 'audit.db'}"
