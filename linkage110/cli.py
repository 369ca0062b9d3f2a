"""``hotline sim-110 --port N --secret S [--centre URL]``: run the 110 simulator until interrupted."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_sim110_parser", "cmd_sim110"]


def add_sim110_parser(sub: Any) -> None:
    """Add the ``sim-110`` command to the CLI's subparsers."""
    sim = sub.add_parser("sim-110", help="run a 110 platform simulator (hand-offs in, transfers out)")
    sim.add_argument("--port", type=int, default=8110, help="port to listen on (0: a free one)")
    sim.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (its control routes are unsigned)"
    )
    sim.add_argument(
        "--secret",
        default=os.environ.get("HOTLINE_LINKAGE110_SECRET", ""),
        help="the shared HMAC secret (default HOTLINE_LINKAGE110_SECRET)",
    )
    sim.add_argument(
        "--centre", default="http://127.0.0.1:8000", help="base URL of the centre to post transfers to"
    )
    sim.add_argument(
        "--mode", choices=["ok", "error", "down"], default="ok", help="how hand-offs are answered"
    )


def cmd_sim110(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints ``listening <host> <port>`` once ready."""
    from linkage110.simulator import Platform110, serve

    if not args.secret:
        print("sim-110 needs --secret (or HOTLINE_LINKAGE110_SECRET)", file=sys.stderr)
        return 2
    server = serve(
        Platform110(secret=args.secret, centre=args.centre, mode=args.mode), host=args.host, port=args.port
    )
    print(f"listening {args.host} {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
