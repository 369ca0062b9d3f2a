"""The state directory, the SQLite database and the admin password file are readable by our user only,
and a password given in the environment is never written to disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.private_files import write_private
from hotline.settings import Settings


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask that lets new files be world-readable unless the code asks otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def centre_in(state: Path, **overrides: object) -> Centre:
    settings = Settings.model_validate({"state_dir": state} | overrides)
    return Centre(settings=settings, ami_secret="unit-secret")


def test_given_a_fresh_state_dir_when_the_centre_is_built_then_dir_is_0700_and_database_0600(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    centre = centre_in(state)
    assert mode(state) == 0o700
    database = state / "hotline.db"
    assert mode(database) == 0o600
    for extra in (state / "hotline.db-wal", state / "hotline.db-shm"):
        if extra.exists():
            assert mode(extra) & 0o077 == 0, extra
    assert centre.settings.resolved_database_url().endswith("hotline.db")


def test_given_an_existing_world_readable_state_dir_when_the_centre_is_built_then_it_is_closed(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    centre_in(state)
    assert mode(state) == 0o700


def test_given_a_password_in_the_environment_when_admin_is_made_then_nothing_is_written(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    centre = centre_in(state, admin_password="from-the-environment")
    assert ensure_admin(centre.sessions, centre.settings) is None
    written = [p for p in state.rglob("*") if p.is_file() and b"from-the-environment" in p.read_bytes()]
    assert written == []
    assert not (state / "admin-password").exists()


def test_given_no_password_when_admin_is_made_then_the_file_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    centre = centre_in(state)
    seen: list[tuple[str, int]] = []
    real_chmod = Path.chmod

    def spy(self: Path, mode_: int, *, follow_symlinks: bool = True) -> None:
        if self.is_file():
            seen.append((self.name, mode(self)))
        real_chmod(self, mode_, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "chmod", spy)
    where = ensure_admin(centre.sessions, centre.settings)
    assert where == state / "admin-password"
    assert mode(where) == 0o600
    assert [(name, m) for name, m in seen if m & 0o077] == []
    assert len(where.read_text().strip()) >= 12
    assert sorted(p.name for p in state.iterdir() if p.name.startswith(".")) == []


def test_write_private_replaces_atomically_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_text("old\n")
    target.chmod(0o644)
    write_private(target, "new\n")
    assert target.read_text() == "new\n"
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]
