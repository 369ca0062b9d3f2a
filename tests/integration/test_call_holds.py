"""Holds of a citizen's call through the real Asterisk: recorded once as ``hold`` / ``unhold`` call events,
closed at the caller's hang-up, and flagged by the quality inspection pass when longer than its rule.

The agent holds the caller with the desktop's consultation (Asterisk's attended transfer plays music on
hold to the caller, and reports AMI ``Hold`` / ``Unhold`` on the agent's leg as well): both sources
report the same hold, which must be recorded once.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.db.access import writing
from hotline.holds import HoldBook
from qa import store, worklist
from qa.config import DurationRule, RuleSet
from qa.errors import QaError
from qa.inspect_loop import InspectLoop
from recordings.models import Recording, Transcript
from tests.integration.attended import wait_bridged
from tests.integration.calls import CallDriver, eventually
from tests.integration.desktop import DesktopClient
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk

HELD_S = 3.0


def _holds(centre: Centre, call_id: str) -> list[repo.CallEventRow]:
    return [e for e in repo.call_events(centre.sessions, call_id=call_id) if e.kind in ("hold", "unhold")]


def _ended(centre: Centre, call_id: str) -> bool:
    row = repo.get_call(centre.sessions, call_id=call_id)
    return row is not None and row.ended_at is not None


async def _consult_department(
    centre: Centre, driver: CallDriver, agent_id: str, caller: str
) -> tuple[str, DesktopClient]:
    """A connected call whose agent consults 12315 (the caller is held) until the department answers."""
    desk = await seat(centre, agent_id, {"general": 1})
    call_id = await connected_call(driver, desk, caller)
    before = len(driver.events)
    resp = await desk.http.post("/api/me/call/consult", json={"directory_id": "consumer"}, headers=desk.auth)
    assert resp.status_code == 200, resp.text
    await driver.wait_event(
        lambda e: (
            e.name == "BridgeEnter"
            and e.get("Channel", "").startswith("Local/12315*")
            and any(seen.event is e for seen in driver.events[before:])
        ),
        timeout=15,
    )
    return call_id, desk


def _inspection(centre: Centre, call_id: str) -> dict[str, object] | None:
    try:
        return worklist.inspection_of(centre.sessions, call_id)
    except QaError:
        return None


def _transcribed_recording(centre: Centre, call_id: str, started_at: datetime) -> None:
    """The call's recording, transcribed without speech: what makes a call ready for inspection."""
    with writing(centre.sessions) as s:
        s.add(
            Recording(
                recording_id=f"rec-{call_id}",
                call_id=call_id,
                side="agent",
                agent_id="7401",
                path=f"{call_id}-agent.wav",
                started_at=started_at,
                ended_at=started_at + timedelta(seconds=30),
                duration_s=30.0,
                status="saved",
            )
        )
        s.add(
            Transcript(
                recording_id=f"rec-{call_id}",
                call_id=call_id,
                status="done",
                queued_at=started_at,
                done_at=started_at,
            )
        )


async def test_given_agent_holds_a_call_for_seconds_then_one_hold_pair_is_recorded_and_qa_flags_it(
    centre: Centre, driver: CallDriver
) -> None:
    rules = RuleSet().model_copy(update={"hold": DurationRule(max_s=1.0), "sample_rate": 0.0})
    store.save(centre.sessions, "rules", rules, store.Editor(user_id="admin", role="admin"))
    requested = time.time()
    call_id, desk = await _consult_department(centre, driver, "7401", "13800000401")
    try:
        await asyncio.sleep(HELD_S)
        back = await desk.http.post("/api/me/call/consult/cancel", headers=desk.auth)
        assert back.status_code == 200, back.text
        released = time.time()
        await wait_bridged(driver, call_id, "Local/7401*")
        await asyncio.sleep(1.0)  # an AMI Unhold after the release must not add an event
        await driver.hang_up(call_id)
        await eventually(lambda: _ended(centre, call_id), timeout=15)
        await centre.recorder.drained()
    finally:
        await desk.close()

    reported = {x.event.name for x in driver.events if x.event.get("Channel", "").startswith("Local/7401*")}
    assert {"Hold", "Unhold"} <= reported  # Asterisk reported the hold too: two sources, one hold
    events = _holds(centre, call_id)
    assert [e.kind for e in events] == ["hold", "unhold"], events
    hold, unhold = events
    assert requested - 1.0 <= hold.at.timestamp() <= unhold.at.timestamp() <= released + 1.0
    assert unhold.at.timestamp() - hold.at.timestamp() >= HELD_S - 0.5

    answered = repo.get_call(centre.sessions, call_id=call_id)
    assert answered is not None
    assert answered.answered_at is not None
    _transcribed_recording(centre, call_id, answered.answered_at)
    inspector = InspectLoop(centre.sessions, rng=random.Random(1))

    def inspected() -> dict[str, object] | None:
        # the call is ready only when the centre's own recording of it is settled too (saved or found
        # without a file), which a loaded machine takes seconds to do: pass again until it is
        inspector.run_once()
        return _inspection(centre, call_id)

    inspection = await eventually(inspected, timeout=30, interval=0.5)
    assert isinstance(inspection, dict)
    flagged = [f for f in inspection["flags"] if f["rule"] == "hold"]
    assert len(flagged) == 1, inspection["flags"]
    assert flagged[0]["end_s"] - flagged[0]["start_s"] >= HELD_S - 0.5


async def test_given_caller_hangs_up_while_held_then_the_hold_ends_at_the_hang_up(
    centre: Centre, driver: CallDriver
) -> None:
    call_id, desk = await _consult_department(centre, driver, "7402", "13800000402")
    try:
        await driver.hang_up(call_id)
        hung_up = time.time()
        await eventually(lambda: _ended(centre, call_id), timeout=15)
        await eventually(lambda: len(_holds(centre, call_id)) >= 2, timeout=15)
        await centre.recorder.drained()
    finally:
        await desk.close()
    events = _holds(centre, call_id)
    assert [e.kind for e in events] == ["hold", "unhold"], events
    assert events[1].detail["source"] == "hangup"
    assert events[0].at <= events[1].at
    assert abs(events[1].at.timestamp() - hung_up) < 5.0


async def test_given_consultation_completed_then_the_hold_ends_when_the_caller_joins_the_department(
    centre: Centre, driver: CallDriver
) -> None:
    call_id, desk = await _consult_department(centre, driver, "7403", "13800000403")
    try:
        done = await desk.http.post("/api/me/call/consult/complete", headers=desk.auth)
        assert done.status_code == 200, done.text
        joined = time.time()
        await wait_bridged(driver, call_id, "Local/12315*")
        await asyncio.sleep(1.0)  # the agent's leg hangs up meanwhile: no second unhold
        await driver.hang_up(call_id)
        await eventually(lambda: _ended(centre, call_id), timeout=15)
        await centre.recorder.drained()
    finally:
        await desk.close()
    events = _holds(centre, call_id)
    assert [e.kind for e in events] == ["hold", "unhold"], events
    assert events[1].detail["source"] != "hangup"
    assert events[1].at.timestamp() <= joined + 1.0


def test_given_two_sources_hold_one_call_then_the_hold_begins_and_ends_once() -> None:
    book = HoldBook()
    assert book.hold("c1", "consult", 10.0)
    assert not book.hold("c1", "ami:PJSIP/a-1", 10.1)
    assert not book.release("c1", "consult")
    assert not book.release("c1", "ami:PJSIP/b-2")  # never held by it
    assert book.release("c1", "ami:PJSIP/a-1")
    assert not book.release("c1", "ami:PJSIP/a-1")
    assert not book.end("c1")
    assert book.hold("c1", "consult", 20.0)
    assert book.end("c1")
    assert not book.is_held("c1")
