"""Call records reconciled from Asterisk's channel event log, on a real SQLite file.

The CEL lines are the shape Asterisk 22 writes with asterisk_conf/cel_custom.conf (taken from a real
sandbox call answered in the static fallback queue, trimmed to the channels that matter)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline import cel as cel_module
from hotline.cel import CelCalls, CelReader, read_calls
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.reconcile import ONCE_KEY, Reconciler

pytestmark = pytest.mark.timeout(60)

T0 = 1_796_539_675.0
CALLER = "13600136000"
INBOUND = "Local/12345@hotline-inbound-00000000;2"
MEMBER = "Local/1001@hotline-agent-phones-00000003;1"


def cel(kind: str, dt: float, uniqueid: str, **fields: str) -> str:
    """One CEL line ``dt`` seconds after T0."""
    base = {"num": CALLER, "exten": "12345", "context": "hotline-inbound", "channame": INBOUND}
    base |= {"appname": "", "appdata": "", "linkedid": uniqueid, "peer": ""}
    return json.dumps(
        base | fields | {"eventtype": kind, "eventtime": f"{T0 + dt:.6f}", "uniqueid": uniqueid}
    )


def shifted(line: str, by: float) -> str:
    """``line`` logged ``by`` seconds later."""
    event = json.loads(line)
    return json.dumps(event | {"eventtime": f"{float(event['eventtime']) + by:.6f}"})


def fallback_call(uid: str, *, answered: bool = True) -> list[str]:
    """A citizen call that reached the fallback queue (answered there, or hung up waiting)."""
    queue = {"exten": "fallback", "appname": "Queue", "appdata": "hotline-fallback,t,,,120"}
    lines = [
        cel("CHAN_START", 0.0, f"{uid}-citizen", num=""),
        cel("CHAN_START", 0.0, uid, num=""),
        cel("ANSWER", 0.001, f"{uid}-citizen", appname="AppDial2", appdata="(Outgoing Line)"),
        cel("ANSWER", 0.002, uid, appname="Answer"),
        cel("APP_START", 0.1, uid, **queue),
    ]
    if answered:
        lines += [
            cel("BRIDGE_ENTER", 0.3, "member-1", channame=MEMBER, context="hotline-agent-phones"),
            cel("BRIDGE_ENTER", 0.3, uid, peer=MEMBER, **queue),
            cel("BRIDGE_EXIT", 5.3, uid, **queue),
        ]
    return [*lines, cel("HANGUP", 5.4, uid, **queue), cel("HANGUP", 5.5, f"{uid}-citizen", exten="s")]


def acd_answered(uid: str) -> list[str]:
    """A citizen call the ACD's agent leg answered: the leg runs Bridge() onto the waiting caller, who is
    in the bridge first (its own BRIDGE_ENTER names no peer; the leg's names the caller)."""
    wait = {"exten": "s", "context": "hotline-wait"}
    leg = {"channame": "Local/1003*2*0.2@hotline-sim-agent-00000003;1", "context": "hotline-agent-leg"}
    return [
        cel("CHAN_START", 0.0, uid, num=""),
        cel("ANSWER", 0.002, uid, appname="Answer"),
        cel("BRIDGE_ENTER", 0.7, uid, **wait),
        cel("BRIDGE_ENTER", 0.8, "hl-leg", peer=INBOUND, appname="Bridge", **leg),
        cel("BRIDGE_EXIT", 2.8, "hl-leg", peer=INBOUND, appname="Bridge", **leg),
        cel("BRIDGE_EXIT", 2.8, uid, **wait),
        cel("HANGUP", 2.9, uid, exten="s", context="hotline-after"),
    ]


def queued_then_gone(uid: str) -> list[str]:
    """A citizen call that waited in the ACD's hold loop and hung up there."""
    wait = {"exten": "s", "context": "hotline-wait", "appname": "WaitExten"}
    return [
        cel("CHAN_START", 0.0, uid, num=""),
        cel("ANSWER", 0.002, uid, appname="Answer"),
        cel("HANGUP", 9.0, uid, **wait),
    ]


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    migrate(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def write(path: Path, lines: list[str]) -> Path:
    with path.open("a") as f:
        f.write("".join(line + "\n" for line in lines))
    return path


def reconciler(sm: sessionmaker[Session], path: Path, now: float = T0 + 100) -> Reconciler:
    return Reconciler(sessions=sm, cel_file=path, grace_s=10.0, clock=lambda: now)


def test_given_a_fallback_call_in_the_log_then_it_is_one_answered_citizen_call_via_fallback(
    tmp_path: Path,
) -> None:
    ended, live = read_calls(write(tmp_path / "cel.jsonl", fallback_call("cit-1-in")))
    assert live == []
    [call] = ended
    assert (call.call_id, call.caller, call.channel) == ("cit-1-in", CALLER, INBOUND)
    assert (call.answered, call.via_fallback, call.callback) == (True, True, False)
    assert call.answered_at == pytest.approx(T0 + 0.3)
    assert call.ended_at == pytest.approx(T0 + 5.4)


def test_given_a_call_to_an_old_hotline_number_then_it_is_a_citizen_call_with_that_number_recorded(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    lines = [
        line.replace('"exten": "12345"', '"exten": "12333"')
        for line in fallback_call("cit-9-in", answered=False)
    ]
    path = write(tmp_path / "cel.jsonl", lines)
    [call], _ = read_calls(path)
    assert call.dialed == "12333"

    reconciler(sessions, path).pass_once()
    row = repo.get_call(sessions, call_id="cit-9-in")
    assert row is not None
    assert row.dialed == "12333"


def test_given_the_acd_leg_bridged_onto_a_waiting_caller_then_the_call_is_answered_when_the_leg_joins(
    tmp_path: Path,
) -> None:
    [call], _ = read_calls(write(tmp_path / "cel.jsonl", acd_answered("cit-8-in")))
    assert (call.answered, call.via_fallback) == (True, False)
    assert call.answered_at == pytest.approx(T0 + 0.8)


def test_given_an_offer_answered_after_the_app_died_when_reconciled_then_answered_not_abandoned(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    repo.update_call(
        sessions, call_id="cit-9-in", queue="general", offered_at=datetime.fromtimestamp(T0 + 0.5, UTC)
    )
    assert reconciler(sessions, write(tmp_path / "cel.jsonl", acd_answered("cit-9-in"))).pass_once() == 1
    row = repo.get_call(sessions, call_id="cit-9-in")
    assert row is not None
    assert (row.outcome, row.queue) == ("answered", "general")
    assert row.talk_seconds == pytest.approx(2.1)


def test_given_a_long_log_when_read_from_a_time_then_it_starts_near_that_time_and_misses_no_call_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cel_module, "CHUNK_BYTES", 512)
    lines = [cel("CHAN_START", float(i), f"other-{i}", num="") for i in range(300)]
    later = [shifted(line, 400.0) for line in fallback_call("cit-10-in")]
    path = write(tmp_path / "cel.jsonl", lines + later)
    calls = CelCalls()
    read = CelReader(path, calls, since=T0 + 250.0).read()
    assert len(later) < read < len(lines) // 2
    assert [c.call_id for c in calls.pop_ended()] == ["cit-10-in"]


def test_given_a_line_cut_short_while_written_then_it_is_read_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "cel.jsonl"
    lines = fallback_call("cit-2-in")
    calls = CelCalls()
    reader = CelReader(path, calls)
    with path.open("w") as f:
        f.write("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    reader.read()
    assert [c.call_id for c in calls.pop_ended()] == ["cit-2-in"]
    with path.open("a") as f:
        f.write(lines[-1][20:] + "\n")
    assert reader.read() == 1


def test_given_calls_the_app_never_saw_when_reconciled_then_recorded_once_across_nodes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = write(tmp_path / "cel.jsonl", fallback_call("cit-3-in") + queued_then_gone("cit-4-in"))
    assert reconciler(sessions, path).pass_once() == 2
    assert reconciler(sessions, path).pass_once() == 0  # a second node, or a restart, changes nothing
    answered = repo.get_call(sessions, call_id="cit-3-in")
    assert answered is not None
    assert (answered.caller, answered.outcome, answered.queue) == (CALLER, "answered", "hotline-fallback")
    assert answered.answered_at == datetime.fromtimestamp(T0 + 0.3, UTC)
    assert answered.talk_seconds == pytest.approx(5.1)
    gone = repo.get_call(sessions, call_id="cit-4-in")
    assert gone is not None
    assert gone.outcome == "abandoned"
    assert gone.wait_seconds == pytest.approx(9.0, abs=0.01)
    kinds = [e.kind for e in repo.call_events(sessions, call_id="cit-3-in")]
    assert kinds.count(ONCE_KEY) == 1


def test_given_a_record_the_app_left_unfinished_when_reconciled_then_only_the_missing_facts_are_added(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    started = datetime.fromtimestamp(T0, UTC)
    repo.record_call_started(
        sessions, call_id="cit-5-in", caller=CALLER, channel=INBOUND, dialed="12345", at=started
    )
    repo.update_call(sessions, call_id="cit-5-in", queue="general", queued_at=started)
    path = write(tmp_path / "cel.jsonl", fallback_call("cit-5-in"))
    assert reconciler(sessions, path).pass_once() == 1
    row = repo.get_call(sessions, call_id="cit-5-in")
    assert row is not None
    assert (row.outcome, row.queue) == ("answered", "general")
    assert row.ended_at == datetime.fromtimestamp(T0 + 5.4, UTC)


def test_given_complete_records_or_calls_just_ended_then_nothing_is_written(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    repo.update_call(
        sessions,
        call_id="cit-6-in",
        outcome="abandoned",
        ended_at=datetime.fromtimestamp(T0 + 5.4, UTC),
    )
    path = write(tmp_path / "cel.jsonl", fallback_call("cit-6-in", answered=False))
    assert reconciler(sessions, path).pass_once() == 0
    assert reconciler(sessions, path, now=T0 + 6.0).pass_once() == 0
    write(path, queued_then_gone("cit-7-in"))
    early = reconciler(sessions, path, now=T0 + 12.0)
    assert early.pass_once() == 0
    assert repo.get_call(sessions, call_id="cit-7-in") is None
