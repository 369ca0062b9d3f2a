"""Quality inspection storage on SQLite and PostgreSQL: versioned rules and items with their change log,
the inspection pass over transcribed calls, the work list and scoring, and the agent report's QA score."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from admin.audit import list_changes
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.db.models import Call, CallEvent
from qa import store, worklist
from qa.config import RuleSet, ScoreItem, ScoreItems, WordRule
from qa.errors import QaError
from qa.inspect_loop import InspectLoop
from recordings.models import Recording, Transcript, TranscriptSegment
from supervisor.reports import Period, ReportKind, build_report, report_window
from tests.pg import scratch_database

pytestmark = pytest.mark.timeout(120)
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
Line = tuple[str, float, float, str]  # side, start, end, text (on the recording's clock)
ADMIN = store.Editor(user_id="admin", role="admin", client="127.0.0.1")


def seed_call(
    sm: sessionmaker[Session],
    call_id: str,
    lines: Sequence[Line],
    *,
    agent_id: str = "1001",
    queue: str = "general",
    at: datetime = T0,
    agent_offset_s: float = 0.0,
    statuses: tuple[str, str] = ("done", "done"),
    ended: bool = True,
) -> None:
    """A call answered by ``agent_id`` at ``at`` with a caller and an agent recording (the agent's
    started ``agent_offset_s`` later) whose transcripts have ``statuses`` and the segments ``lines``."""
    with sm.begin() as s:
        s.add(
            Call(
                call_id=call_id,
                caller="13800138000",
                channel=f"PJSIP/trunk-{call_id}",
                dialed="12345",
                queue=queue,
                ivr_keys="0",
                entered_ivr_at=at - timedelta(seconds=20),
                answered_at=at,
                ended_at=at + timedelta(seconds=120) if ended else None,
                agent_id=agent_id,
            )
        )
        s.flush()
        for side, offset, status in (("caller", 0.0, statuses[0]), ("agent", agent_offset_s, statuses[1])):
            rec_id = f"{call_id}-{side}"
            s.add(
                Recording(
                    recording_id=rec_id,
                    call_id=call_id,
                    side=side,
                    agent_id=agent_id,
                    path=f"{call_id}/{side}.wav",
                    started_at=at + timedelta(seconds=offset),
                    duration_s=120.0,
                    status="saved",
                )
            )
            s.flush()
            s.add(Transcript(recording_id=rec_id, call_id=call_id, status=status, queued_at=at))
            for line_side, start, end, text in lines:
                if line_side == side:
                    s.add(
                        TranscriptSegment(
                            recording_id=rec_id,
                            call_id=call_id,
                            side=side,
                            start_s=start,
                            end_s=end,
                            text=text,
                        )
                    )


GOOD = [
    ("agent", 0.5, 3.0, "您好，12345，请讲"),
    ("caller", 3.5, 8.0, "我想问一下公积金提取"),
    ("agent", 9.0, 14.0, "好的，我帮您查一下"),
]
RUDE = [
    ("agent", 0.5, 3.0, "您好，12345，请讲"),
    ("caller", 3.5, 8.0, "我家楼下一直施工很吵"),
    ("agent", 9.0, 12.0, "这个不归我们管"),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of each kind, shared by the module's tests (they use distinct call ids)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('qa') / 'qa.db'}"
        migrate(url)
        yield url
        return
    with scratch_database("hotline_qa") as url:
        migrate(url)
        yield url


@pytest.fixture
def sm(db_url: str) -> Iterator[sessionmaker[Session]]:
    """The database's session factory with agents 1001 and 1002."""
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    for agent_id, name in (("1001", "张三"), ("1002", "李四")):
        repo.upsert_agent(sessions, agent_id=agent_id, name=name, contact="", skills={})
    yield sessions
    engine.dispose()


def _loop(sm: sessionmaker[Session], *, seed: int = 7) -> InspectLoop:
    return InspectLoop(sm, rng=random.Random(seed), clock=lambda: T0 + timedelta(hours=1))


def test_rules_and_items_are_versioned_and_every_save_is_in_the_change_log(sm: sessionmaker[Session]) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    before, _ = store.rules(sm)
    words = ("不归我们管", "你自己看着办")
    version = store.save(sm, "rules", RuleSet(forbidden=WordRule(words=words)), ADMIN)
    assert version == before + 1
    assert store.rules(sm) == (version, RuleSet(forbidden=WordRule(words=words)))
    assert store.rules(sm, version=0)[1] == RuleSet()
    assert next(v.version for v in store.versions(sm, "rules")) == version
    items = ScoreItems(
        items=(
            ScoreItem(key="attitude", label="服务态度", weight=60),
            ScoreItem(key="accuracy", label="解答准确", weight=40),
        )
    )
    items_version = store.save(sm, "items", items, ADMIN)
    assert store.items(sm) == (items_version, items)
    changes = [c for c in list_changes(sm, area="qa_rules", since=since) if c.user_id == "admin"]
    assert {c.object_id for c in changes} == {"rules", "items"}
    rule_change = next(c for c in changes if c.object_id == "rules")
    assert '+      "你自己看着办"' in rule_change.diff
    assert rule_change.client == "127.0.0.1"
    with pytest.raises(QaError) as missing:
        store.rules(sm, version=10_000)
    assert missing.value.status_code == 404
    store.save(sm, "rules", RuleSet(), ADMIN)  # back to the defaults for the other tests
    store.save(sm, "items", store.items(sm, version=0)[1], ADMIN)


def test_the_pass_inspects_fully_transcribed_calls_once_and_lists_flagged_ones(
    sm: sessionmaker[Session],
) -> None:
    seed_call(sm, "p-rude", RUDE, agent_offset_s=2.0)
    seed_call(sm, "p-good", GOOD, agent_id="1002")
    seed_call(sm, "p-pending", RUDE, statuses=("done", "pending"))
    seed_call(sm, "p-live", RUDE, ended=False)
    seed_call(sm, "p-old", RUDE, at=T0 - timedelta(days=31))  # recorded before the pass's window
    loop = InspectLoop(sm, rng=random.Random(1), clock=lambda: T0)
    sample_none = RuleSet().model_copy(update={"sample_rate": 0.0})
    store.save(sm, "rules", sample_none, ADMIN)
    try:
        assert loop.run_once() >= 2
        assert loop.run_once() == 0
    finally:
        store.save(sm, "rules", RuleSet(), ADMIN)
    rude = worklist.inspection_of(sm, "p-rude")
    assert rude["state"] == "open"
    assert [(f["rule"], f["side"], f["start_s"]) for f in rude["flags"]] == [("forbidden", "agent", 11.0)]
    assert "不归我们管" in rude["flags"][0]["excerpt"]
    assert (rude["agent_id"], rude["queue"], rude["call_started_at"]) == ("1001", "general", T0)
    assert worklist.inspection_of(sm, "p-good")["state"] == "skipped"
    for not_ready in ("p-pending", "p-live", "p-old"):
        with pytest.raises(QaError):
            worklist.inspection_of(sm, not_ready)
    with sm.begin() as s:
        s.get(Transcript, "p-pending-agent").status = "done"  # type: ignore[union-attr]
    assert loop.run_once() == 1
    assert worklist.inspection_of(sm, "p-pending")["flag_count"] == 1


def test_holds_recorded_as_call_events_are_flagged(sm: sessionmaker[Session]) -> None:
    seed_call(sm, "h-held", GOOD)
    with sm.begin() as s:
        s.add(CallEvent(call_id="h-held", at=T0 + timedelta(seconds=20), kind="hold", detail={}))
        s.add(CallEvent(call_id="h-held", at=T0 + timedelta(seconds=100), kind="unhold", detail={}))
    _loop(sm).run_once()
    flags = worklist.inspection_of(sm, "h-held")["flags"]
    assert [(f["rule"], f["start_s"], f["end_s"]) for f in flags] == [("hold", 20.0, 100.0)]


def test_a_sample_of_clean_calls_joins_the_work_list(sm: sessionmaker[Session]) -> None:
    day = T0 + timedelta(days=3)
    for i in range(40):
        seed_call(sm, f"s-{i:02d}", GOOD, at=day + timedelta(minutes=i))
    store.save(sm, "rules", RuleSet().model_copy(update={"sample_rate": 0.25}), ADMIN)
    try:
        while _loop(sm, seed=3).run_once():
            pass
    finally:
        store.save(sm, "rules", RuleSet(), ADMIN)
    listed = worklist.work_list(sm, worklist.ListFilter(since=day, until=day + timedelta(hours=1)))
    assert 3 <= len(listed) <= 20
    assert all(r["sampled"] and r["flag_count"] == 0 for r in listed)
    assert (
        worklist.work_list(
            sm, worklist.ListFilter(since=day, until=day + timedelta(hours=1), reason="flagged")
        )
        == []
    )


def test_work_list_filters_and_scoring_close_the_item_once(sm: sessionmaker[Session]) -> None:
    day = T0 + timedelta(days=5)
    seed_call(sm, "w-1001", RUDE, at=day)
    seed_call(sm, "w-1002", RUDE, agent_id="1002", queue="enterprise", at=day + timedelta(minutes=5))
    _loop(sm).run_once()
    window = worklist.ListFilter(since=day, until=day + timedelta(days=1))
    assert [r["call_id"] for r in worklist.work_list(sm, window)] == ["w-1002", "w-1001"]
    by_agent = worklist.ListFilter(since=day, until=day + timedelta(days=1), agent_id="1001")
    assert [r["call_id"] for r in worklist.work_list(sm, by_agent)] == ["w-1001"]
    by_queue = worklist.ListFilter(since=day, until=day + timedelta(days=1), queue="enterprise")
    assert [(r["call_id"], r["rules"]) for r in worklist.work_list(sm, by_queue)] == [
        ("w-1002", ["forbidden"])
    ]
    worklist.save_score(
        sm, "w-1001", items_version=0, marks={"a": 1.0}, score=80.0, comment="用语不规范", by="qa1", now=day
    )
    with pytest.raises(QaError) as again:
        worklist.save_score(
            sm, "w-1001", items_version=0, marks={}, score=10.0, comment="", by="qa2", now=day
        )
    assert again.value.status_code == 409
    with pytest.raises(QaError) as unknown:
        worklist.save_score(sm, "nope", items_version=0, marks={}, score=10.0, comment="", by="qa2", now=day)
    assert unknown.value.status_code == 404
    scored = worklist.ListFilter(since=day, until=day + timedelta(days=1), state="scored")
    assert [(r["call_id"], r["score"]) for r in worklist.work_list(sm, scored)] == [("w-1001", 80.0)]
    assert worklist.inspection_of(sm, "w-1001")["score"]["comment"] == "用语不规范"
    values = worklist.filter_values(sm)
    assert {"agent_id": "1001", "name": "张三"} in values["agents"]
    assert {"general", "enterprise"} <= set(values["queues"])


def test_two_passes_at_once_store_each_inspection_once(sm: sessionmaker[Session]) -> None:
    day = T0 + timedelta(days=7)
    for i in range(6):
        seed_call(sm, f"c-{i}", RUDE, at=day + timedelta(minutes=i))
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        counts.append(_loop(sm).run_once())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = worklist.work_list(sm, worklist.ListFilter(since=day, until=day + timedelta(days=1)))
    assert len(listed) == 6
    assert sum(counts) == 6  # each inspection stored by one pass only
    assert all(worklist.inspection_of(sm, f"c-{i}")["flag_count"] == 1 for i in range(6))


def test_the_agent_report_has_each_agents_average_qa_score(sm: sessionmaker[Session]) -> None:
    day = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    for agent in ("1001", "1002"):  # signed in that day: the report has a row for each
        repo.log_agent_state(sm, agent_id=agent, at=day, status="available", state="waiting")
    for i, agent in enumerate(("1001", "1001", "1002")):
        seed_call(sm, f"r-{i}", RUDE, agent_id=agent, at=day + timedelta(minutes=i))
    _loop(sm).run_once()
    for i, value in enumerate((90.0, 70.0, 55.0)):
        worklist.save_score(
            sm, f"r-{i}", items_version=0, marks={}, score=value, comment="", by="qa1", now=day
        )
    window = report_window(Period.DAY, date(2026, 11, 20), datetime(2026, 12, 6, tzinfo=UTC))
    report = build_report(sm, ReportKind.AGENTS, window)
    by_agent = {r["agent_id"]: (r["qa_score"], r["qa_scored"]) for r in report["rows"]}
    assert by_agent["1001"] == (80.0, 2)
    assert by_agent["1002"] == (55.0, 1)
    assert (report["total"]["qa_score"], report["total"]["qa_scored"]) == (71.7, 3)
