"""Capacity: the largest sustained arrival rate carried with 0 lost calls, per setup, through the real path.

Every setup but the last carries the same call: the citizen dials 12345, hears the welcome prompt,
presses one key (0, 0.3 s after the prompt starts), waits in the queue, is answered by a simulated agent
(a Local channel that rings RING_S and talks ``--talk`` seconds), then hears the post-call survey
(question, retry, 5 s for a key each: the survey node's 8 s capped by
``HOTLINE_IVR_DIGIT_TIMEOUT_SECONDS``; the citizen presses none) and is hung up; a citizen who waited
``--patience`` seconds hangs up. Setups:

- ``ours_1node``: our centre (its own process) on one Asterisk sandbox; the IVR and survey over FastAGI,
  the ACD over AMI; calls are Local channel pairs originated over AMI;
- ``ours_2nodes``: our centre over two sandbox nodes (``HOTLINE_AMI_NODES``), calls placed on them
  alternately over each node's AMI (no Kamailio in front);
- ``ours_2nodes_kamailio``: the same two nodes and centre, calls sent by SIPp from a carrier address
  through Kamailio's dispatcher (real SIP and RTP; :mod:`bench.capacity_kamailio`);
- ``ours_1node_kamailio``: the carrier's path to one node (SIPp, Kamailio, one node): the trunk call of
  ``ours_1node`` without the AMI-originated Local channels, whose origination Asterisk pays for;
- ``app_queue_1node``: the baseline, the same call in plain dialplan on one sandbox
  (``[hotline-bench-ivr]``: Background() welcome, key 0, ``Queue(hotline-bench)``, survey with Read());
- ``app_queue_direct_1node``: plain app_queue on the shortest call, straight into ``Queue()`` and ended
  when the agent hangs up (no prompts, no survey; the baseline before the menu and survey were added).

Search: rates (``--rates``) are tried rising, each held ``--step-s`` seconds; the search stops at the first
rate that loses a call, where a caller gives up (``--patience``) or ASA p99 exceeds ``--asa-p99-limit``.
Lost = placed calls that neither were answered nor ended as abandoned/callback in the centre's records
(app_queue: AgentConnect / QueueCallerAbandon), or whose citizen channel Asterisk never showed ending.
cpu_pct = CPU of the Asterisk processes, the centre process and Kamailio over the step, one core = 100
(the load generators, this process and SIPp, are not counted); the step lines also give each part's CPU
milliseconds per call (``cpu_ms_per_call``), which a busy machine distorts less than the rate carried,
and which say where a setup's cost goes. Each step prints a JSON line on stderr;
each setup prints one line on stdout: the highest rate carried (or, when none was, the first rate tried):
``{"setup", "calls", "cps", "concurrent_peak", "answered", "lost", "asa_s_p50", "asa_s_p99", "cpu_pct"}``.

    .venv/bin/python -m bench.capacity [--setup ours_1node] [--rates 5,10,20,30] [--step-s 20] [--talk 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from bench.capacity_app_queue import AppQueueRig
from bench.capacity_kamailio import KamailioRig, kamailio_for, write_trunks
from bench.capacity_ledger import lost_outcomes, tally
from bench.capacity_rigs import RING_S, CentreRig, PbxNodes, free_udp_and_tcp_port
from bench.capacity_stats import CpuMeter, StepResult, agents_for, passed, percentile, rounded, search_outcome
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.prompts import ensure_default_prompts

SETUPS = {
    "ours_1node": 1,
    "ours_2nodes": 2,
    "ours_1node_kamailio": 1,
    "ours_2nodes_kamailio": 2,
    "app_queue_1node": 1,
    "app_queue_direct_1node": 1,
}


class Rig(Protocol):
    """What a setup offers the step runner."""

    async def start(self, agents: int, talk_s: float) -> None: ...
    async def place(self, prefix: str, calls: int, cps: float, patience_s: float) -> tuple[int, float]: ...
    async def settle(self, prefix: str) -> None: ...
    async def stop(self) -> None: ...
    def parts(self) -> dict[str, list[int]]: ...


async def drained(nodes: PbxNodes, prefix: str, timeout_s: float) -> None:
    """Wait until every call of ``prefix`` has hung up, at most ``timeout_s``."""
    for n in range(int(timeout_s * 2)):
        if n % 20 == 19:
            await nodes.reconcile(prefix)
        if not nodes.ledger.open_calls(prefix):
            return
        await asyncio.sleep(0.5)
    await nodes.reconcile(prefix)


async def run_step(
    setup: str, rig: Rig, nodes: PbxNodes, cps: float, prefix: str, args: argparse.Namespace
) -> StepResult:
    """Hold ``cps`` for ``--step-s`` seconds, wait for every call to end, and count."""
    calls = max(1, round(cps * args.step_s))
    meters = {part: CpuMeter(pids) for part, pids in rig.parts().items()}
    nodes.ledger.reset_peak()
    for meter in meters.values():
        meter.start()
    placed, achieved = await rig.place(prefix, calls, cps, args.patience)
    await drained(nodes, prefix, args.patience + args.talk + 60)
    cpu = round(sum(meter.stop() for meter in meters.values()), 1)
    await rig.settle(prefix)
    t = tally(nodes.ledger.of(prefix))
    return StepResult(
        setup=setup,
        calls=calls,
        cps=round(achieved, 1),
        concurrent_peak=nodes.ledger.peak,
        answered=t.answered,
        lost=t.lost + calls - placed,
        asa_s_p50=rounded(percentile(t.waits, 50)),
        asa_s_p99=rounded(percentile(t.waits, 99)),
        cpu_pct=cpu,
        abandoned=t.gave_up,
        call_s_p50=rounded(percentile(t.durations, 50), 1),
        cpu_ms_per_call={part: round(meter.used_s * 1000 / calls, 1) for part, meter in meters.items()},
    )


def loadavg() -> str:
    """The first three fields of /proc/loadavg."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def step_line(step: StepResult, nodes: PbxNodes, prefix: str, cps: float, agents: int) -> dict[str, Any]:
    """The progress line of one step: its result and what explains it."""
    detail = {
        "abandoned": step.abandoned,
        "cpu_ms_per_call": step.cpu_ms_per_call,
        "call_s_p50": step.call_s_p50,
        "ivr_keys_recorded": sum(1 for c in nodes.ledger.of(prefix) if c.ivr_keys),
        "lost_outcomes": lost_outcomes(nodes.ledger.of(prefix)),
        "target_cps": cps,
        "agents": agents,
    }
    return {"step": {**step.report(), **detail}, "loadavg": loadavg()}


async def run_setup(setup: str, root: Path, args: argparse.Namespace) -> StepResult:
    """Start the setup, step the rate up until it fails, stop it; the highest rate carried."""
    agents = args.agents or agents_for(max(args.rates), args.talk, RING_S)
    run = f"{secrets.randbelow(1000):03d}"
    with tempfile.TemporaryDirectory(prefix="capacity-") as tmp:
        state = Path(tmp)
        front = free_udp_and_tcp_port() if setup.endswith("_kamailio") else 0
        trunks = write_trunks(state) if front else None
        nodes = PbxNodes(root=root, state=state, count=SETUPS[setup], kamailio_port=front, trunks_file=trunks)
        await nodes.up()
        rig: Rig
        if setup.startswith("app_queue"):
            rig = AppQueueRig(nodes, ivr=setup != "app_queue_direct_1node")
        elif front and trunks is not None:
            kamailio = kamailio_for(
                nodes, state, front, trunks, reply_timeout_ms=args.kamailio_reply_timeout_ms
            )
            rig = KamailioRig(nodes, state, kamailio)
        else:
            rig = CentreRig(nodes, state)
        steps: list[StepResult] = []
        try:
            await rig.start(agents, args.talk)
            for n, cps in enumerate(args.rates):
                prefix = f"13{run}{n}"
                step = await run_step(setup, rig, nodes, cps, prefix, args)
                steps.append(step)
                print(json.dumps(step_line(step, nodes, prefix, cps, agents)), file=sys.stderr, flush=True)
                if not passed(step, args.asa_p99_limit):
                    break
        finally:
            await rig.stop()
            await nodes.down()
            if args.keep:
                keep_logs(state, Path(args.keep) / f"{setup}-{run}")
    return search_outcome(steps, args.asa_p99_limit) or steps[0]


def keep_logs(state: Path, target: Path) -> None:
    """Copy the run's logs (the nodes' and Kamailio's console logs, SIPp's traces) to ``target``."""
    for log in state.rglob("*.log"):
        if log.is_file():
            copy = target / log.relative_to(state)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, copy)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setup", action="append", choices=sorted(SETUPS), help="repeatable; default all")
    parser.add_argument("--rates", default="5,10,20,30", help="arrival rates to try, calls per second")
    parser.add_argument("--step-s", type=float, default=20.0, help="seconds each rate is held")
    parser.add_argument("--talk", type=float, default=8.0, help="talk seconds of each answered call")
    parser.add_argument("--agents", type=int, default=0, help="simulated agents (default: enough)")
    parser.add_argument("--patience", type=float, default=60.0, help="seconds a caller waits at most")
    parser.add_argument(
        "--kamailio-reply-timeout-ms",
        type=int,
        default=2000,
        help="ours_2nodes_kamailio: how long Kamailio waits for a node's reply before failing over",
    )
    parser.add_argument("--keep", default="", help="a directory to copy each setup's logs to")
    parser.add_argument("--asa-p99-limit", type=float, default=10.0, help="ASA p99 that ends the search")
    args = parser.parse_args(argv)
    args.rates = sorted(float(r) for r in str(args.rates).split(",") if r.strip())
    args.setup = args.setup or list(SETUPS)
    return args


async def main_async(args: argparse.Namespace) -> None:
    """Run the setups one after the other, one JSON line each."""
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    for setup in args.setup:
        best = await run_setup(setup, root, args)
        print(json.dumps(best.report()), flush=True)


def main() -> None:
    """Command-line entry point."""
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
