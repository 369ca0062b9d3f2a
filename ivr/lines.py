"""Where a dialled number's caller enters the IVR flow (the line's ``flow`` in the trunks file).

The dialplan passes the line's flow entry as the ``ivr`` route's first argument: ``start`` (or
nothing) is the flow's own start; a node id of the main flow starts the caller there, e.g. an old
department number that goes straight to its department's menu. An entry the live flow does not have
is logged and the flow starts as usual, so a flow edit never strands a line's callers.
"""

from __future__ import annotations

import logging

from ivr.flow.model import Flow

__all__ = ["FLOW_START", "entry_flow"]

FLOW_START = "start"

log = logging.getLogger(__name__)


def entry_flow(main: Flow, entry: str) -> Flow:
    """``main`` starting at ``entry`` (itself for ``start``, nothing, or a node it does not have)."""
    if entry in ("", FLOW_START, main.start):
        return main
    if entry not in main.nodes:
        log.warning("line flow entry %r is no node of flow %s; starting at %s", entry, main.id, main.start)
        return main
    return main.model_copy(update={"start": entry})
