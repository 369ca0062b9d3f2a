#!/usr/bin/env python3
"""Degraded mode: a classic AGI script the dialplan runs when the FastAGI service is unreachable.

It runs inside Asterisk (``AGI(hotline/degraded.py)`` from ``agi-bin``), talks AGI over stdin/stdout
with pyst2 and needs nothing else from this project: it tells the caller that a person will answer
and marks the channel, then the dialplan sends the caller to the static fallback queue. When this
script cannot run at all, the dialplan plays the same notice with ``Playback``.
"""

from __future__ import annotations

import sys

from asterisk.agi import AGI, AGIException

NOTICE = "hotline/degraded_notice"


def main() -> int:
    """Play the notice and mark the channel as handled in degraded mode."""
    agi = AGI()
    try:
        agi.verbose("hotline degraded mode: FastAGI unreachable, caller goes to the fallback queue")
        agi.stream_file(NOTICE)
        agi.set_variable("HOTLINE_DEGRADED", "1")
    except AGIException as exc:
        sys.stderr.write(f"hotline degraded AGI: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
