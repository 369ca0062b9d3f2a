"""The NATed seat of the remote-seat test leaves nothing behind, also when the test inside it fails."""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.nat_seat import NatSeat, nat_seat, tools_missing


def listing(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout


def fail_inside_seat(seen: list[NatSeat]) -> None:
    with nat_seat() as seat:
        seen.append(seat)
        seat.allow_udp_only_to(seat.host_address, 3478)
        assert "MASQUERADE" in seat.rules()
        assert seat.router in listing("ip", "netns", "list")
        raise RuntimeError("the test inside failed")


def test_given_seat_when_the_test_inside_fails_then_namespaces_links_and_rules_are_gone() -> None:
    if tools_missing():
        pytest.fail(f"{', '.join(tools_missing())} missing: run scripts/setup-system.sh")
    seen: list[NatSeat] = []
    with pytest.raises(RuntimeError, match="inside"):
        fail_inside_seat(seen)
    seat = seen[0]
    namespaces = listing("ip", "netns", "list")
    assert seat.router not in namespaces
    assert seat.agent not in namespaces
    assert f"hlnat-h{seat.n}" not in listing("ip", "-o", "link")
    assert seat.host_address not in listing("ip", "-4", "-o", "addr")
