"""An agent's own call from a phone registered at Kamailio: the node it is dispatched to identifies the
agent's endpoint (PJSIP/1001), not the Kamailio endpoint a citizen's call arrives on, and lets the call
in only with the agent's password (digest, the auth object in AstDB on every node). SIPp (not written
here) is the phone: it registers at Kamailio, then calls 12345 as agent 1001.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.ami.client import AmiClient
from hotline.kamailio.process import KamailioSandbox
from hotline.sandbox.cluster import SandboxCluster
from hotline.sip_secrets import AUTH_FAMILY, auth_object
from tests.cluster.sipp import sipp_argv, sipp_log, start_sipp
from tests.cluster.ws_phone import give_password
from tests.conftest import free_port

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(120)]

AGENT = "1001"


@pytest.fixture
async def agent_password(cluster: SandboxCluster) -> AsyncIterator[str]:
    """A fresh SIP password of extension 1001 on both nodes (removed afterwards)."""
    password = secrets.token_urlsafe(12)
    links = []
    for box in cluster.nodes:
        c = box.config
        link = AmiClient(host="127.0.0.1", port=c.ami_port, username=c.ami_username, secret=c.ami_secret)
        await link.start()
        links.append(link)
        await link.send_action(
            {"Action": "DBPut", "Family": AUTH_FAMILY, "Key": AGENT, "Val": auth_object(AGENT, password)}
        )
    yield password
    for link in links:
        await link.send_action({"Action": "DBDel", "Family": AUTH_FAMILY, "Key": AGENT}, timeout=10)
        await link.close()


def register_phone(kamailio: KamailioSandbox, workdir: Path) -> None:
    """Register 1001 at Kamailio (its contact on a port nobody answers: only the calls out matter)."""
    target = f"127.0.0.1:{kamailio.config.sip_port}"
    auth = (AGENT, give_password(kamailio, AGENT))
    argv = sipp_argv(
        "register.xml", target, service=AGENT, keys={"contact_port": str(free_port())}, auth=auth
    )
    proc = start_sipp(argv, workdir)
    assert proc.wait(timeout=30) == 0, sipp_log(workdir)


def call_out(
    kamailio: KamailioSandbox, cluster: SandboxCluster, workdir: Path, password: str
) -> tuple[int, set[str]]:
    """The agent calls 12345 through Kamailio; SIPp's exit code and the channels the nodes had meanwhile
    (SIPp gives up 15 s after the call started)."""
    target = f"127.0.0.1:{kamailio.config.sip_port}"
    argv = sipp_argv(
        "agent_call.xml", target, service="12345", hold_ms=3000, keys={"agent": AGENT}, timeout_s=15
    )
    argv += ["-au", AGENT, "-ap", password, "-trace_msg"]
    proc = start_sipp(argv, workdir)
    seen: set[str] = set()
    deadline = time.monotonic() + 40
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for box in cluster.nodes:
                for line in box.cli("core show channels concise").splitlines():
                    seen.add(f"{box.config.instance}:{line.split('!')[0]}")
            time.sleep(0.2)
        return proc.wait(timeout=max(1.0, deadline - time.monotonic())), seen
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -1, seen


async def test_agent_call_lands_on_the_agents_endpoint_with_its_password(
    kamailio: KamailioSandbox, cluster: SandboxCluster, agent_password: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(register_phone, kamailio, tmp_path / "register")
    code, seen = await asyncio.to_thread(call_out, kamailio, cluster, tmp_path / "call", agent_password)
    assert code == 0, sipp_log(tmp_path / "call")
    names = {entry.split(":", 1)[1] for entry in seen}
    assert any(name.startswith(f"PJSIP/{AGENT}-") for name in names), seen
    assert not any(name.startswith("PJSIP/kamailio-") for name in names), seen


async def test_agent_call_with_a_wrong_password_is_refused(
    kamailio: KamailioSandbox, cluster: SandboxCluster, agent_password: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(register_phone, kamailio, tmp_path / "register")
    wrong = agent_password + "x"
    code, seen = await asyncio.to_thread(call_out, kamailio, cluster, tmp_path / "call", wrong)
    assert code != 0
    assert not any(f"PJSIP/{AGENT}-" in entry or "PJSIP/kamailio-" in entry for entry in seen), seen
    assert "CSeq: 2 INVITE" in challenge_of(tmp_path / "call"), "the credentials were not refused"


def challenge_of(workdir: Path) -> str:
    """The last 401 SIPp received (from its message trace), or ""."""
    trace = "".join(p.read_text(errors="replace") for p in workdir.glob("*messages.log"))
    received = trace.split("message received")[1:]
    replies = [m for m in received if m.split("\n\n", 1)[-1].startswith("SIP/2.0 401")]
    return replies[-1] if replies else ""
