"""Helpers of the remote-seat test: Chromium inside the agent's namespace, WebRTC and Asterisk counters."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from hotline.sandbox.instance import AsteriskSandbox

__all__ = ["asterisk_rtp_counts", "chromium_in_namespace", "ice_report", "pjsip_channelstats", "wait_ice"]

ICE_REPORT_JS = """
async () => {
  const session = window.__hotline_phone && window.__hotline_phone.session;
  const pc = session && session.connection;
  if (!pc) return null;
  const report = await pc.getStats();
  const out = { ice: pc.iceConnectionState, bytesReceived: 0, bytesSent: 0, packetsReceived: 0,
                packetsSent: 0, local: null, remote: null, localCandidates: [], remoteCandidates: [] };
  const describe = (c) => c && { type: c.candidateType, address: c.address, port: c.port,
                                 protocol: c.protocol, relayProtocol: c.relayProtocol || null };
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      out.bytesReceived = s.bytesReceived; out.packetsReceived = s.packetsReceived;
    }
    if (s.type === "outbound-rtp" && s.kind === "audio") {
      out.bytesSent = s.bytesSent; out.packetsSent = s.packetsSent;
    }
    if (s.type === "local-candidate") out.localCandidates.push(describe(s));
    if (s.type === "remote-candidate") out.remoteCandidates.push(describe(s));
    if (s.type === "transport" && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      out.local = pair ? describe(report.get(pair.localCandidateId)) : null;
      out.remote = pair ? describe(report.get(pair.remoteCandidateId)) : null;
      out.dtls = s.dtlsState;
    }
  });
  return out;
}
"""


def chromium_in_namespace(chromium: Path, netns: str, where: Path) -> Path:
    """An executable that runs ``chromium`` inside ``netns`` (Playwright's pipes are inherited)."""
    wrapper = where / "chromium-in-netns"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {netns} {chromium} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


async def ice_report(page: Page) -> dict[str, Any]:
    """The call's ICE state, selected candidate pair, candidates and audio byte counters."""
    report: dict[str, Any] | None = await page.evaluate(ICE_REPORT_JS)
    assert report is not None, "no peer connection on the page"
    return report


async def wait_ice(page: Page, states: set[str], timeout: float) -> dict[str, Any]:
    """Wait until the ICE connection state is one of ``states``; the report at that moment, with
    ``seen``: every state observed on the way (polled)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        report = await ice_report(page)
        if not seen or seen[-1] != report["ice"]:
            seen.append(report["ice"])
        if report["ice"] in states:
            return report | {"seen": seen}
        if time.monotonic() > deadline:
            raise AssertionError(f"ICE never reached {states}: {report}")
        await asyncio.sleep(0.25)


async def pjsip_channelstats(sandbox: AsteriskSandbox) -> str:
    """Asterisk's ``pjsip show channelstats`` (RTP packet counts per channel), as text."""
    return await asyncio.to_thread(sandbox.cli, "pjsip show channelstats")


def asterisk_rtp_counts(channelstats: str, channel: str) -> tuple[int, int]:
    """(received, sent) RTP packets of ``channel`` (``PJSIP/1001-00000001``) in pjsip channelstats."""
    wanted = channel.removeprefix("PJSIP/")
    for line in channelstats.splitlines():
        tokens = line.split()
        if wanted in tokens:
            at = tokens.index(wanted)
            return int(tokens[at + 3]), int(tokens[at + 7])
    raise AssertionError(f"{channel} is not in channelstats: {channelstats}")
