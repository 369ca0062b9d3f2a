"""The sandbox root's ``/etc/hosts`` names this machine, as a Debian host's does.

Asterisk inside the chroot reads the root's ``/etc/hosts``, not the host's. Every RTP instance whose RTCP
is switched on while bound to any address asks ``ast_find_ourip`` for the machine's address: it resolves
the host name and, when that fails, asks DNS for ``A.ROOT-SERVERS.NET``. On a machine without a
reachable name server that query waits for the resolver's timeout (5 s) in the SIP thread handling the
call, so INVITEs queue behind it unanswered (seen at 15 calls per second through Kamailio: 100 Trying
3.5-23 s late in steps of about 5 s). With the host name in the root's hosts file the answer is local.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["ensure_hostname_resolves"]

LOCAL_NAME_ADDRESS = "127.0.1.1"
"""Where Debian's installer maps the machine's own name."""


def ensure_hostname_resolves(root: Path, hostname: str | None = None) -> bool:
    """Add ``hostname`` (this machine's by default) to ``root``'s ``/etc/hosts`` unless it is named there
    already; whether the file was changed. The file is replaced whole, so a reader never sees half."""
    name = hostname or socket.gethostname()
    hosts = root / "etc" / "hosts"
    text = hosts.read_text(encoding="utf-8") if hosts.is_file() else "127.0.0.1\tlocalhost\n"
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if name in fields[1:]:
            return False
    if text and not text.endswith("\n"):
        text += "\n"
    hosts.parent.mkdir(parents=True, exist_ok=True)
    fresh = hosts.with_name(f".hosts.{os.getpid()}")
    fresh.write_text(f"{text}{LOCAL_NAME_ADDRESS}\t{name}\n", encoding="utf-8")
    fresh.chmod(0o644)
    os.replace(fresh, hosts)
    return True
