"""How fast Kamailio's dispatcher drops a dead Asterisk node and takes it back: two sandbox nodes behind
the sandbox Kamailio, one node stopped (graceful ``core stop now``) or SIGKILLed, then started again.

Prints one JSON line per round: seconds from the stop to the dispatcher marking the node inactive
(``down_detected_s``), from the node being booted again to it being active (``up_detected_s``), and
where calls placed right after the detection landed (SIPp through Kamailio); then the cost of a call
that meets the dead node before the probes do (probing off, node still marked active: the failure_route
waits for the reply timeout, then tries the next node), as the extra wall time of two sequential calls
(``failover_penalty_s``); then a summary line.

    .venv/bin/python -m bench.kamailio_failover [--rounds 3] [--ping-interval 1]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path

from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.instance import AsteriskSandbox
from hotline.sandbox.process import kill_group, wait_gone
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.prompts import ensure_default_prompts
from tests.cluster.calls import place_calls, wait_flags
from tests.cluster.sipp import sipp_argv, start_sipp
from tests.conftest import REPO_ROOT, free_port


def build(state: Path, ping_interval_s: int) -> tuple[SandboxCluster, KamailioSandbox]:
    """Two nodes and a Kamailio over them, on free ports (not started)."""
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    kamailio_port = free_port()
    base = SandboxConfig(
        instance=f"bench-ds-{os.getpid()}",
        ami_port=free_port(),
        ami_username="hotline",
        ami_secret="bench-secret",
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001",),
        conf_src=REPO_ROOT / "asterisk_conf",
        max_wait_s=60,
        kamailio_sip_port=kamailio_port,
    )
    configs = node_configs(base, 2, port=lambda _kind, _k, _base: free_port())
    cluster = SandboxCluster(root=root, configs=configs, state_dir=state)
    kamailio = KamailioSandbox(
        config=KamailioConfig(
            name=f"bench-{os.getpid()}",
            sip_port=kamailio_port,
            ws_port=free_port(),
            nodes=tuple(DispatchNode(c.instance, "127.0.0.1", c.sip_port) for c in configs),
            ping_interval_s=ping_interval_s,
            reply_timeout_ms=1000,
        ),
        state_dir=state,
    )
    return cluster, kamailio


def stop(box: AsteriskSandbox, how: str) -> None:
    """Stop the node gracefully or kill its process group."""
    if how == "graceful":
        box.down()
        return
    pid = box.status()["pid"]
    assert isinstance(pid, int)
    kill_group(pid, signal.SIGKILL)
    wait_gone([pid], 5.0)


def one_round(cluster: SandboxCluster, kamailio: KamailioSandbox, how: str, work: Path) -> dict[str, object]:
    """Stop node 2, time the detection, place calls, start it again, time the recovery."""
    dead = cluster.nodes[1]
    uri = f"sip:127.0.0.1:{dead.config.sip_port}"
    wait_flags(kamailio, uri, "AP")
    started = time.monotonic()
    stop(dead, how)
    flags = wait_flags(kamailio, uri, "I", timeout_s=60)
    down_s = time.monotonic() - started
    landing = place_calls(kamailio, cluster, work, calls=4)
    dead.down()
    dead.up()
    booted = time.monotonic()
    wait_flags(kamailio, uri, "A", timeout_s=60)
    return {
        "stop": how,
        "flags_after_stop": flags,
        "down_detected_s": round(down_s, 2),
        "up_detected_s": round(time.monotonic() - booted, 2),
        "calls": 4,
        "calls_ok": landing.returncode == 0,
        "landed_on": sorted(landing.nodes),
    }


def two_calls_s(kamailio: KamailioSandbox, work: Path) -> tuple[float, bool]:
    """Wall seconds of two sequential 10 ms calls through Kamailio, and whether both succeeded."""
    target = f"{kamailio.config.bind_address}:{kamailio.config.sip_port}"
    argv = sipp_argv("caller.xml", target, service="12345", calls=2, limit=1, hold_ms=10)
    started = time.monotonic()
    code = start_sipp(argv, work).wait(timeout=60)
    return time.monotonic() - started, code == 0


def failover_penalty(cluster: SandboxCluster, kamailio: KamailioSandbox, work: Path) -> dict[str, object]:
    """Two calls with both nodes up, then two with node 2 dead but still marked active."""
    dead = cluster.nodes[1]
    uri = f"sip:127.0.0.1:{dead.config.sip_port}"
    wait_flags(kamailio, uri, "AP")
    normal_s, normal_ok = two_calls_s(kamailio, work / "normal")
    kamailio.rpc("dispatcher.ping_active", "0")
    stop(dead, "sigkill")
    try:
        kamailio.rpc("dispatcher.set_state", "ap", "1", uri)
        failover_s, failover_ok = two_calls_s(kamailio, work / "failover")
    finally:
        kamailio.rpc("dispatcher.ping_active", "1")
        dead.down()
        dead.up()
    return {
        "reply_timeout_ms": kamailio.config.reply_timeout_ms,
        "two_calls_normal_s": round(normal_s, 2),
        "two_calls_one_failover_s": round(failover_s, 2),
        "failover_penalty_s": round(failover_s - normal_s, 2),
        "calls_ok": normal_ok and failover_ok,
    }


def main() -> None:
    """Run the rounds and print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ping-interval", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ds-") as tmp:
        cluster, kamailio = build(Path(tmp), args.ping_interval)
        cluster.up()
        kamailio.up()
        rounds = []
        try:
            for n in range(args.rounds):
                for how in ("graceful", "sigkill"):
                    result = one_round(cluster, kamailio, how, Path(tmp) / f"sipp-{n}-{how}")
                    print(json.dumps(result), flush=True)
                    rounds.append(result)
            print(json.dumps(failover_penalty(cluster, kamailio, Path(tmp) / "penalty")), flush=True)
        finally:
            kamailio.down()
            cluster.down()
    down = [float(str(r["down_detected_s"])) for r in rounds]
    summary = {
        "ping_interval_s": args.ping_interval,
        "rounds": len(rounds),
        "down_detected_s_median": statistics.median(down),
        "down_detected_s_max": max(down),
        "all_calls_on_survivor": all(r["calls_ok"] and len(r["landed_on"]) == 1 for r in rounds),  # type: ignore[arg-type]
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
