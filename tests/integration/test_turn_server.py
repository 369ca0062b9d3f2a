"""The project's coturn (hotline turn up) against a TURN client: REST credentials and peer rules.

Real coturn 4.6 from Debian, started from coturn_conf/ on free ports; no fake on the server side.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.turn.config import TurnConfig
from hotline.turn.credentials import turn_credential
from hotline.turn.process import TurnServer
from tests.conftest import free_port
from tests.integration.turn_client import TurnClient

ASTERISK_RTP_HOST = "10.20.30.40"


@pytest.fixture
def turn(tmp_path: Path) -> Iterator[TurnServer]:
    """coturn on loopback that may relay to one private host (standing for Asterisk)."""
    base = 56000 + (os.getpid() % 300) * 10
    config = TurnConfig(
        listen_address="127.0.0.1",
        port=free_port(),
        relay_min_port=base,
        relay_max_port=base + 9,
        allowed_peers=(ASTERISK_RTP_HOST,),
    )
    server = TurnServer(config=config, state_dir=tmp_path)
    server.up()
    try:
        yield server
    finally:
        server.down()


def client(server: TurnServer, username: str, password: str) -> TurnClient:
    return TurnClient(server.config.listen_address, server.config.port, username, password)


def test_given_fresh_rest_credential_when_allocating_then_relay_granted_and_only_asterisk_host_permitted(
    turn: TurnServer,
) -> None:
    cred = turn_credential(turn.secret(), "1001", ttl_s=600)
    c = client(turn, cred.username, cred.password)
    try:
        assert c.allocate().success
        assert c.create_permission(ASTERISK_RTP_HOST).success
        assert c.create_permission("10.20.30.41").error == 403
        assert c.create_permission("192.168.1.10").error == 403
        assert c.create_permission("127.0.0.1").error == 403
    finally:
        c.close()


def test_given_expired_or_forged_credential_when_allocating_then_refused(turn: TurnServer) -> None:
    expired = turn_credential(turn.secret(), "1001", ttl_s=-60)
    forged = turn_credential("not-the-secret", "1001", ttl_s=600)
    for cred in (expired, forged):
        c = client(turn, cred.username, cred.password)
        try:
            assert c.allocate().error == 401
        finally:
            c.close()


def test_given_running_server_when_asking_status_then_it_answers_stun_and_shows_no_secret(
    turn: TurnServer,
) -> None:
    status = turn.status()
    assert status["running"] is True
    assert status["answers_stun"] is True
    assert turn.secret() not in repr(status)
    turn.down()
    assert turn.status()["running"] is False
