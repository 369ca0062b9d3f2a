"""A caller keys in a work-order number on the real Asterisk and hears its status read out.

What the caller heard is taken from Asterisk: the AGI commands of the call name the prompt files
played, and the generated file is checked on disk (its text is Mandarin by espeak-ng's transcription).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from ivr.order_status import prompt_id_for
from ivr.order_status_speech import CONFIDENTIAL_TEXT, OrderFacts, status_text
from ivr.prompt_audio import phonemes
from ivr.prompts import prompt_seconds
from tests.integration.calls import CallDriver
from tests.integration.ivr_calls import ScriptedCall, ScriptedDialer
from tests.integration.ivr_support import clock, ivr_centre, queued, where
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup, Status

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]
__all__ = ["clock", "ivr_centre"]

REPORTER = "13900000077"
DISPATCHED_AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def new_order(caller: str, *, confidential: bool = False) -> NewWorkOrder:
    return NewWorkOrder(
        caller=Caller(
            name="王女士",
            number=caller,
            contact_preference=ContactPreference.ANY,
            special_group=SpecialGroup.NONE,
            confidential=confidential,
        ),
        channel=Channel.PHONE,
        category=Category.HELP,
        matter="楼道灯损坏",
        content="小区3号楼楼道灯坏了一个月没人修。",
        elements=FiveElements(),
        address="示例市幸福路8号",
    )


def keyed(number: str) -> str:
    return number.replace("-", "")


def heard(call: ScriptedCall) -> list[str]:
    return [prompt for _, prompt in call.prompts]


async def test_given_orders_when_callers_key_their_numbers_then_status_not_found_or_confidential(
    ivr_centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    tickets = ivr_centre.tickets
    open_order = tickets.create(new_order("13900000011"), created_by="test")
    dispatched = tickets.dispatch(open_order.number, main="zjj", actor="test", now=DISPATCHED_AT)
    secret = tickets.create(new_order(REPORTER, confidential=True), created_by="test")
    assert dispatched.reply_due is not None
    expected = status_text(
        OrderFacts(
            number=dispatched.number,
            status=Status.DISPATCHED,
            department="市住房和城乡建设局",
            reply_due=dispatched.reply_due,
        )
    )
    own_secret = status_text(OrderFacts(number=secret.number, status=Status.INTAKE))

    dialer = ScriptedDialer(driver.ami)
    scripts = {
        "found": ("13800000021", keyed(dispatched.number)),
        "not_found": ("13800000022", "1234520261125999999"),
        "confidential_other": ("13800000023", keyed(secret.number)),
        "confidential_own": (REPORTER, keyed(secret.number)),
    }
    calls = {
        name: await dialer.dial(caller, [("main_menu", "1"), ("order_number", f"{digits}#")])
        for name, (caller, digits) in scripts.items()
    }
    events = dict(
        zip(calls, await asyncio.gather(*(queued(driver, c, 120) for c in calls.values())), strict=True)
    )
    for name, event in events.items():
        assert where(event) == ("general", "0", "work_order_query"), name

    said = {
        "found": expected,
        "confidential_other": CONFIDENTIAL_TEXT,
        "confidential_own": own_secret,
    }
    for name, text in said.items():
        prompt = prompt_id_for(text)
        assert heard(calls[name])[-1] == prompt, name
        assert "work_order_not_found" not in heard(calls[name]), name
        assert prompt_seconds(sandbox.sounds_dir, prompt) > 4.0, name
    assert heard(calls["not_found"])[-1] == "work_order_not_found"
    assert "12月" in expected
    assert "市住房和城乡建设局" in expected
    assert "已派单" in expected
    assert "已受理" in own_secret
    for text in said.values():
        assert "(en)" not in phonemes(text)
    for call in calls.values():
        await dialer.hang_up(call)
