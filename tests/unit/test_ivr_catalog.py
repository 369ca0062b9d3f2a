"""Flow versions in a real SQLite database: seed, drafts, publish with validation, rollback, diff, flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from ivr import flow_store as store
from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog, parse_label
from ivr.errors import IvrError
from ivr.flow.loader import DEFAULT_PACK_PATH

QUEUES = frozenset(
    {"general", "enterprise", "social_security", "women_children", "elderly_services", "wage_arrears"}
    | {"accessibility", "surge"}
)
SHIPPED = DEFAULT_PACK_PATH.read_text(encoding="utf-8")


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite database of the test's own."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def catalog(sessions: sessionmaker[Session]) -> FlowCatalog:
    """The 12345 pack's catalog, seeded with the shipped pack."""
    found = FlowCatalog(sessions=sessions, known_queues=QUEUES)
    assert found.seed() is not None
    return found


def test_given_empty_database_when_seeded_twice_then_shipped_pack_is_version_1_and_live(
    catalog: FlowCatalog,
) -> None:
    assert catalog.seed() is None
    [row] = catalog.versions()
    assert (row.version, row.status, row.live, row.author) == (1, "published", True, "system")
    live = catalog.live()
    assert (live.label, live.main.id, sorted(live.flows)) == (
        "12345:1",
        "12345",
        ["12345", "work_order_query"],
    )
    assert catalog.live() is live, "a published version is parsed once and shared"


def test_given_draft_when_edited_and_published_then_it_is_live_and_frozen(catalog: FlowCatalog) -> None:
    draft = catalog.create_draft(source=None, base=None, author="admin", note="copy")
    assert (draft.version, draft.status, draft.source) == (2, "draft", SHIPPED)
    edited = catalog.edit_draft(2, source=SHIPPED.replace("priority: 10", "priority: 20"), note="faster")
    assert (edited.note, "priority: 20" in edited.source) == ("faster", True)
    first = catalog.live()
    live = catalog.publish(2, by="admin")
    assert live.main.nodes["elderly_queue"].priority == 20  # type: ignore[union-attr]
    assert first.main.nodes["elderly_queue"].priority == 10  # type: ignore[union-attr]
    with pytest.raises(IvrError) as frozen:
        catalog.edit_draft(2, source=SHIPPED, note=None)
    assert (frozen.value.error_id, frozen.value.status_code) == ("version_frozen", 409)


def test_given_broken_draft_when_published_then_refused_with_every_issue_and_live_unchanged(
    catalog: FlowCatalog,
) -> None:
    broken = SHIPPED.replace(
        "on_timeout: to_person\n    on_invalid: to_person\n  order_query",
        "on_timeout: nowhere\n    on_invalid: to_person\n  order_query",
    )
    broken = broken.replace("queue: enterprise\n", "queue: no_such_queue\n")
    catalog.create_draft(source=broken, base=None, author="admin", note="")
    with pytest.raises(IvrError) as refused:
        catalog.publish(2, by="admin")
    assert (refused.value.error_id, refused.value.status_code) == ("flow_invalid", 422)
    codes = {(i["node_id"], i["code"]) for i in refused.value.details["issues"]}
    assert ("main_menu", "unknown_target") in codes
    assert ("enterprise_queue", "unknown_queue") in codes
    assert catalog.live().version == 1
    assert catalog.version(2).status == "draft"


def test_given_unparseable_or_foreign_pack_when_checked_then_issue_names_the_problem(
    catalog: FlowCatalog,
) -> None:
    [parse] = catalog.issues("id: [unclosed")
    assert parse.code == "flow_parse_error"
    [foreign] = catalog.issues(SHIPPED.replace('id: "12345"', 'id: "96345"', 1))
    assert foreign.code == "pack_id_mismatch"


def test_given_two_published_versions_when_rolled_back_then_previous_is_live_and_diff_shows_change(
    catalog: FlowCatalog,
) -> None:
    catalog.create_draft(
        source=SHIPPED.replace("priority: 10", "priority: 30"), base=None, author="a", note=""
    )
    catalog.publish(2, by="admin")
    assert catalog.rollback(to=None, by="admin").version == 1
    assert catalog.live().version == 1
    assert catalog.rollback(to=2, by="admin").version == 2
    with pytest.raises(IvrError) as never:
        catalog.rollback(to=7, by="admin")
    assert never.value.error_id == "no_rollback_target"
    diff = catalog.diff(1, 2)
    assert "-    priority: 10\n+    priority: 30\n" in diff
    assert diff.startswith("--- 12345:1\n+++ 12345:2\n")


def test_given_flag_override_when_set_and_cleared_then_only_declared_flags_are_accepted(
    catalog: FlowCatalog,
) -> None:
    assert catalog.set_flag("surge", True) == {"surge": True}
    assert catalog.set_flag("surge", None) == {}
    with pytest.raises(IvrError) as unknown:
        catalog.set_flag("free_lunch", True)
    assert unknown.value.status_code == 404


def test_given_labels_when_parsed_then_pack_and_version_come_back() -> None:
    assert parse_label("12345:3") == ("12345", 3)
    assert parse_label("builtin-1") is None
    assert parse_label("") is None


async def test_given_profiles_and_history_when_looked_up_then_elderly_vip_and_repeat_caller(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    store.upsert_caller_profile(sessions, number="13900000001", elderly=True, vip=False)
    store.upsert_caller_profile(sessions, number="13900000001", elderly=True, vip=True, note="重点关注")
    repo.record_call_started(
        sessions, call_id="old", caller="13900000002", channel="", dialed="12345", at=now - timedelta(days=30)
    )
    repo.record_call_started(
        sessions,
        call_id="recent",
        caller="13900000003",
        channel="",
        dialed="12345",
        at=now - timedelta(days=2),
    )
    repo.record_call_started(
        sessions, call_id="this", caller="13900000004", channel="", dialed="12345", at=now
    )
    directory = DbCallerDirectory(sessions)
    profiled = await directory.lookup("13900000001", call_id="x", now=now)
    assert (profiled.elderly, profiled.vip, profiled.repeat_caller) == (True, True, False)
    assert not (await directory.lookup("13900000002", call_id="x", now=now)).repeat_caller
    assert (await directory.lookup("13900000003", call_id="x", now=now)).repeat_caller
    assert not (await directory.lookup("13900000004", call_id="this", now=now)).repeat_caller
    assert (await directory.lookup("", call_id="x", now=now)).open_work_orders == ()


async def test_given_open_work_orders_when_caller_looked_up_then_they_are_offered_with_their_agent(
    sessions: sessionmaker[Session],
) -> None:
    from tickets.intake import order_from_message
    from tickets.service import TicketService

    tickets = TicketService(sessions=sessions)
    repo.upsert_agent(sessions, agent_id="1001", name="张三", contact="PJSIP/1001", skills={})
    taken = tickets.create(order_from_message({"call_id": "a", "caller": "13900000009"}), created_by="1001")
    left = tickets.create(order_from_message({"call_id": "b", "caller": "13900000009"}), created_by="ivr")
    found = await DbCallerDirectory(sessions).lookup("13900000009", call_id="c", now=datetime.now(UTC))
    assert [(o.number, o.agent) for o in found.open_work_orders] == [
        (left.number, None),
        (taken.number, "1001"),
    ]
