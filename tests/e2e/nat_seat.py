"""A remote seat behind NAT on this machine: network namespaces, veth pairs and iptables, all removable.

Layout (``n`` differs per test process)::

    host (the centre: app, Asterisk, coturn)  10.200.n.1/30 ──veth── 10.200.n.2/30  router namespace
                                                                        │ MASQUERADE of 192.168.n.0/24
    agent namespace (Chromium)                192.168.n.2/24 ──veth── 192.168.n.1/24

The router's iptables rules live in its namespace, so deleting the namespaces removes every rule and
both veth pairs whatever happened in the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["NatSeat", "nat_seat"]


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")


@dataclass(frozen=True)
class NatSeat:
    """Names and addresses of one NATed seat."""

    n: int

    @property
    def router(self) -> str:
        """The router namespace."""
        return f"hlnat-r{self.n}"

    @property
    def agent(self) -> str:
        """The agent's namespace, where the browser runs."""
        return f"hlnat-a{self.n}"

    @property
    def host_address(self) -> str:
        """The centre's address on the router's outside link."""
        return f"10.200.{self.n}.1"

    @property
    def router_outside(self) -> str:
        """The router's outside address: what the centre sees the agent's packets come from."""
        return f"10.200.{self.n}.2"

    @property
    def agent_address(self) -> str:
        """The agent's private address."""
        return f"192.168.{self.n}.2"

    def create(self) -> None:
        """Namespaces, links, routes and the MASQUERADE rule."""
        n, r, a = self.n, self.router, self.agent
        _run("ip", "netns", "add", r)
        _run("ip", "netns", "add", a)
        _run("ip", "link", "add", f"hlnat-h{n}", "type", "veth", "peer", "name", "out", "netns", r)
        # no IPv6 link-local address on the host's side: each address appearing on the host makes every
        # Chromium on it drop its connecting requests (net::ERR_NETWORK_CHANGED), other tests' pages too
        _run("ip", "link", "set", "dev", f"hlnat-h{n}", "addrgenmode", "none")
        _run("ip", "addr", "add", f"{self.host_address}/30", "dev", f"hlnat-h{n}")
        _run("ip", "link", "set", f"hlnat-h{n}", "up")
        _run("ip", "-n", r, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", a)
        _run("ip", "-n", r, "addr", "add", f"{self.router_outside}/30", "dev", "out")
        _run("ip", "-n", r, "addr", "add", f"192.168.{n}.1/24", "dev", "lan")
        _run("ip", "-n", a, "addr", "add", f"{self.agent_address}/24", "dev", "eth0")
        for ns, links in ((r, ("lo", "out", "lan")), (a, ("lo", "eth0"))):
            for link in links:
                _run("ip", "-n", ns, "link", "set", link, "up")
        _run("ip", "-n", a, "route", "add", "default", "via", f"192.168.{n}.1")
        _run("ip", "-n", r, "route", "add", "default", "via", self.host_address)
        _run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.iptables(
            "-t", "nat", "-A", "POSTROUTING", "-s", f"192.168.{n}.0/24", "-o", "out", "-j", "MASQUERADE"
        )

    def allow_udp_only_to(self, host: str, port: int) -> None:
        """The seat's network lets UDP out only to ``host``:``port`` (the TURN server); TCP is open."""
        self.iptables(
            "-A", "FORWARD", "-i", "lan", "-p", "udp", "-d", host, "--dport", str(port), "-j", "ACCEPT"
        )
        self.iptables("-A", "FORWARD", "-i", "lan", "-p", "udp", "-j", "DROP")

    def iptables(self, *rule: str) -> None:
        """Add a rule in the router namespace."""
        _run("ip", "netns", "exec", self.router, "iptables", *rule)

    def rules(self) -> str:
        """The router's iptables rules (filter and nat), for the test's records."""
        out = []
        for table in ("filter", "nat"):
            done = subprocess.run(
                ["ip", "netns", "exec", self.router, "iptables", "-t", table, "-S", "-v"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            out.append(done.stdout)
        return "".join(out)

    def remove(self) -> None:
        """Delete both namespaces (their links, routes and rules go with them); never raises."""
        for ns in (self.agent, self.router):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20, check=False)
        subprocess.run(
            ["ip", "link", "del", f"hlnat-h{self.n}"], capture_output=True, timeout=20, check=False
        )


def tools_missing() -> list[str]:
    """The command-line tools a NATed seat needs that are not installed."""
    return [
        tool
        for tool in ("ip", "iptables")
        if shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin") is None
    ]


@contextmanager
def nat_seat() -> Iterator[NatSeat]:
    """A fresh NATed seat, removed on the way out even when the test fails."""
    seat = NatSeat(os.getpid() % 200 + 20)
    seat.remove()
    try:
        seat.create()
        yield seat
    finally:
        seat.remove()
