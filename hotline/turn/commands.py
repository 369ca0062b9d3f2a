"""``hotline turn up|down|status|render``: the project's own coturn for browser phones behind NAT."""

from __future__ import annotations

import json

from hotline.settings import Settings
from hotline.turn.errors import TurnError
from hotline.turn.settings import sandbox_turn_server

__all__ = ["cmd_turn"]


def cmd_turn(settings: Settings, action: str) -> int:
    """Start, stop, render or describe the sandbox TURN server; JSON on stdout."""
    server = sandbox_turn_server(settings)
    try:
        if action == "up":
            server.up()
        elif action == "down":
            server.down()
        elif action == "render":
            print(server.render())
            return 0
    except TurnError as exc:
        print(json.dumps({"error": exc.error_id, "message": str(exc), **exc.details}, default=str))
        return 1
    print(json.dumps(server.status(), default=str))
    return 0
