"""The test suite's port blocks: disjoint per worker, below the kernel's ephemeral range, each port once."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

import pytest

from tests.ports import LOWEST, SLOTS, PortBlock, claim_slot, ephemeral_low, slot_block


def test_given_processes_claiming_slots_then_each_gets_its_own_until_none_is_left(tmp_path: Path) -> None:
    first, held_first = claim_slot(tmp_path, slots=2)
    second, held_second = claim_slot(tmp_path, slots=2)
    try:
        assert {first, second} == {0, 1}
        with pytest.raises(RuntimeError, match="more than 2 test processes"):
            claim_slot(tmp_path, slots=2)
    finally:
        held_first.close()
    again, held_again = claim_slot(tmp_path, slots=2)  # a process that ended gave its slot back
    assert again == first
    held_again.close()
    held_second.close()


def test_the_slots_blocks_are_disjoint_and_below_the_ephemeral_range() -> None:
    blocks = [slot_block(i) for i in range(SLOTS)]
    assert blocks[0].start == LOWEST
    assert all(a.end <= b.start for a, b in itertools.pairwise(blocks))
    assert blocks[-1].end <= ephemeral_low()
    assert min(b.end - b.start for b in blocks) >= 2000


def test_given_a_port_in_use_when_taking_then_it_is_skipped_and_none_is_handed_out_twice() -> None:
    """Around a port held open here (kernel-chosen, so no test worker's block holds it)."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        held = busy.getsockname()[1]
        small = PortBlock(start=held, end=held + 4)
        taken = [small.take() for _ in range(3) if small.cursor < 4]
        with pytest.raises(RuntimeError, match="free port"):
            small.take()
    assert held not in taken
    assert len(set(taken)) == len(taken)
    assert set(taken) <= set(range(held + 1, held + 4))


def test_given_a_run_of_ports_when_taken_then_it_starts_even_and_none_of_it_is_handed_out_again() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1] + 1
    small = PortBlock(start=base, end=base + 16)
    first = small.take()
    run = small.take(4)
    assert run % 2 == 0
    later = [small.take() for _ in range(3)]
    assert not {first, *later} & set(range(run, run + 4))
