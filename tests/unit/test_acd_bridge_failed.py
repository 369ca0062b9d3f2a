"""BridgeFailed in the pure engine: an agent answered but could not be bridged to the caller."""

from __future__ import annotations

import pytest

from acd.commands import AgentChanged, CallChanged, OfferCall
from acd.errors import UnknownCall
from acd.events import BridgeFailed, CallQueued
from acd.model import AgentState, AgentStatus, CallState
from acd.offer_outcomes import BRIDGE_FAILURES_ATTR
from tests.unit.test_acd_engine import Centre, of_type, offers


@pytest.fixture
def centre() -> Centre:
    return Centre()


def test_given_answered_leg_when_bridge_fails_then_agent_free_and_call_back_at_its_place_renamed(
    centre: Centre,
) -> None:
    centre.ready_agent("a1")
    centre.do(CallQueued("c1", "tax", "110", "PJSIP/t-1"), at=1000.0)
    centre.do(CallQueued("c2", "tax", "120", "PJSIP/t-2"), at=1005.0)
    commands = centre.do(BridgeFailed("c1", "a1", channel="PJSIP/t-1<renamed>"), at=1010.0)
    assert AgentChanged("a1", AgentStatus.AVAILABLE, AgentState.IDLE, None) in commands
    offer = of_type(commands, OfferCall)[0]
    assert isinstance(offer, OfferCall)
    assert (offer.call_id, offer.agent_id, offer.channel) == ("c1", "a1", "PJSIP/t-1<renamed>")
    assert centre.call("c1").entered_at == 1000.0
    assert centre.call("c1").attrs[BRIDGE_FAILURES_ATTR] == "1"
    assert (centre.agent("a1").calls_handled, centre.agent("a1").wrapup_until) == (0, None)
    assert [c.call_id for c in centre.store.waiting_calls("tax")] == ["c2"]


def test_given_bridge_failed_when_another_agent_is_idle_then_the_call_goes_to_them_first(
    centre: Centre,
) -> None:
    centre.ready_agent("a1")
    centre.now = 1001.0
    centre.ready_agent("a2")
    assert offers(centre.do(CallQueued("c1", "tax", "110", "PJSIP/t-1"), at=1002.0)) == [("c1", "a1")]
    commands = centre.do(BridgeFailed("c1", "a1", channel="PJSIP/t-1<renamed>"), at=1003.0)
    assert offers(commands) == [("c1", "a2")]
    assert centre.agent("a1").ready


def test_given_bridge_keeps_failing_when_given_up_then_call_ends_and_agent_takes_the_next(
    centre: Centre,
) -> None:
    centre.ready_agent("a1")
    centre.do(CallQueued("c1", "tax", "110", "PJSIP/t-1"), at=1000.0)
    centre.do(CallQueued("c2", "tax", "120", "PJSIP/t-2"), at=1005.0)
    commands = centre.do(BridgeFailed("c1", "a1", give_up=True), at=1010.0)
    assert CallChanged("c1", CallState.ENDED, "tax", None, "unbridged", 10.0) in commands
    assert offers(commands) == [("c2", "a1")]
    assert centre.store.get_call("c1") is None
    with pytest.raises(UnknownCall):
        centre.do(BridgeFailed("c1", "a1"))
