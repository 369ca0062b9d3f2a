"""The directory in the database (admin.directory_store) on a migrated SQLite file: seeded once from the
YAML file and never again after an admin changed it, numbers in the form transfers dial, the transfer
path's dict changed in place, and another node's copy following the table."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from admin import directory_store as store
from admin.audit import Change, record_change
from admin.directory_api import follow_directory
from agent_desktop.directory import DirectoryEntry, load_directory
from hotline.db.engine import make_engine, migrate, session_factory

Sm = sessionmaker[Session]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("directory") / "migrated.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sm(migrated: Path, tmp_path: Path) -> Iterator[Sm]:
    """A fresh copy of the migrated database."""
    path = tmp_path / "directory.db"
    shutil.copyfile(migrated, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


def test_given_an_empty_table_when_seeded_then_the_yaml_entries_in_order_and_only_once(sm: Sm) -> None:
    shipped = list(load_directory().values())
    assert store.seed_from_file(sm) == len(shipped)
    assert store.read_entries(sm) == shipped
    assert store.seed_from_file(sm) == 0


def test_given_an_admin_emptied_the_directory_when_seeded_again_then_it_stays_empty(sm: Sm) -> None:
    store.seed_from_file(sm)
    for entry in store.read_entries(sm):
        store.delete_entry(sm, entry.id)
    record_change(
        sm, Change(user_id="boss", role="admin", area="directory", object_id="all", action="delete")
    )
    assert store.seed_from_file(sm) == 0
    assert store.read_entries(sm) == []


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (DirectoryEntry(id="x", name="坏", number="12345#", kind="hotline"), "number"),
        (DirectoryEntry(id="x", name="坏", number="12", kind="hotline"), "number"),
        (DirectoryEntry(id="x", name="坏", number="１２３４５", kind="hotline"), "number"),
        (DirectoryEntry(id="x", name="坏", number="12345", kind="pizza"), "kind"),
        (DirectoryEntry(id="x", name="  ", number="12345", kind="hotline"), "name"),
    ],
)
def test_given_an_entry_that_cannot_be_dialled_or_shown_then_refused_and_nothing_saved(
    sm: Sm, entry: DirectoryEntry, field: str
) -> None:
    with pytest.raises(store.DirectoryInvalid) as refused:
        store.save_entry(sm, entry, by="boss")
    assert refused.value.field == field
    assert store.read_entries(sm) == []


def test_given_saves_when_read_then_new_entries_go_last_and_the_previous_value_is_returned(sm: Sm) -> None:
    first = DirectoryEntry(id="tax", name="12366 纳税服务", number="12366", kind="hotline")
    assert store.save_entry(sm, first, by="boss") is None
    assert (
        store.save_entry(sm, DirectoryEntry(id="z", name="乙", number="961017", kind="neighbour"), by="boss")
        is None
    )
    moved = DirectoryEntry(id="tax", name="12366 纳税服务", number="12366001", kind="hotline")
    assert store.save_entry(sm, moved, by="boss") == first
    assert [(e.id, e.number) for e in store.read_entries(sm)] == [("tax", "12366001"), ("z", "961017")]
    assert store.delete_entry(sm, "tax") == moved
    assert store.delete_entry(sm, "tax") is None


def test_refresh_changes_the_shared_dict_in_place() -> None:
    police = DirectoryEntry(id="police", name="110", number="110", kind="emergency")
    tax = DirectoryEntry(id="tax", name="12366", number="12366", kind="hotline")
    shared = {"police": police}
    same = shared
    store.refresh(shared, [tax])
    assert same is shared
    assert shared == {"tax": tax}


async def test_given_a_change_made_elsewhere_when_following_then_this_copy_catches_up(sm: Sm) -> None:
    store.seed_from_file(sm)
    copy = {e.id: e for e in store.read_entries(sm)}
    following = asyncio.create_task(follow_directory(sm, copy, every_s=0.05))
    try:
        store.delete_entry(sm, "police")
        store.save_entry(
            sm, DirectoryEntry(id="tax", name="12366", number="12366", kind="hotline"), by="boss"
        )
        for _ in range(200):
            if "police" not in copy and "tax" in copy:
                break
            await asyncio.sleep(0.05)
    finally:
        following.cancel()
    assert "police" not in copy
    assert copy["tax"].number == "12366"
