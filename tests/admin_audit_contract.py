"""The admin change log's contract (admin.audit), shared by the SQLite and PostgreSQL runners: changes
are listed newest first with their filters, long values are cut to their columns, diffs show what
changed; PostgreSQL refuses to change or delete a recorded row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Executable, delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from admin.audit import MAX_DIFF_CHARS, Change, json_diff, list_changes, record_change, unified_diff
from admin.models import AdminChange
from tests.migrated_db import MigratedDatabase

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def change(area: str, object_id: str, action: str = "update", **extra: str) -> Change:
    """A change by admin ``boss``."""
    return Change(user_id="boss", role="admin", area=area, object_id=object_id, action=action, **extra)


class AdminAuditContract(MigratedDatabase):
    """Needs ``db_url`` from the runner."""

    def test_given_changes_when_listed_then_newest_first_and_filtered(
        self, sm: sessionmaker[Session]
    ) -> None:
        a = record_change(sm, change("agent", "1001", "create"), now=T0)
        b = record_change(sm, change("directory", "police"), now=T0 + timedelta(minutes=1))
        c = record_change(sm, change("agent", "1001", "disable"), now=T0 + timedelta(minutes=2))
        d = record_change(sm, change("agent", "1002", "create"), now=T0 + timedelta(minutes=2))
        assert [r.id for r in list_changes(sm)] == [d, c, b, a]
        assert [r.id for r in list_changes(sm, area="agent")] == [d, c, a]
        assert [r.id for r in list_changes(sm, area="agent", object_id="1001")] == [c, a]
        assert [r.id for r in list_changes(sm, since=T0 + timedelta(minutes=1))] == [d, c, b]
        assert [r.id for r in list_changes(sm, limit=1)] == [d]
        first = list_changes(sm, object_id="police")[0]
        assert (first.at, first.user_id, first.role, first.action) == (
            T0 + timedelta(minutes=1),
            "boss",
            "admin",
            "update",
        )

    def test_given_long_values_when_recorded_then_cut_to_their_columns_and_kept_whole_otherwise(
        self, sm: sessionmaker[Session]
    ) -> None:
        diff = "+" + "长" * (MAX_DIFF_CHARS + 10)
        record_change(sm, change("flow", "x" * 300, summary="说" * 600, diff=diff, client="c" * 100), now=T0)
        row = list_changes(sm)[0]
        assert (len(row.object_id), len(row.summary), len(row.diff), len(row.client)) == (
            200,
            500,
            MAX_DIFF_CHARS,
            64,
        )
        assert row.diff == diff[:MAX_DIFF_CHARS]

    def test_given_two_values_when_diffed_then_only_the_changed_lines_are_marked(self) -> None:
        before = {"name": "张三", "skills": {"general": 3}, "extension": "1001"}
        after = {"name": "张三", "skills": {"general": 5}, "extension": "1001"}
        lines = json_diff(before, after, name="agent/1001").splitlines()
        assert [line for line in lines if line.startswith(("+", "-"))] == [
            "--- a/agent/1001",
            "+++ b/agent/1001",
            '-    "general": 3',
            '+    "general": 5',
        ]
        created = json_diff(None, {"id": "x"})
        assert '+  "id": "x"' in created.splitlines()
        assert not any(line.startswith("-") and not line.startswith("---") for line in created.splitlines())
        assert unified_diff("a\n", "a\n") == ""


class PostgresOnlyAuditContract:
    """What only PostgreSQL enforces: the trigger of migration 0011 (needs ``sm``)."""

    @pytest.mark.parametrize("statement", ["update", "delete", "truncate"])
    def test_given_a_recorded_change_when_changed_or_deleted_then_refused_and_kept(
        self, sm: sessionmaker[Session], statement: str
    ) -> None:
        record_change(sm, change("agent", "1001", "create", summary="原样"), now=T0)
        queries: dict[str, Executable] = {
            "update": update(AdminChange).values(summary="改过"),
            "delete": delete(AdminChange),
            "truncate": text("TRUNCATE admin_changes"),
        }
        query = queries[statement]
        with pytest.raises(DBAPIError, match="append-only"), sm.begin() as s:
            s.execute(query)
        assert [r.summary for r in list_changes(sm)] == ["原样"]
