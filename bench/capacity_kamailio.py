"""The capacity benchmark's carrier path: calls arrive through Kamailio's dispatcher, as a carrier's would.

Setup ``ours_2nodes_kamailio``: a Kamailio front (``hotline.kamailio``, round robin, OPTIONS probing every
second) before two sandbox nodes, our centre over both (as :class:`bench.capacity_rigs.CentreRig`), and
one trunk ``bench`` for the carrier address 127.0.0.2 with room for every call. Each step runs one SIPp
(Debian's sip-tester, bound to 127.0.0.2) that sends the step's INVITEs to 12345 at the step's rate
(``bench/sipp/caller_until_bye.xml``): a real SIP dialog through Kamailio and real RTP from the node to
SIPp for the prompts and hold music, where the other setups use Local channels inside Asterisk. The
caller stays until the centre hangs up after the survey, or gives up after ``--patience`` seconds.

The ledger learns each call when its trunk channel appears on a node (``Newchannel`` of
``PJSIP/trunk-bench-`` from a caller of the step); the key is pressed over AMI like the other setups'
(``PlayDTMF`` received on the trunk channel when the IVR's first prompt starts), so the setups differ
only in how calls arrive. The achieved rate is the arrivals' rate at the nodes; a call SIPp sent that no
node saw is lost. Kamailio's processes count in ``cpu_pct``; SIPp's (the load generator) do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.capacity_rigs import CentreRig, PbxNodes, free_port
from hotline.ami.client import AmiEvent
from hotline.kamailio.config import DispatchNode, KamailioConfig
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.process import pids_with_arg
from hotline.trunks import load_trunks_file
from tests.cluster.sipp import sipp_argv, start_sipp

CARRIER = "127.0.0.2"
TRUNK_CHANNEL = "PJSIP/trunk-bench-"
SCENARIO = Path(__file__).resolve().parent / "sipp" / "caller_until_bye.xml"
TRUNKS = """schema_version: 1
trunks:
  - {name: bench, addresses: ["127.0.0.2/32"], codecs: [ulaw], max_calls: 100000}
lines:
  - {number: "12345", name: main, label: 12345 政务服务便民热线, flow: start}
"""


def write_trunks(state: Path) -> Path:
    """The trunks file of this setup (one carrier trunk, line 12345), written under ``state``."""
    path = state / "trunks.yaml"
    path.write_text(TRUNKS, encoding="utf-8")
    return path


def kamailio_for(
    nodes: PbxNodes, state: Path, sip_port: int, trunks_file: Path, *, reply_timeout_ms: int = 2000
) -> KamailioSandbox:
    """A Kamailio on ``sip_port`` dispatching to ``nodes`` (not started); a node that has not answered an
    INVITE within ``reply_timeout_ms`` is failed over and marked down (the front's default: 2 s)."""
    config = KamailioConfig(
        name=f"cap{os.getpid()}",
        sip_port=sip_port,
        ws_port=free_port(),
        nodes=tuple(
            DispatchNode(b.config.instance, "127.0.0.1", b.config.sip_port) for b in nodes.cluster.nodes
        ),
        ping_interval_s=1,
        reply_timeout_ms=reply_timeout_ms,
        trusted_net="127.0.0.1/32",
        trunks=load_trunks_file(trunks_file).trunks,
    )
    return KamailioSandbox(config=config, state_dir=state)


def failure_replies(work: Path) -> dict[str, int]:
    """How SIPp's failed calls ended: the status lines of the replies it did not expect (its error
    trace), or ``timeout`` for calls that got no final reply."""
    found: Counter[str] = Counter()
    for log in work.glob("*errors.log"):
        text = log.read_text(errors="replace")
        found.update(m.group(1) for m in re.finditer(r"received 'SIP/2\.0 (\d{3} [^\r\n']*)", text))
        found["timeout"] += text.count("timed out") + text.count("Call-Timeout")
    return {k: v for k, v in found.items() if v}


class KamailioRig(CentreRig):
    """Our centre over the nodes, its calls from SIPp through Kamailio."""

    def __init__(self, nodes: PbxNodes, state: Path, kamailio: KamailioSandbox) -> None:
        super().__init__(nodes, state)
        self.kamailio = kamailio
        self._work = state / "sipp"
        self._prefix = ""
        self._sipp: subprocess.Popen[bytes] | None = None

    async def start(self, agents: int, talk_s: float) -> None:
        """Start Kamailio and the centre; follow the trunk calls as they arrive."""
        await asyncio.to_thread(self.kamailio.up)
        await super().start(agents, talk_s)
        for link in self.nodes.links:
            link.on_event("Newchannel", self._on_new_channel)

    def _on_new_channel(self, event: AmiEvent) -> None:
        caller = event.get("CallerIDNum", "")
        if not self._prefix or not caller.startswith(self._prefix):
            return
        if event.get("Channel", "").startswith(TRUNK_CHANNEL):
            uniqueid = event.get("Uniqueid", "")
            self.nodes.ledger.arrived(caller, uniqueid)
            self._keys.expect(uniqueid)

    def parts(self) -> dict[str, list[int]]:
        """The processes measured, by part: the Asterisk nodes, the centre and Kamailio."""
        return {**super().parts(), "kamailio": pids_with_arg(str(self.kamailio.conf_file))}

    async def place(self, prefix: str, calls: int, cps: float, patience_s: float) -> tuple[int, float]:
        """Have SIPp send the step's calls at ``cps``; how many reached a node and their arrival rate."""
        self._prefix = prefix
        work = self._work / prefix
        work.mkdir(parents=True, exist_ok=True)
        scenario = work / SCENARIO.name
        scenario.write_text(SCENARIO.read_text().replace("@@PATIENCE_MS@@", str(round(patience_s * 1000))))
        argv = sipp_argv(
            str(scenario),
            f"{self.kamailio.config.bind_address}:{self.kamailio.config.sip_port}",
            service="12345",
            calls=calls,
            limit=100000,
            rate=cps,
            timeout_s=round(patience_s) + 180,
            keys={"prefix": prefix},
            local_ip=CARRIER,
        )
        self._sipp = start_sipp(argv, work)
        for _ in range(round((calls / cps + 15) * 5)):  # every call sent, and 15 s more to arrive
            if len(self.nodes.ledger.of(prefix)) >= calls:
                break
            await asyncio.sleep(0.2)
        arrivals = sorted(c.placed_at for c in self.nodes.ledger.of(prefix))
        spread = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
        return len(arrivals), ((len(arrivals) - 1) / spread if spread > 0 else cps)

    async def settle(self, prefix: str) -> None:
        """Wait for SIPp to finish the step, then read the centre's records."""
        await self._end_sipp(timeout_s=30)
        await super().settle(prefix)

    async def _end_sipp(self, *, timeout_s: float) -> None:
        proc, self._sipp = self._sipp, None
        if proc is None:
            return
        try:
            await asyncio.to_thread(proc.wait, timeout_s)
        except subprocess.TimeoutExpired:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(proc.wait, 10)
            if proc.poll() is None:
                proc.kill()
        if proc.returncode:
            work = self._work / self._prefix
            print(
                json.dumps({"sipp_exit": proc.returncode, "failed_by": failure_replies(work)}),
                file=sys.stderr,
            )

    async def stop(self) -> None:
        """Stop SIPp, the centre and Kamailio."""
        await self._end_sipp(timeout_s=0.1)
        try:
            await super().stop()
        finally:
            await asyncio.to_thread(self.kamailio.down)
