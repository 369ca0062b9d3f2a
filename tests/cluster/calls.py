"""Where calls through Kamailio land: each node's Kamailio channels, watched while SIPp places calls."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from hotline.sandbox.instance import AsteriskSandbox
from tests.cluster.sipp import sipp_argv, sipp_log, start_sipp

HOLD_MS = 3000


@dataclass(frozen=True)
class Channel:
    """One channel of ``core show channels concise``."""

    name: str
    context: str
    uniqueid: str


@dataclass
class Landing:
    """The channels each node had from Kamailio while the calls ran, and how SIPp ended."""

    channels: dict[str, set[Channel]] = field(default_factory=dict)
    returncode: int | None = None
    log: str = ""

    @property
    def nodes(self) -> set[str]:
        """The nodes that got at least one call."""
        return {name for name, seen in self.channels.items() if seen}


def kamailio_channels(box: AsteriskSandbox) -> set[Channel]:
    """The node's channels that came from (or go to) the Kamailio endpoint."""
    found: set[Channel] = set()
    for line in box.cli("core show channels concise").splitlines():
        fields = line.split("!")
        if len(fields) >= 14 and fields[0].startswith("PJSIP/kamailio-"):
            found.add(Channel(fields[0], fields[1], fields[-1]))
    return found


def place_calls(
    kamailio: KamailioSandbox,
    cluster: SandboxCluster,
    workdir: Path,
    *,
    calls: int,
    timeout_s: float = 60.0,
    watch: Callable[[], None] | None = None,
) -> Landing:
    """Place ``calls`` concurrent calls to 12345 at Kamailio and see on which nodes they land;
    ``watch`` is called too while the calls run."""
    target = f"{kamailio.config.bind_address}:{kamailio.config.sip_port}"
    argv = sipp_argv("caller.xml", target, service="12345", calls=calls, limit=calls, hold_ms=HOLD_MS)
    landing = Landing(channels={name: set() for name in cluster.names})
    proc = start_sipp(argv, workdir)
    deadline = time.monotonic() + timeout_s
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for box in cluster.nodes:
                if box.is_running():
                    landing.channels[box.config.instance] |= kamailio_channels(box)
            if watch is not None:
                watch()
            time.sleep(0.2)
        landing.returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    landing.log = sipp_log(workdir)
    return landing


def wait_flags(kamailio: KamailioSandbox, uri: str, prefix: str, timeout_s: float = 30.0) -> str:
    """Wait until the dispatcher's flags for ``uri`` start with ``prefix``; the flags then."""
    deadline = time.monotonic() + timeout_s
    while True:
        flags = kamailio.dispatcher_nodes().get(uri, "")
        if flags.startswith(prefix) or time.monotonic() > deadline:
            return flags
        time.sleep(0.1)
