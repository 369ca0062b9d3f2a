"""Reading Kamailio's RPC answers (kamcmd's text form)."""

from __future__ import annotations

import re

__all__ = ["parse_dispatcher_list"]

URI = re.compile(r"^\s*URI:\s*(\S+)\s*$")
FLAGS = re.compile(r"^\s*FLAGS:\s*(\S+)\s*$")


def parse_dispatcher_list(text: str) -> dict[str, str]:
    """``{destination URI: flags}`` from ``dispatcher.list`` (flags like ``AP`` active+probing, ``IP``
    inactive+probing, ``DX`` disabled)."""
    found: dict[str, str] = {}
    uri: str | None = None
    for line in text.splitlines():
        if (m := URI.match(line)) is not None:
            uri = m.group(1)
        elif (m := FLAGS.match(line)) is not None and uri is not None:
            found[uri] = m.group(1)
            uri = None
    return found
