"""SIP passwords on several Asterisk nodes, each with its own AstDB (real AMI sockets): a rotation reaches
every connected node, and a node that was away while passwords rotated is brought up to date when it
reconnects, from the node with the newest generation, whichever connects first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from hotline.ami.client import AmiClient
from hotline.ami.nodes import PbxNodes
from hotline.sip_secrets import AUTH_FAMILY, OWNER_FAMILY, SipSecrets
from tests.unit.ami_fake_server import FakeAmi, Frame, frame_get

pytestmark = pytest.mark.timeout(30)


class AstDbAmi(FakeAmi):
    """A node whose AstDB answers DBPut, DBDel, DBGet and DBGetTree."""

    def __init__(self) -> None:
        super().__init__()
        self.db: dict[tuple[str, str], str] = {}

    async def _answer(self, writer: asyncio.StreamWriter, text: str) -> None:
        frame: Frame = [
            (k, v) for k, v in (line.split(": ", 1) for line in text.strip().split("\r\n") if ": " in line)
        ]
        action = frame_get(frame, "Action").lower()
        if not action.startswith("db"):
            await super()._answer(writer, text)
            return
        self.received.append(frame)
        family, key, aid = frame_get(frame, "Family"), frame_get(frame, "Key"), frame_get(frame, "ActionID")
        reply = f"Response: Success\r\nActionID: {aid}\r\n\r\n"
        if action == "dbput":
            self.db[(family, key)] = frame_get(frame, "Val")
        elif action == "dbdel":
            self.db.pop((family, key), None)
        elif action == "dbgettree":
            rows = [(k, v) for (f, k), v in self.db.items() if f == family]
            if not rows:
                reply = f"Response: Error\r\nActionID: {aid}\r\nMessage: Database entry not found\r\n\r\n"
            else:
                reply = f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n\r\n" + "".join(
                    f"Event: DBGetTreeResponse\r\nActionID: {aid}\r\nKey: /{family}/{k}\r\nVal: {v}\r\n\r\n"
                    for k, v in rows
                )
                reply += f"Event: DBGetTreeComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n\r\n"
        elif action == "dbget":
            value = self.db.get((family, key))
            if value is None:
                reply = f"Response: Error\r\nActionID: {aid}\r\nMessage: Database entry not found\r\n\r\n"
            else:
                reply = (
                    f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n\r\n"
                    f"Event: DBGetResponse\r\nActionID: {aid}\r\nFamily: {family}\r\n"
                    f"Key: {key}\r\nVal: {value}\r\n\r\n"
                    f"Event: DBGetComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n\r\n"
                )
        writer.write(reply.encode())
        await writer.drain()


@pytest.fixture
async def two() -> AsyncIterator[tuple[AstDbAmi, AstDbAmi, PbxNodes, SipSecrets]]:
    a, b = AstDbAmi(), AstDbAmi()
    for server in (a, b):
        await server.start()
    pbx = PbxNodes(
        [
            AmiClient(
                host="127.0.0.1",
                port=s.port,
                username="hotline",
                secret=s.secret,
                node=n,
                reconnect_delay=0.01,
            )
            for n, s in (("a", a), ("b", b))
        ]
    )
    secrets = SipSecrets(pbx)
    await pbx.start(connect_timeout=3.0)
    await FakeAmi.wait_until(lambda: pbx.node_connected("a") and pbx.node_connected("b"))
    yield a, b, pbx, secrets
    await pbx.close()
    await a.stop()
    await b.stop()


def _password(server: AstDbAmi, extension: str) -> str | None:
    stored = server.db.get((AUTH_FAMILY, extension))
    return None if stored is None else str(json.loads(stored)["password"])


async def test_given_two_nodes_when_a_password_rotates_then_both_nodes_have_it(
    two: tuple[AstDbAmi, AstDbAmi, PbxNodes, SipSecrets],
) -> None:
    a, b, _pbx, secrets = two

    password = await secrets.rotate("1001", owner="u1:abc")

    assert _password(a, "1001") == password
    assert _password(b, "1001") == password


async def test_given_a_node_away_during_rotations_when_it_reconnects_then_it_gets_the_newest_passwords(
    two: tuple[AstDbAmi, AstDbAmi, PbxNodes, SipSecrets],
) -> None:
    a, b, pbx, secrets = two
    old = await secrets.rotate("1001", owner="former:abc")
    await secrets.rotate("1002", owner="u2:def")
    await b.stop()
    await FakeAmi.wait_until(lambda: not pbx.node_connected("b"))

    new = await secrets.rotate("1001", owner="u1:abc")
    a.db.pop((AUTH_FAMILY, "1002"))
    a.db.pop((OWNER_FAMILY, "1002"))
    assert _password(b, "1001") == old

    await b.start()
    await FakeAmi.wait_until(lambda: _password(b, "1001") == new)

    assert _password(b, "1002") is None
    assert b.db == a.db
