"""A burst of carrier calls on one trunk through Kamailio to two sandbox Asterisk nodes: how many the
trunk's limit of concurrent calls lets in and how many it refuses (503 Trunk Busy).

SIPp sends ``--calls`` INVITEs to the queue line 12315 from the carrier's address (127.0.0.2) at
``--rate`` calls per second, each held ``--hold-ms``; the trunk allows ``--max-calls``. Prints one JSON
line: answered and refused counts from SIPp's statistics, the most trunk channels seen at once on the
nodes (``peak_trunk_channels``, polled), and the wall time.

    .venv/bin/python -m bench.trunk_burst [--calls 60] [--rate 20] [--max-calls 20] [--hold-ms 8000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster, node_configs
from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from hotline.trunks import load_trunks_file
from ivr.prompts import ensure_default_prompts
from tests.cluster.sipp import sipp_argv, start_sipp
from tests.conftest import REPO_ROOT, free_port

CARRIER = "127.0.0.2"
TRUNKS = """schema_version: 1
trunks:
  - {{name: bench, addresses: ["{carrier}/32"], codecs: [ulaw, alaw], max_calls: {max_calls}}}
lines:
  - {{number: "12315", name: consumer, label: 12315 消费者投诉举报, queue: enterprise}}
"""


def build(state: Path, max_calls: int) -> tuple[SandboxCluster, KamailioSandbox]:
    """Two nodes and a Kamailio with one trunk, on free ports (not started)."""
    trunks = state / "trunks.yaml"
    trunks.write_text(TRUNKS.format(carrier=CARRIER, max_calls=max_calls), encoding="utf-8")
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    kamailio_port = free_port()
    base = SandboxConfig(
        instance=f"bench-trunk-{os.getpid()}",
        ami_port=free_port(),
        ami_username="hotline",
        ami_secret="bench-secret",
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001",),
        conf_src=REPO_ROOT / "asterisk_conf",
        max_wait_s=600,
        kamailio_sip_port=kamailio_port,
        trunks_file=trunks,
    )
    configs = node_configs(base, 2, port=lambda _kind, _k, _base: free_port())
    cluster = SandboxCluster(root=root, configs=configs, state_dir=state)
    kamailio = KamailioSandbox(
        config=KamailioConfig(
            name=f"bench-trunk-{os.getpid()}",
            sip_port=kamailio_port,
            ws_port=free_port(),
            nodes=tuple(DispatchNode(c.instance, "127.0.0.1", c.sip_port) for c in configs),
            ping_interval_s=1,
            trusted_net="127.0.0.1/32",
            trunks=load_trunks_file(trunks).trunks,
        ),
        state_dir=state / "kamailio",
    )
    return cluster, kamailio


def trunk_channels(cluster: SandboxCluster) -> int:
    """Channels on the bench trunk's endpoint, over both nodes."""
    return sum(
        line.startswith("PJSIP/trunk-bench-")
        for box in cluster.nodes
        for line in box.cli("core show channels concise").splitlines()
    )


def sipp_totals(stats: Path) -> dict[str, int]:
    """Successful and failed calls from SIPp's last statistics line."""
    rows = list(csv.DictReader(stats.read_text().splitlines(), delimiter=";"))
    last = rows[-1]
    return {"answered": int(last["SuccessfulCall(C)"]), "failed": int(last["FailedCall(C)"])}


def burst(
    cluster: SandboxCluster, kamailio: KamailioSandbox, args: argparse.Namespace, work: Path
) -> dict[str, object]:
    """Offer the burst and watch the nodes until SIPp is done."""
    target = f"127.0.0.1:{kamailio.config.sip_port}"
    argv = sipp_argv(
        "caller.xml", target, service="12315", calls=args.calls, limit=args.calls, rate=args.rate,
        hold_ms=args.hold_ms, local_ip=CARRIER, timeout_s=120,
    )  # fmt: skip
    argv += ["-trace_stat", "-stf", str(work / "stats.csv"), "-fd", "1"]
    started = time.monotonic()
    proc = start_sipp(argv, work)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, trunk_channels(cluster))
        time.sleep(0.1)
    refused = sum(text.count("SIP/2.0 503 Trunk Busy") for text in _logs(work))
    return {
        "calls": args.calls,
        "rate_cps": args.rate,
        "max_calls": args.max_calls,
        "hold_ms": args.hold_ms,
        **sipp_totals(work / "stats.csv"),
        "refused_503_trunk_busy": refused,
        "peak_trunk_channels": peak,
        "wall_s": round(time.monotonic() - started, 2),
    }


def _logs(work: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in work.glob("*errors.log")]


def main() -> None:
    """Run one burst and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--max-calls", type=int, default=20)
    parser.add_argument("--hold-ms", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-trunk-") as tmp:
        state = Path(tmp)
        cluster, kamailio = build(state, args.max_calls)
        cluster.up()
        try:
            kamailio.up()
            try:
                time.sleep(2.0)
                print(json.dumps(burst(cluster, kamailio, args, state / "sipp")))
            finally:
                kamailio.down()
        finally:
            cluster.down()


if __name__ == "__main__":
    main()
