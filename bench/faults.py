"""Fault scenarios on the real parts: one JSON line per scenario.

Runs the scenarios of the fault suite (tests/faults/scenarios.py) on an Asterisk sandbox of its own and
prints, for each, ``{"scenario", "calls", "answered", "fallback", "callbacks", "abandoned", "lost",
"records_missing", "records_duplicated", "recovery_s"}``. ``lost`` and ``records_missing`` must be 0.
A scenario that cannot run prints its line with an ``error`` instead.

    .venv/bin/python -m bench.faults [--only ami_link_cut_10s,app_sigkill_restart]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig
from hotline.sandbox.provision import ensure_root
from hotline.settings import Settings
from ivr.prompts import ensure_default_prompts
from tests.conftest import REPO_ROOT, free_port
from tests.faults.catalogue import SCENARIOS
from tests.faults.scenarios import Rig


def sandbox(state: Path) -> AsteriskSandbox:
    """An instance configured like the test suite's (tests/conftest.py): short hold slices, a heartbeat
    that goes stale after 6 s, extensions 1001-1003 in the static fallback queue."""
    root = ensure_root(Settings().cache_dir)
    ensure_default_prompts(root / "usr" / "share" / "asterisk" / "sounds")
    config = SandboxConfig(
        instance=f"faults-{os.getpid()}",
        ami_port=free_port(),
        ami_username="hotline",
        ami_secret=secrets.token_urlsafe(16),
        fastagi_host="127.0.0.1",
        fastagi_port=free_port(),
        sip_port=free_port(),
        http_port=free_port(),
        extensions=("1001", "1002", "1003"),
        conf_src=REPO_ROOT / "asterisk_conf",
        heartbeat_stale_s=6,
        max_wait_s=120,
        hold_slice_s=2,
        ring_timeout_s=8,
    )
    return AsteriskSandbox(root=root, config=config, state_dir=state)


async def run(names: list[str]) -> int:
    """Run ``names`` in order, one line each; how many missed the target."""
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        box = sandbox(Path(tmp))
        box.up()
        try:
            for name in names:
                workdir = Path(tmp) / name
                workdir.mkdir()
                try:
                    line = (await SCENARIOS[name](Rig(sandbox=box, workdir=workdir))).as_json()
                except Exception as exc:
                    line = {"scenario": name, "error": repr(exc)}
                missed += bool(line.get("error") or line.get("lost") or line.get("records_missing"))
                print(json.dumps(line), flush=True)
        finally:
            box.destroy()
    return missed


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    sys.exit(1 if asyncio.run(run(names)) else 0)


if __name__ == "__main__":
    main()
