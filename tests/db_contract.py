"""Behaviour every database backend must show; subclassed once per backend with a ``db_url`` fixture.

A subclass provides ``db_url``: the URL of an empty database that belongs to the test.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from threading import Barrier as BarrierType

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import repository as repo
from hotline.db.engine import alembic_config, make_engine, migrate, session_factory
from hotline.db.errors import InvalidValueError, UnknownAgentError
from hotline.db.registry import full_metadata, include_in_comparison

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CALL_KIND_REVISION = "0004_call_kind"
OLD_CALL_ROW = (
    "INSERT INTO calls (call_id, caller, channel, dialed, ivr_keys, entered_ivr_at) "
    "VALUES ('old', '13800138000', 'PJSIP/trunk-old', '12345', '0', '2026-03-01 08:00:00')"
)
OLD_EVENT_ROW = (
    "INSERT INTO call_events (call_id, at, kind, detail) "
    "VALUES ('old', '2026-03-01 08:00:00', 'hangup', '{}')"
)


def schema_diff(url: str) -> list[object]:
    """Differences between the models and the database at ``url`` (empty when they agree)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_name": include_in_comparison}
            context = MigrationContext.configure(conn, opts=opts)
            return list(compare_metadata(context, full_metadata()))
    finally:
        engine.dispose()


def revision_and_tables(url: str) -> tuple[set[str], set[str]]:
    """The database's Alembic revisions (one per branch head) and its table names."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revisions = set(MigrationContext.configure(conn).get_current_heads())
            return revisions, set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def head_revisions(url: str) -> set[str]:
    """The newest revision of every branch shipped in the package."""
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def run_in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` for ``i`` in ``range(count)`` on as many threads at once; return their errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return errors


def _migrate_after(barrier: BarrierType, url: str) -> None:
    barrier.wait(30)
    migrate(url)


def migrate_in_processes(count: int, url: str) -> list[int | None]:
    """Start ``count`` fresh processes that call ``migrate(url)`` at the same moment; their exit codes."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    procs = [ctx.Process(target=_migrate_after, args=(barrier, url)) for _ in range(count)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        if p.exitcode is None:
            p.kill()
            p.join()
    return [p.exitcode for p in procs]


def start(sm: sessionmaker[Session], call_id: str, *, caller: str = "13800138000", at: datetime = T0) -> None:
    """Record a call start with ordinary values."""
    repo.record_call_started(
        sm, call_id=call_id, caller=caller, channel=f"PJSIP/trunk-{call_id}", dialed="12345", at=at
    )


class DbContract:
    """The shared test bodies."""

    @pytest.fixture
    def sm(self, db_url: str) -> Iterator[sessionmaker[Session]]:
        """A migrated database's session factory."""
        migrate(db_url)
        engine = make_engine(db_url)
        yield session_factory(engine)
        engine.dispose()

    def test_given_empty_db_when_migrated_twice_then_schema_equals_models(self, db_url: str) -> None:
        migrate(db_url)
        migrate(db_url)
        revisions, tables = revision_and_tables(db_url)
        assert revisions == head_revisions(db_url)
        assert "0001" not in revisions
        assert set(full_metadata().tables) | {"alembic_version"} <= tables
        assert schema_diff(db_url) == []

    def test_given_migrated_db_when_downgraded_then_upgrade_restores_schema(self, db_url: str) -> None:
        migrate(db_url)
        command.downgrade(alembic_config(db_url), "base")
        assert revision_and_tables(db_url) == (set(), {"alembic_version"})
        migrate(db_url)
        assert schema_diff(db_url) == []

    def test_given_empty_db_when_four_processes_migrate_at_once_then_all_succeed(self, db_url: str) -> None:
        assert migrate_in_processes(4, db_url) == [0, 0, 0, 0]
        assert revision_and_tables(db_url)[0] == head_revisions(db_url)
        assert schema_diff(db_url) == []

    def test_given_agent_when_upserted_again_then_profile_replaced_and_created_at_kept(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="张三", contact="PJSIP/1001", skills={"general": 2})
        first = repo.get_agent(sm, agent_id="1001")
        repo.upsert_agent(
            sm,
            agent_id="1001",
            name="张三丰",
            contact="PJSIP/1011",
            skills={"enterprise": 1},
            role="supervisor",
            password_hash="h$1",
        )
        second = repo.get_agent(sm, agent_id="1001")
        assert first is not None
        assert second is not None
        assert (first.name, dict(first.skills), first.role, first.password_hash) == (
            "张三",
            {"general": 2},
            "agent",
            None,
        )
        assert (second.name, second.contact, dict(second.skills), second.role, second.password_hash) == (
            "张三丰",
            "PJSIP/1011",
            {"enterprise": 1},
            "supervisor",
            "h$1",
        )
        assert second.created_at == first.created_at
        assert second.created_at.tzinfo is UTC
        assert repo.get_agent(sm, agent_id="9999") is None

    def test_list_agents_is_ordered_and_rows_are_frozen(self, sm: sessionmaker[Session]) -> None:
        for agent_id in ("1003", "1001", "1002"):
            repo.upsert_agent(sm, agent_id=agent_id, name=agent_id, contact=f"PJSIP/{agent_id}", skills={})
        rows = repo.list_agents(sm)
        assert [r.agent_id for r in rows] == ["1001", "1002", "1003"]
        with pytest.raises(FrozenInstanceError):
            rows[0].name = "x"  # type: ignore[misc]

    def test_given_started_call_when_started_again_then_first_values_kept(
        self, sm: sessionmaker[Session]
    ) -> None:
        start(sm, "c1", caller="13800138000", at=T0)
        start(sm, "c1", caller="13900139000", at=T0 + timedelta(seconds=5))
        row = repo.get_call(sm, call_id="c1")
        assert row is not None
        assert (row.caller, row.channel, row.dialed, row.ivr_keys) == (
            "13800138000",
            "PJSIP/trunk-c1",
            "12345",
            "",
        )
        assert row.entered_ivr_at == T0
        assert row.outcome is None
        assert row.agent_id is None

    def test_given_unknown_call_when_updated_then_placeholder_is_created_and_later_filled(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.update_call(sm, call_id="late", queue="general", queued_at=T0 + timedelta(seconds=9))
        placeholder = repo.get_call(sm, call_id="late")
        assert placeholder is not None
        assert (placeholder.caller, placeholder.queue) == ("", "general")
        assert placeholder.entered_ivr_at == T0 + timedelta(seconds=9)
        start(sm, "late", caller="13700137000", at=T0)
        row = repo.get_call(sm, call_id="late")
        assert row is not None
        assert (row.caller, row.dialed, row.queue, row.entered_ivr_at) == (
            "13700137000",
            "12345",
            "general",
            T0,
        )

    def test_given_call_lifecycle_when_updated_stepwise_then_none_leaves_fields_unchanged(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="a", contact="PJSIP/1001", skills={"general": 1})
        start(sm, "c2")
        repo.update_call(sm, call_id="c2", queue="general", ivr_keys="0", ivr_flow_version="v3")
        repo.update_call(sm, call_id="c2", queued_at=T0 + timedelta(seconds=4))
        repo.update_call(sm, call_id="c2", offered_at=T0 + timedelta(seconds=6), agent_id="1001")
        repo.update_call(
            sm, call_id="c2", answered_at=T0 + timedelta(seconds=8), outcome="answered", wait_seconds=4.25
        )
        repo.update_call(
            sm,
            call_id="c2",
            ended_at=T0 + timedelta(seconds=70),
            talk_seconds=62.0,
            recording_path="2026/03/01/c2.wav",
            survey_score=5,
        )
        row = repo.get_call(sm, call_id="c2")
        assert row is not None
        assert (row.queue, row.ivr_keys, row.ivr_flow_version, row.agent_id, row.outcome) == (
            "general",
            "0",
            "v3",
            "1001",
            "answered",
        )
        assert (row.wait_seconds, row.talk_seconds, row.survey_score) == (4.25, 62.0, 5)
        assert row.recording_path == "2026/03/01/c2.wav"
        assert [row.queued_at, row.offered_at, row.answered_at, row.ended_at] == [
            T0 + timedelta(seconds=s) for s in (4, 6, 8, 70)
        ]

    def test_given_unconfigured_agent_when_call_updated_then_typed_error_and_nothing_written(
        self, sm: sessionmaker[Session]
    ) -> None:
        with pytest.raises(UnknownAgentError) as caught:
            repo.update_call(sm, call_id="c3", agent_id="4040", offered_at=T0)
        assert caught.value.error_id == "unknown_agent"
        assert caught.value.details == {"agent_id": "4040", "call_id": "c3"}
        assert repo.get_call(sm, call_id="c3") is None

    def test_given_bad_values_when_written_then_invalid_value_error(self, sm: sessionmaker[Session]) -> None:
        start(sm, "c4")
        with pytest.raises(InvalidValueError) as score:
            repo.update_call(sm, call_id="c4", survey_score=6)
        assert (score.value.error_id, score.value.details["field"]) == ("invalid_value", "survey_score")
        with pytest.raises(InvalidValueError) as naive:
            repo.update_call(sm, call_id="c4", ended_at=datetime(2026, 3, 1, 9, 0))
        assert naive.value.error_id == "naive_datetime"
        with pytest.raises(InvalidValueError):
            repo.add_call_event(sm, call_id="c4", kind="hangup", at=datetime(2026, 3, 1, 9, 0))
        row = repo.get_call(sm, call_id="c4")
        assert row is not None
        assert row.survey_score is None
        assert row.ended_at is None

    def test_given_beijing_time_when_stored_then_read_back_as_same_instant_in_utc(
        self, sm: sessionmaker[Session]
    ) -> None:
        beijing = timezone(timedelta(hours=8))
        at = datetime(2026, 3, 1, 16, 30, 15, 123456, tzinfo=beijing)
        start(sm, "c5", at=at)
        row = repo.get_call(sm, call_id="c5")
        assert row is not None
        assert row.entered_ivr_at == at
        assert row.entered_ivr_at.tzinfo is UTC
        assert row.entered_ivr_at.hour == 8

    def test_list_calls_filters_by_time_and_literal_caller_prefix_newest_first(
        self, sm: sessionmaker[Session]
    ) -> None:
        callers = ["13800000001", "13800000002", "13912345678", "1%800", "1_800"]
        for i, caller in enumerate(callers):
            start(sm, f"L{i}", caller=caller, at=T0 + timedelta(minutes=i))
        assert [r.call_id for r in repo.list_calls(sm)] == ["L4", "L3", "L2", "L1", "L0"]
        assert [r.call_id for r in repo.list_calls(sm, caller_prefix="138")] == ["L1", "L0"]
        assert [r.call_id for r in repo.list_calls(sm, caller_prefix="1%")] == ["L3"]
        assert [r.call_id for r in repo.list_calls(sm, caller_prefix="1_")] == ["L4"]
        since = T0 + timedelta(minutes=2)
        assert [r.call_id for r in repo.list_calls(sm, since=since)] == ["L4", "L3", "L2"]
        assert [r.call_id for r in repo.list_calls(sm, since=since, limit=2)] == ["L4", "L3"]
        assert repo.list_calls(sm, caller_prefix="139", since=since + timedelta(minutes=1)) == []

    def test_call_events_come_back_in_order_with_their_detail(self, sm: sessionmaker[Session]) -> None:
        repo.add_call_event(
            sm,
            call_id="c6",
            kind="queued",
            at=T0 + timedelta(seconds=2),
            detail={"queue": "general", "reason": "按键0"},
        )
        repo.add_call_event(sm, call_id="c6", kind="ivr_started", at=T0)
        repo.add_call_event(sm, call_id="c6", kind="hangup", at=T0 + timedelta(seconds=2))
        repo.add_call_event(sm, call_id="other", kind="ivr_started", at=T0)
        events = repo.call_events(sm, call_id="c6")
        assert [e.kind for e in events] == ["ivr_started", "queued", "hangup"]
        assert dict(events[1].detail) == {"queue": "general", "reason": "按键0"}
        assert dict(events[0].detail) == {}
        assert events[2].at == T0 + timedelta(seconds=2)
        assert events[2].at.tzinfo is UTC

    def test_agent_state_history_is_newest_first_and_limited(self, sm: sessionmaker[Session]) -> None:
        states = ["idle", "offered", "on_call", "wrap_up", "idle"]
        for i, state in enumerate(states):
            repo.log_agent_state(
                sm,
                agent_id="1001",
                at=T0 + timedelta(seconds=i),
                status="available",
                state=state,
                call_id="c7" if state != "idle" else None,
            )
        repo.log_agent_state(
            sm,
            agent_id="1001",
            at=T0 + timedelta(seconds=9),
            status="paused",
            state="idle",
            pause_reason="小休",
        )
        repo.log_agent_state(sm, agent_id="1002", at=T0, status="available", state="idle")
        history = repo.agent_state_history(sm, agent_id="1001", limit=4)
        assert [(h.status, h.state) for h in history] == [
            ("paused", "idle"),
            ("available", "idle"),
            ("available", "wrap_up"),
            ("available", "on_call"),
        ]
        assert history[0].pause_reason == "小休"
        assert history[2].call_id == "c7"
        assert len(repo.agent_state_history(sm, agent_id="1001")) == 6

    def test_given_four_threads_when_writing_concurrently_then_every_record_is_kept(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="a", contact="PJSIP/1001", skills={})
        per_thread = 25

        def writer(t: int) -> None:
            for n in range(per_thread):
                call_id, at = f"t{t}-{n}", T0 + timedelta(seconds=n)
                start(sm, call_id, at=at)
                repo.update_call(sm, call_id=call_id, agent_id="1001", answered_at=at, outcome="answered")
                repo.add_call_event(sm, call_id=call_id, kind="answered", at=at)
                repo.log_agent_state(
                    sm, agent_id="1001", at=at, status="available", state="on_call", call_id=call_id
                )

        assert run_in_threads(4, writer) == []
        calls = repo.list_calls(sm, limit=10_000)
        assert len(calls) == 4 * per_thread
        assert all(c.outcome == "answered" and c.agent_id == "1001" for c in calls)
        assert len(repo.agent_state_history(sm, agent_id="1001", limit=10_000)) == 4 * per_thread
        assert all(len(repo.call_events(sm, call_id=c.call_id)) == 1 for c in calls)

    def test_given_rows_of_previous_schema_when_migrated_then_they_are_citizen_calls_and_events_unkeyed(
        self, db_url: str
    ) -> None:
        cfg = alembic_config(db_url)
        for previous_head in head_revisions(db_url) - {CALL_KIND_REVISION}:
            command.upgrade(cfg, previous_head)
        engine = make_engine(db_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(OLD_CALL_ROW))
                conn.execute(text(OLD_EVENT_ROW))
        finally:
            engine.dispose()
        migrate(db_url)
        engine = make_engine(db_url)
        sm = session_factory(engine)
        try:
            row = repo.get_call(sm, call_id="old")
            events = repo.call_events(sm, call_id="old")
        finally:
            engine.dispose()
        assert row is not None
        assert row.kind == "citizen"
        assert [(e.kind, e.once_key) for e in events] == [("hangup", None)]

    def test_given_consultation_leg_then_it_is_left_out_of_citizen_lists_and_caller_history(
        self, sm: sessionmaker[Session]
    ) -> None:
        start(sm, "citizen", caller="13800000001", at=T0)
        repo.update_call(sm, call_id="stand-in", queue="enterprise", queued_at=T0 + timedelta(seconds=30))
        repo.update_call(sm, call_id="stand-in", kind="consult")
        start(sm, "stand-in", caller="13800000001", at=T0 + timedelta(seconds=30))
        later = T0 + timedelta(minutes=5)
        assert [r.call_id for r in repo.list_calls(sm)] == ["citizen"]
        assert [r.call_id for r in repo.list_calls(sm, caller_prefix="138")] == ["citizen"]
        assert [r.call_id for r in repo.list_calls(sm, kind="consult")] == ["stand-in"]
        assert [r.call_id for r in repo.list_calls(sm, kind=None)] == ["stand-in", "citizen"]
        history = repo.calls_from_caller(sm, caller="13800000001", since=T0, before=later)
        assert [r.call_id for r in history] == ["citizen"]
        assert repo.count_calls_from_caller(sm, caller="13800000001", since=T0, before=later) == 1
        stand_in = repo.get_call(sm, call_id="stand-in")
        assert stand_in is not None
        assert (stand_in.kind, stand_in.queue) == ("consult", "enterprise")

    def test_given_unknown_kind_when_written_then_the_database_refuses_it(
        self, sm: sessionmaker[Session]
    ) -> None:
        start(sm, "k1")
        with pytest.raises(IntegrityError):
            repo.update_call(sm, call_id="k1", kind="vip")  # type: ignore[arg-type]
        row = repo.get_call(sm, call_id="k1")
        assert row is not None
        assert row.kind == "citizen"

    def test_given_step_recorded_once_when_reported_again_then_neither_event_nor_record_changes(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="a", contact="PJSIP/1001", skills={})
        first = repo.add_call_event_once(
            sm,
            call_id="f1",
            once_key="call.fallback_answered",
            kind="answered",
            at=T0 + timedelta(seconds=10),
            detail={"member": "Local/1001@hotline-agent-phones"},
            call=repo.CallUpdate(
                outcome="answered", answered_at=T0 + timedelta(seconds=10), wait_seconds=4.0
            ),
        )
        again = repo.add_call_event_once(
            sm,
            call_id="f1",
            once_key="call.fallback_answered",
            kind="answered",
            at=T0 + timedelta(seconds=11),
            detail={"member": "Local/1002@hotline-agent-phones"},
            call=repo.CallUpdate(
                outcome="answered", answered_at=T0 + timedelta(seconds=11), wait_seconds=5.0
            ),
        )
        other = repo.add_call_event_once(
            sm, call_id="f2", once_key="call.fallback_answered", kind="answered", at=T0
        )
        repo.add_call_event(sm, call_id="f1", kind="survey", at=T0 + timedelta(seconds=60))
        repo.add_call_event(sm, call_id="f1", kind="survey", at=T0 + timedelta(seconds=60))
        assert (first, again, other) == (True, False, True)
        row = repo.get_call(sm, call_id="f1")
        assert row is not None
        assert (row.outcome, row.answered_at, row.wait_seconds) == (
            "answered",
            T0 + timedelta(seconds=10),
            4.0,
        )
        assert row.entered_ivr_at == T0 + timedelta(seconds=10)
        events = repo.call_events(sm, call_id="f1")
        assert [(e.kind, e.once_key) for e in events] == [
            ("answered", "call.fallback_answered"),
            ("survey", None),
            ("survey", None),
        ]
        assert dict(events[0].detail) == {"member": "Local/1001@hotline-agent-phones"}

    def test_given_unconfigured_agent_in_step_recorded_once_then_nothing_is_written(
        self, sm: sessionmaker[Session]
    ) -> None:
        with pytest.raises(UnknownAgentError):
            repo.add_call_event_once(
                sm, call_id="f3", once_key="k", kind="offered", at=T0, call=repo.CallUpdate(agent_id="4040")
            )
        assert repo.call_events(sm, call_id="f3") == []
        assert repo.get_call(sm, call_id="f3") is None
        assert repo.add_call_event_once(sm, call_id="f3", once_key="k", kind="offered", at=T0)

    def test_given_four_threads_when_reporting_the_same_step_then_exactly_one_is_recorded(
        self, sm: sessionmaker[Session]
    ) -> None:
        results: list[bool] = []

        def report(i: int) -> None:
            for n in range(10):
                results.append(
                    repo.add_call_event_once(
                        sm,
                        call_id=f"race-{n}",
                        once_key="call.fallback",
                        kind="fallback",
                        at=T0 + timedelta(milliseconds=i),
                        call=repo.CallUpdate(outcome="fallback", queue="hotline-fallback"),
                    )
                )

        assert run_in_threads(4, report) == []
        assert sorted(results) == [False] * 30 + [True] * 10
        for n in range(10):
            assert [e.kind for e in repo.call_events(sm, call_id=f"race-{n}")] == ["fallback"]

    def test_given_caller_left_the_acd_then_abandoned_only_fills_an_empty_outcome(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="a", contact="PJSIP/1001", skills={})
        for call_id in ("waiting", "answered", "fallback"):
            start(sm, call_id)
        end = T0 + timedelta(seconds=90)
        repo.update_call(
            sm, call_id="answered", agent_id="1001", outcome="answered", ended_at=T0 + timedelta(seconds=40)
        )
        repo.update_call(sm, call_id="fallback", outcome="fallback", queue="hotline-fallback")
        for call_id in ("waiting", "answered", "fallback"):
            repo.record_call_abandoned(sm, call_id=call_id, ended_at=end, wait_seconds=30.0)
        repo.record_call_abandoned(
            sm, call_id="answered", ended_at=T0 + timedelta(seconds=20), wait_seconds=1.0
        )
        rows = {c: repo.get_call(sm, call_id=c) for c in ("waiting", "answered", "fallback")}
        summary = {c: (r.outcome, r.ended_at, r.wait_seconds) for c, r in rows.items() if r is not None}
        assert summary == {
            "waiting": ("abandoned", end, 30.0),
            "answered": ("answered", end, None),
            "fallback": ("fallback", None, None),
        }

    def test_given_talk_answered_through_another_node_when_ended_here_then_talk_time_from_the_answer(
        self, sm: sessionmaker[Session]
    ) -> None:
        repo.upsert_agent(sm, agent_id="1001", name="a", contact="PJSIP/1001", skills={})
        for call_id in ("elsewhere", "timed"):
            start(sm, call_id)
            repo.update_call(
                sm,
                call_id=call_id,
                agent_id="1001",
                outcome="answered",
                answered_at=T0 + timedelta(seconds=10),
            )
        repo.update_call(sm, call_id="timed", talk_seconds=42.0, ended_at=T0 + timedelta(seconds=52))
        for call_id in ("elsewhere", "timed"):
            repo.record_call_abandoned(
                sm, call_id=call_id, ended_at=T0 + timedelta(seconds=70), wait_seconds=1.0
            )
        rows = {c: repo.get_call(sm, call_id=c) for c in ("elsewhere", "timed")}
        summary = {c: (r.outcome, r.talk_seconds, r.ended_at) for c, r in rows.items() if r is not None}
        assert summary == {
            "elsewhere": ("answered", 60.0, T0 + timedelta(seconds=70)),
            "timed": ("answered", 42.0, T0 + timedelta(seconds=70)),
        }

    def test_given_fallback_reports_of_two_nodes_in_either_order_then_the_record_ends_alike(
        self, sm: sessionmaker[Session]
    ) -> None:
        left, answered, ended = (T0 + timedelta(seconds=s) for s in (30, 45, 100))

        def fallback(call_id: str, at: datetime) -> None:
            update = repo.CallUpdate(outcome="fallback", queue="hotline-fallback")
            repo.add_call_event_once(
                sm, call_id=call_id, once_key="call.fallback", kind="fallback", at=at, call=update
            )

        def answer(call_id: str) -> None:
            update = repo.CallUpdate(outcome="answered", answered_at=answered, wait_seconds=15.0)
            repo.add_call_event_once(
                sm,
                call_id=call_id,
                once_key="call.fallback_answered",
                kind="answered",
                at=answered,
                call=update,
            )

        def hang_up(call_id: str) -> None:
            update = repo.CallUpdate(ended_at=ended)
            repo.add_call_event_once(
                sm, call_id=call_id, once_key="call.fallback_ended", kind="hangup", at=ended, call=update
            )

        start(sm, "acd-first")
        repo.record_call_abandoned(sm, call_id="acd-first", ended_at=left, wait_seconds=30.0)
        fallback("acd-first", left)
        answer("acd-first")
        hang_up("acd-first")

        start(sm, "acd-last")
        fallback("acd-last", left)
        answer("acd-last")
        hang_up("acd-last")
        fallback("acd-last", left + timedelta(milliseconds=5))
        repo.record_call_abandoned(sm, call_id="acd-last", ended_at=left, wait_seconds=30.0)

        rows = [repo.get_call(sm, call_id=c) for c in ("acd-first", "acd-last")]
        assert [(r.outcome, r.answered_at, r.ended_at, r.wait_seconds) for r in rows if r is not None] == [
            ("answered", answered, ended, 15.0)
        ] * 2
        for call_id in ("acd-first", "acd-last"):
            assert [e.kind for e in repo.call_events(sm, call_id=call_id)] == [
                "fallback",
                "answered",
                "hangup",
            ]
