"""Several channel variables in one AGI round trip, on the real Asterisk: plain values (commas, an empty
value, Chinese text, the characters queue names, tags and numbers use) go through ``EXEC MSet`` and read
back unchanged; a value MSet would misread (quotes, a backslash, spaces, ``=``, parentheses) makes the
session set each variable on its own, and those read back unchanged too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.fastagi.server import FastAgiServer
from hotline.fastagi.session import AgiSession
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(90)]

PLAIN = {
    "HOTLINE_TAGS": "work_order,repeat_caller",
    "HOTLINE_PREFERRED_AGENT": "",
    "HOTLINE_FLOW_VERSION": "12345:7",
    "HOTLINE_QUEUE": "企业专席",
    "HOTLINE_TRANSFER_TO": "+86-10/961017#*@x",
}
AWKWARD = {
    "HOTLINE_NOTE": 'says "hi" \\ and (more) a=b | c',
    "HOTLINE_TAGS": "a,b",
}


class Recorder:
    """The route under test: sets the variables, reads each back, lets the call hang up."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.read: asyncio.Queue[dict[str, str]] = asyncio.Queue()

    async def __call__(self, session: AgiSession) -> None:
        await session.set_variables(self.values | {"HOTLINE_ROUTE": "hangup"})
        await self.read.put({name: await session.get_variable(name) or "" for name in self.values})


@pytest.fixture
async def route(sandbox: AsteriskSandbox) -> AsyncIterator[Recorder]:
    recorder = Recorder()
    server = FastAgiServer(host="127.0.0.1", port=sandbox.config.fastagi_port)
    server.add_route("ivr", recorder)
    await server.start()
    try:
        yield recorder
    finally:
        await server.close()


@pytest.mark.parametrize("values", [PLAIN, AWKWARD], ids=["plain", "awkward"])
async def test_variables_read_back_as_set(
    route: Recorder, driver: CallDriver, values: dict[str, str]
) -> None:
    route.values = values
    await driver.call("13800138000")
    assert await asyncio.wait_for(route.read.get(), 30) == values
