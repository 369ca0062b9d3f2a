"""Agent phones' SIP passwords on the real Asterisk: random, handed to one owner, rotated without a restart.

A raw SIP REGISTER with digest authentication (tests/integration/sip_register.py) asks Asterisk itself
whether a password still registers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest

from hotline.ami.client import AmiClient
from hotline.sandbox.instance import AsteriskSandbox
from hotline.sip_secrets import SipSecrets, entitled_owners, owner_of
from tests.integration.sip_register import register

pytestmark = pytest.mark.timeout(60)

OK = 200


@pytest.fixture
async def ami(sandbox: AsteriskSandbox) -> AsyncIterator[AmiClient]:
    c = sandbox.config
    client = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def registers(sandbox: AsteriskSandbox, extension: str, password: str) -> bool:
    status = await asyncio.to_thread(register, "127.0.0.1", sandbox.config.sip_port, extension, password)
    return status == OK


async def test_given_the_ami_secret_when_a_password_is_derived_from_it_then_it_does_not_register(
    sandbox: AsteriskSandbox,
) -> None:
    derived = hmac.new(sandbox.config.ami_secret.encode(), b"sip:1001", hashlib.sha256).hexdigest()[:24]
    assert not await registers(sandbox, "1001", derived)


async def test_given_a_handed_out_password_when_the_phone_changes_hands_then_the_old_one_stops_working(
    sandbox: AsteriskSandbox, ami: AmiClient
) -> None:
    store = SipSecrets(ami)
    first = await store.password_for("1003", owner="agent-a:1")
    assert len(first) >= 24
    assert await registers(sandbox, "1003", first)
    assert await store.password_for("1003", owner="agent-a:1") == first
    assert not await registers(sandbox, "1003", first + "x")

    second = await store.password_for("1003", owner="agent-b:1")
    assert second != first
    assert not await registers(sandbox, "1003", first), "the former holder is locked out, no restart"
    assert await registers(sandbox, "1003", second)


async def test_given_a_user_who_changed_when_reconciled_then_their_password_is_rotated_to_nobody(
    sandbox: AsteriskSandbox, ami: AmiClient
) -> None:
    store = SipSecrets(ami)
    before = owner_of("agent-c", contact="PJSIP/1002", role="agent", password_hash="h1")
    password = await store.password_for("1002", owner=before)
    assert await registers(sandbox, "1002", password)
    unchanged = entitled_owners([("agent-c", "PJSIP/1002", "agent", "h1")])
    assert "1002" not in await store.reconcile(unchanged)
    assert await registers(sandbox, "1002", password)

    reset = entitled_owners([("agent-c", "PJSIP/1002", "agent", "h2")])
    assert "1002" in await store.reconcile(reset)
    assert not await registers(sandbox, "1002", password)
    assert (await store.owners())["1002"] == "-"
    assert "1002" not in await store.reconcile({}), "an extension held by nobody stays as it is"


def test_entitled_owners_follow_phone_contacts_and_ids() -> None:
    rows = [
        ("1001", "", "agent", "h"),
        ("alice", "PJSIP/1002", "agent", "h"),
        ("bob", "PJSIP/1002", "agent", "h"),
        ("carol", "Local/555@out", "agent", "h"),
    ]
    got = entitled_owners(rows)
    assert set(got) == {"1001", "1002"}
    assert got["1002"] == {
        owner_of("alice", contact="PJSIP/1002", role="agent", password_hash="h"),
        owner_of("bob", contact="PJSIP/1002", role="agent", password_hash="h"),
    }
    assert owner_of("x", contact="", role="agent", password_hash="a") != owner_of(
        "x", contact="", role="admin", password_hash="a"
    )
