"""The database down as a call enters the IVR, on the real Asterisk: no dead air, a person answers.

The IVR's reads at the start of the call (``ivr.call_start``) go to a PostgreSQL server that is not
there; the route gives up on the flow and the dialplan puts the caller in the fallback queue at once.
"""

from __future__ import annotations

import asyncio

import pytest

from hotline.ami.client import AmiEvent
from hotline.app import Centre
from hotline.db.engine import make_engine, session_factory
from ivr.call_start import DbCallStarts
from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog
from tests.integration.calls import CallDriver, user_event
from tests.integration.ivr_calls import ScriptedDialer
from tests.integration.ivr_support import clock, ivr_centre

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]
__all__ = ["clock", "ivr_centre"]

NOBODY_LISTENS = "postgresql://postgres@127.0.0.1:1/hotline"


async def test_given_the_database_down_when_a_citizen_calls_then_the_fallback_queue_takes_the_call(
    ivr_centre: Centre, driver: CallDriver
) -> None:
    engine = make_engine(NOBODY_LISTENS)
    sessions = session_factory(engine)
    ivr_centre.ivr.deps.starts = DbCallStarts(
        sessions=sessions, catalog=FlowCatalog(sessions=sessions), directory=DbCallerDirectory(sessions)
    )
    failed = ivr_centre.bus.subscribe("call.ivr_failed", "call.ivr_finished")
    dialer = ScriptedDialer(driver.ami)
    try:
        call = await dialer.dial("13200000001")
        answered = await driver.wait_event(
            lambda e: (
                e.name == "Newstate"
                and e.get("Uniqueid") == call.call_id
                and e.get("ChannelStateDesc") == "Up"
            )
        )
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id), timeout=30)
        assert fallback.at - answered.at < 5.0, "the caller waited in silence"

        def queue_app(e: AmiEvent) -> bool:
            return (
                e.name == "Newexten" and e.get("Uniqueid") == call.call_id and e.get("Application") == "Queue"
            )

        queue = await driver.wait_event(queue_app, timeout=20)
        outcome = await asyncio.wait_for(failed.get(), timeout=10)
        assert (outcome.topic, outcome.data["call_id"]) == ("call.ivr_failed", call.call_id)
        assert fallback.event.get("Reason") == "", "the FastAGI exchange itself succeeded"
        assert queue.event.get("AppData", "").startswith("hotline-fallback")
        assert call.prompts == [], "no menu was played"
        await dialer.hang_up(call)
    finally:
        failed.close()
        engine.dispose()
