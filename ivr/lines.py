"""Where a dialled number's caller enters the IVR flow (the line's ``flow`` or ``queue`` in the trunks
file, passed by the dialplan as the ``ivr`` route's two arguments).

- ``flow``: ``start`` (or nothing) is the flow's own start; a node id of the main flow starts the
  caller there, e.g. an old department number that goes straight to its department's menu. An entry
  the live flow does not have is logged and the flow starts as usual, so a flow edit never strands a
  line's callers.
- ``queue``: the caller goes straight to that queue (a queue node added at the start), still through
  the IVR route, so the call is recorded, tagged from the caller directory and surveyed like any other.
"""

from __future__ import annotations

import logging

from ivr.flow.model import Flow
from ivr.flow.nodes import QueueNode

__all__ = ["FLOW_START", "LINE_QUEUE_NODE", "entry_flow"]

FLOW_START = "start"
LINE_QUEUE_NODE = "_line_queue"

log = logging.getLogger(__name__)


def entry_flow(main: Flow, entry: str = "", queue: str = "") -> Flow:
    """``main`` starting at the line's queue, or at ``entry`` (itself for ``start``, nothing, or a node
    it does not have)."""
    if queue:
        node = QueueNode(type="queue", queue=queue, label=f"line queue {queue}")
        return main.model_copy(
            update={"start": LINE_QUEUE_NODE, "nodes": {**main.nodes, LINE_QUEUE_NODE: node}}
        )
    if entry in ("", FLOW_START, main.start):
        return main
    if entry not in main.nodes:
        log.warning("line flow entry %r is no node of flow %s; starting at %s", entry, main.id, main.start)
        return main
    return main.model_copy(update={"start": entry})
