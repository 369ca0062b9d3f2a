"""Migration 0006 on SQLite: reads recorded before it are still found by every id they showed."""

from __future__ import annotations

from pathlib import Path

from tests.read_audit_migration import check_ids_survive_the_move


def test_audited_ids_survive_the_move_to_their_own_table(tmp_path: Path) -> None:
    check_ids_survive_the_move(f"sqlite:///{tmp_path / 'audit.db'}")
