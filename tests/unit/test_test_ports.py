"""The test suite's port blocks: disjoint per worker, below the kernel's ephemeral range, each port once."""

from __future__ import annotations

import itertools
import socket

import pytest

from tests.ports import LOWEST, PortBlock, ephemeral_low, worker_block, worker_slot


def test_given_three_workers_when_each_takes_its_block_then_blocks_are_disjoint_and_below_ephemeral(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    blocks = []
    for name in ("gw0", "gw1", "gw2"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
        blocks.append(worker_block())
    spans = [range(b.start, b.end) for b in blocks]
    assert spans[0].start == LOWEST
    assert all(a.stop <= b.start for a, b in itertools.pairwise(spans))
    assert spans[-1].stop <= ephemeral_low()


def test_given_no_xdist_when_slot_asked_then_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert worker_slot() == (0, 1)


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
