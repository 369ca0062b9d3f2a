"""Guest credentials issued at the same instant, on one app node or two, against the real Asterisk and Redis:
each goes to its own guest endpoint and every one of them authenticates.

Issuing reads the slots' expiries from Asterisk and then writes the chosen slot's password; two issues
that read before either wrote picked the same slot, and the second password replaced the first, so one
citizen's page held a credential that no longer worked.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre
from hotline.bus_relay import redis_client
from hotline.guest_grants import RedisGrants
from hotline.guest_pool import GUEST_IDS
from hotline.guest_service import HOLD_SLOT_S, Grant, GuestService
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.test_guest_credential import NOT_FOUND, invite
from tests.redis_keys import drop_prefix

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(120)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def free_every_slot(centre: Centre) -> None:
    """The sandbox's AstDB outlives a test: start from no guest slot handed out."""
    for user in GUEST_IDS:
        await centre.guests.pool.revoke(user)


async def all_authenticate(sandbox: AsteriskSandbox, grants: list[Grant]) -> None:
    """Each credential is accepted by Asterisk (then refused a target its dialplan does not have)."""
    port = sandbox.config.sip_port
    for grant in grants:
        c = grant.credential
        assert await invite(port, c.user, "1001", c.password) == NOT_FOUND, c.user


async def test_given_issues_at_one_instant_on_one_node_then_each_gets_its_own_working_slot(
    centre: Centre, sandbox: AsteriskSandbox
) -> None:
    await free_every_slot(centre)
    grants = await asyncio.gather(*(centre.guests.issue() for _ in range(6)))
    users = [g.credential.user for g in grants]
    assert len(set(users)) == 6, users
    await all_authenticate(sandbox, grants)


@pytest.fixture
async def two_nodes(centre: Centre) -> AsyncIterator[tuple[GuestService, GuestService]]:
    """Two app nodes' guest services: one Asterisk, grants shared in Redis under one prefix."""
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    nodes = tuple(
        GuestService(
            ami=centre.ami,
            acd=centre.acd,
            sessions=centre.sessions,
            grants=RedisGrants(redis_client(REDIS_URL), prefix=prefix, keep_s=HOLD_SLOT_S),
        )
        for _ in range(2)
    )
    try:
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            await node.grants.close()
        drop_prefix(REDIS_URL, prefix)


async def test_given_issues_at_one_instant_on_two_nodes_then_each_gets_its_own_working_slot(
    centre: Centre, sandbox: AsteriskSandbox, two_nodes: tuple[GuestService, GuestService]
) -> None:
    await free_every_slot(centre)
    first, second = two_nodes
    grants = await asyncio.gather(*(node.issue() for node in (first, second) * 4))
    users = [g.credential.user for g in grants]
    assert len(set(users)) == 8, users
    await all_authenticate(sandbox, grants)
