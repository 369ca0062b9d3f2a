"""Queue configuration versions (acd.queue_store) on SQLite and PostgreSQL, and the canonical
document every version holds (acd.queue_store_doc)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd import queue_store as store
from acd.errors import InvalidConfig
from acd.queue_config import default_queue_configs
from acd.queue_store_doc import canonical, document_of, parse_document, text_of_queues
from hotline.db.engine import make_engine, migrate, session_factory
from tests.pg import scratch_database

WRAPUP = 15.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    def made(url: str) -> sessionmaker[Session]:
        migrate(url)
        return session_factory(make_engine(url))

    if request.param == "sqlite":
        yield made(f"sqlite:///{tmp_path / 'queues.db'}")
        return
    with scratch_database("hotline_queues") as url:
        engine_sessions = made(url)
        yield engine_sessions
        bind = engine_sessions.kw["bind"]
        bind.dispose()


def _shipped() -> str:
    return document_of(default_queue_configs(default_wrapup_s=WRAPUP))


def test_given_the_shipped_file_when_written_canonically_then_it_reads_back_to_the_same_queues() -> None:
    queues = default_queue_configs(default_wrapup_s=WRAPUP)
    text = document_of(queues)
    assert parse_document(text, default_wrapup_s=99.0, source="v1") == queues
    assert "wrapup_seconds: 15" in text
    assert canonical(text, default_wrapup_s=WRAPUP, source="v1")[0] == text


def test_given_a_queue_list_as_json_with_a_bad_step_then_the_error_names_the_field() -> None:
    queues = [{"name": "general", "skill": "general", "overflow": [{"after_s": -3}]}]
    with pytest.raises(InvalidConfig) as caught:
        canonical(text_of_queues(queues), default_wrapup_s=WRAPUP, source="queues")
    errors = caught.value.details["errors"]
    assert isinstance(errors, list)
    assert errors[0]["loc"] == "queues.0.overflow.0.after_s"


def test_given_an_empty_table_when_seeded_twice_then_one_version_one_is_kept(
    sessions: sessionmaker[Session],
) -> None:
    first = store.seed(sessions, document=_shipped())
    again = store.seed(sessions, document="schema_version: 1\nqueues: []\n")
    assert (first.version, first.action, first.created_by) == (1, "seed", "system")
    assert again == first
    assert store.current_number(sessions) == 1


def test_given_versions_when_changed_from_an_old_one_then_refused_and_history_is_newest_first(
    sessions: sessionmaker[Session],
) -> None:
    store.seed(sessions, document=_shipped())
    second = store.add(sessions, document="two", by="admin", action="update", expect=1, note="改溢出")
    with pytest.raises(store.VersionConflict) as caught:
        store.add(sessions, document="late", by="admin2", action="update", expect=1)
    assert (caught.value.expected, caught.value.current) == (1, 2)
    back = store.add(
        sessions, document=_shipped(), by="admin", action="rollback", expect=2, based_on=1, note=""
    )
    assert [v.version for v in store.history(sessions)] == [3, 2, 1]
    assert (second.note, back.based_on) == ("改溢出", 1)
    current = store.current(sessions)
    assert current is not None
    assert current.document == _shipped()
    assert current.created_at.tzinfo is not None
    assert store.get(sessions, 2) == second
    assert store.get(sessions, 9) is None
