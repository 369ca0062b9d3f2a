"""Running SIPp (Debian's sip-tester) with the scenarios in ``scenarios/``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import free_port

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
MEDIA_PORTS = 4
"""SIPp binds audio at its media port ``-mp`` and video two ports above it: keep four for it."""


def sipp_argv(
    scenario: str,
    target: str,
    *,
    service: str,
    calls: int = 1,
    limit: int = 1,
    rate: float = 10.0,
    timeout_s: int = 60,
    port: int = 0,
    hold_ms: int = 0,
    keys: dict[str, str] | None = None,
    local_ip: str = "127.0.0.1",
    auth: tuple[str, str] | None = None,
) -> list[str]:
    """The command line for ``calls`` runs of ``scenario`` against ``target`` (host:port), over UDP,
    sending from ``local_ip`` (a carrier's address, for instance); ``auth`` is the (user, password) a
    digest challenge is answered with."""
    sipp = shutil.which("sipp")
    assert sipp is not None, "sipp is not installed (scripts/setup-system.sh installs sip-tester)"
    argv = [
        sipp,
        target,
        "-sf",
        str(SCENARIOS / scenario),
        "-s",
        service,
        "-i",
        local_ip,
        "-p",
        str(port or free_port()),
        "-mp",
        str(free_port(MEDIA_PORTS)),
        "-m",
        str(calls),
        "-l",
        str(limit),
        "-r",
        str(rate),
        "-nostdin",
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-trace_err",
    ]
    if hold_ms:
        argv += ["-d", str(hold_ms)]
    if auth is not None:
        argv += ["-au", auth[0], "-ap", auth[1]]
    for name, value in (keys or {}).items():
        argv += ["-key", name, value]
    return argv


def start_sipp(argv: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    """Start SIPp in ``workdir`` (its logs go there), output to ``sipp.out``."""
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "sipp.out").open("ab") as out:
        return subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def sipp_log(workdir: Path) -> str:
    """What SIPp wrote in ``workdir`` (output and error traces), for assertion messages."""
    parts = [p.read_text(errors="replace")[-3000:] for p in sorted(workdir.glob("*.log"))]
    out = workdir / "sipp.out"
    if out.exists():
        parts.append(out.read_text(errors="replace")[-1500:])
    return "\n".join(parts)
