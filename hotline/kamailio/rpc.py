"""Reading Kamailio's RPC answers (kamcmd's text form)."""

from __future__ import annotations

import re

__all__ = ["parse_dispatcher_list", "parse_dispatcher_loads"]

URI = re.compile(r"^\s*URI:\s*(\S+)\s*$")
FLAGS = re.compile(r"^\s*FLAGS:\s*(\S+)\s*$")
LOAD = re.compile(r"^\s*DLGLOAD:\s*(\d+)\s*$")


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


def parse_dispatcher_loads(text: str) -> dict[str, int]:
    """``{destination URI: calls it carries}`` from ``dispatcher.list`` (counted by the call-load
    algorithm only)."""
    found: dict[str, int] = {}
    uri: str | None = None
    for line in text.splitlines():
        if (m := URI.match(line)) is not None:
            uri = m.group(1)
        elif (m := LOAD.match(line)) is not None and uri is not None:
            found[uri] = int(m.group(1))
    return found
