"""Chat records (chat.store, chat.figures, chat.orders) on SQLite and PostgreSQL, each migrated once
for the module; every test uses its own session ids."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentReady, CallQueued
from acd.model import QueueConfig
from acd.store import MemoryStore
from chat import store
from chat.figures import chat_figures
from chat.orders import TRANSCRIPT_HEADING, order_from_chat
from hotline.db.engine import make_engine, migrate, session_factory
from tests.pg import scratch_database
from tickets.vocab import Category, ContactPreference, SpecialGroup

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('chat') / 'chat.db'}"
        migrate(url)
        engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()
        return
    with scratch_database("hotline_chat") as url:
        migrate(url)
        engine = make_engine(url)
        yield session_factory(engine)
        engine.dispose()


def new_chat(
    sm: sessionmaker[Session], *, queue: str = "general", phone: str | None = None
) -> tuple[str, str]:
    sid, token = f"chat-{secrets.token_hex(12)}", secrets.token_urlsafe(24)
    store.create_session(
        sm, session_id=sid, token=token, queue=queue, phone=phone, now=T0, expires_at=T0 + timedelta(hours=4)
    )
    return sid, token


def test_given_messages_when_sent_and_resent_then_numbered_once_each_in_order(
    sm: sessionmaker[Session],
) -> None:
    sid, token = new_chat(sm)
    found = store.session_by_token(sm, token=token)
    assert found is not None
    assert found.session_id == sid
    assert found.state == "waiting"
    assert store.session_by_token(sm, token=token + "x") is None
    one, new1 = store.add_message(sm, session_id=sid, sender="citizen", body="你好", now=T0, client_id="c1")
    again, new2 = store.add_message(sm, session_id=sid, sender="citizen", body="你好", now=T0, client_id="c1")
    two, _ = store.add_message(
        sm, session_id=sid, sender="agent", body="您好", now=T0, client_id="c1", agent_id="1001"
    )
    assert (one.seq, new1, again.seq, new2, two.seq) == (1, True, 1, False, 2)
    assert [m.body for m in store.messages(sm, session_id=sid)] == ["你好", "您好"]
    assert [m.seq for m in store.messages(sm, session_id=sid, after=1)] == [2]


def test_given_receipts_when_marked_then_only_that_senders_messages_up_to_the_number(
    sm: sessionmaker[Session],
) -> None:
    sid, _ = new_chat(sm)
    for body, sender in (("a", "citizen"), ("b", "agent"), ("c", "citizen")):
        store.add_message(sm, session_id=sid, sender=sender, body=body, now=T0)
    assert store.mark_delivered(sm, session_id=sid, sender="citizen", up_to=2, now=T0) == 1
    assert store.mark_delivered(sm, session_id=sid, sender="citizen", up_to=2, now=T0) == 0
    assert [m.delivered_at is not None for m in store.messages(sm, session_id=sid)] == [True, False, False]


def test_given_answered_and_abandoned_chats_when_ended_then_records_and_figures_count_them(
    sm: sessionmaker[Session],
) -> None:
    queue = f"q{secrets.token_hex(3)}"
    answered, _ = new_chat(sm, queue=queue)
    abandoned, _ = new_chat(sm, queue=queue)
    waiting, _ = new_chat(sm, queue=queue)
    store.answered(sm, session_id=answered, agent_id="1001", now=T0 + timedelta(seconds=12))
    assert [r.session_id for r in store.active_of(sm, agent_id="1001")] == [answered]
    ended = store.ended(sm, session_id=answered, by="agent", now=T0 + timedelta(minutes=5))
    assert ended is not None
    assert (ended.outcome, ended.wait_seconds, ended.ended_by) == (
        "answered",
        12.0,
        "agent",
    )
    assert store.ended(sm, session_id=answered, by="agent", now=T0 + timedelta(minutes=6)) is None
    gone = store.ended(sm, session_id=abandoned, by="citizen", now=T0 + timedelta(seconds=40))
    assert gone is not None
    assert (gone.outcome, gone.wait_seconds) == ("abandoned", 40.0)

    engine = AcdEngine(queues=[QueueConfig(queue, skill="s")], store=MemoryStore())
    engine.handle(CallQueued(waiting, queue, "", f"chat/{waiting}", attrs={"tags": "chat"}), 0.0)
    figures = chat_figures(sm, engine, (T0 + timedelta(hours=1)).timestamp())
    row = next(q for q in figures["queues"] if q["queue"] == queue)
    assert row == {
        "queue": queue,
        "channel": "chat",
        "waiting": 1,
        "active": 0,
        "offered": 3,
        "answered": 1,
        "abandoned": 1,
        "mean_wait_s": 12.0,
    }
    engine.handle(AgentLoggedIn("1001", "PJSIP/1001", {"s": 1}), 1.0)
    engine.handle(AgentReady("1001"), 1.0)
    offered = chat_figures(sm, engine, (T0 + timedelta(hours=1)).timestamp())
    assert next(q for q in offered["queues"] if q["queue"] == queue)["active"] == 1


def test_given_a_sign_language_chat_when_it_becomes_an_order_then_the_transcript_and_the_citizen_follow(
    sm: sessionmaker[Session], tmp_path: Path
) -> None:
    sid, _ = new_chat(sm, queue="accessibility", phone="13800003333")
    store.add_message(sm, session_id=sid, sender="citizen", body="路灯坏了", now=T0)
    store.add_message(sm, session_id=sid, sender="agent", body="请说地址", now=T0, agent_id="1001")
    store.attach_order(sm, session_id=sid, number="12345-20261207-000001")
    row = store.get_session(sm, session_id=sid)
    assert row is not None
    assert row.order_number == "12345-20261207-000001"
    order = order_from_chat(
        row,
        store.messages(sm, session_id=sid),
        category=Category.HELP,
        matter="路灯",
        content="市民反映路灯损坏。",
    )
    assert order.call_id == sid
    assert (order.caller.special_group, order.caller.contact_preference) == (
        SpecialGroup.DISABLED,
        ContactPreference.SMS_ONLY,
    )
    assert order.content.splitlines()[:2] == ["市民反映路灯损坏。", ""]
    assert order.content.splitlines()[2:] == [
        TRANSCRIPT_HEADING,
        "[2026-12-07 10:00:00] 市民：路灯坏了",
        "[2026-12-07 10:00:00] 坐席(1001)：请说地址",
    ]
