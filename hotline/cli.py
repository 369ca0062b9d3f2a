"""The ``hotline`` command: run the centre, manage the Asterisk sandbox, simulate calls, print OpenAPI."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.settings import Settings
from linkage110.cli import add_sim110_parser, cmd_sim110
from privacy.cli import add_retention_parser, cmd_retention
from recordings.cli import add_recordings_parser, cmd_recordings
from recordings.transcribe_cli import add_transcribe_parser, cmd_transcribe

if TYPE_CHECKING:
    from hotline.sandbox.instance import AsteriskSandbox, SandboxConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


def _config(settings: Settings) -> SandboxConfig:
    from hotline.sandbox.instance import SandboxConfig

    config = SandboxConfig.from_settings(settings)
    if settings.asterisk_conf_src is not None:
        config = dataclasses.replace(config, conf_src=settings.asterisk_conf_src)
    return config


def _sandbox(settings: Settings) -> AsteriskSandbox:
    from hotline.sandbox.instance import AsteriskSandbox
    from hotline.sandbox.provision import ensure_root

    root = ensure_root(settings.cache_dir)
    return AsteriskSandbox(root=root, config=_config(settings), state_dir=settings.state_dir)


def render_external(settings: Settings) -> Path:
    """Render the Asterisk config for an Asterisk of our own (no sandbox): ``<etc root>/<instance>/etc``.

    The node trusts and reaches the Kamailio front at ``HOTLINE_KAMAILIO_BIND_ADDRESS:SIP_PORT``.
    """
    from hotline.kamailio.settings import KamailioSettings
    from hotline.sandbox.dtls import ensure_dtls_certificate
    from hotline.sandbox.instance import INSTANCE_DIRS
    from hotline.sandbox.render import render_tree

    kamailio = KamailioSettings()
    config = dataclasses.replace(
        _config(settings),
        kamailio_host=kamailio.bind_address,
        kamailio_sip_port=kamailio.sip_port,
        kamailio_transport=kamailio.node_transport,
    )
    instance_dir = settings.asterisk_etc_root / settings.asterisk_instance
    for sub in INSTANCE_DIRS:
        (instance_dir / sub).mkdir(parents=True, exist_ok=True)
    dtls = ensure_dtls_certificate(instance_dir / "dtls") if shutil.which("openssl") else None
    values = config.values(
        instance_dir=str(instance_dir), modules_dir=settings.asterisk_modules_dir, dtls=dtls
    )
    render_tree(config.conf_src, instance_dir / "etc", values)
    return instance_dir / "etc"


def ami_secret(settings: Settings) -> str:
    """The AMI secret in force: configured, or the sandbox instance's generated one."""
    configured = settings.ami_secret.get_secret_value()
    if configured or settings.asterisk_mode == "external":
        return configured
    return _config(settings).ami_secret


def cmd_asterisk(settings: Settings, action: str, nodes: int | None = None) -> int:
    """``hotline asterisk up|down|status|render [--nodes N]``."""
    from ivr.prompts import ensure_default_prompts

    if settings.asterisk_mode == "external":
        if action != "render":
            print(
                "HOTLINE_ASTERISK_MODE=external: this Asterisk is not ours to start or stop", file=sys.stderr
            )
            return 2
        print(render_external(settings))
        return 0
    if nodes is not None:
        from hotline.kamailio.commands import cmd_asterisk_nodes

        return cmd_asterisk_nodes(settings, _config(settings), action, nodes)

    sandbox = _sandbox(settings)
    if action == "up":
        ensure_default_prompts(sandbox.sounds_dir)
        sandbox.up()
    elif action == "down":
        sandbox.down()
    elif action == "render":
        print(sandbox.render())
        return 0
    print(json.dumps(sandbox.status(), default=str))
    return 0


async def _run_centre(settings: Settings) -> None:
    from hotline.app import Centre, ensure_admin

    centre = Centre(settings=settings, ami_secret=ami_secret(settings))
    password_file = ensure_admin(centre.sessions, settings)
    await centre.start()
    print(f"hotline is running. Agent page: {centre.url}", flush=True)
    if password_file is not None:
        print(f"the generated admin password is in {password_file} (readable by this user only)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await centre.stop()


def cmd_run(settings: Settings, *, sandbox: bool) -> int:
    """``hotline run``: the whole centre in one process (starting the sandbox when asked)."""
    from acd.errors import InvalidConfig
    from hotline.app import default_queues

    try:
        default_queues(settings)
    except InvalidConfig as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
    started_here = False
    box = None
    if sandbox and settings.asterisk_mode == "sandbox":
        from ivr.prompts import ensure_default_prompts

        box = _sandbox(settings)
        ensure_default_prompts(box.sounds_dir)
        started_here = not box.is_running()
        box.up()
    try:
        asyncio.run(_run_centre(settings))
    finally:
        if started_here and box is not None:
            box.down()
    return 0


def _patience(text: str) -> tuple[float, ...]:
    """``--patience``: one number of seconds, or several separated by commas."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"--patience: {text!r} is not seconds (e.g. 300 or 300,300,14,6)") from None
    return values


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    """``hotline simulate``: drive real calls into the running centre and print a JSON summary."""
    from hotline.ami.client import AmiClient
    from hotline.simulate import Simulation, SimulationPlan

    password = settings.admin_password.get_secret_value()
    if not password:
        password = (settings.state_dir / "admin-password").read_text().strip()
    try:
        plan = SimulationPlan(
            calls=args.calls,
            agents=args.agents,
            talk_s=args.talk,
            patience_s=_patience(args.patience)[0],
            patience_cycle=_patience(args.patience),
            interval_s=args.interval,
            keys=tuple(args.keys.split(",")),
            no_answer_agents=args.no_answer_agents,
            pausing_agents=args.pausing_agents,
            pause_s=args.pause_s,
            pause_every=args.pause_every,
            pause_reasons=_items(args.pause_reasons),
            skills=_items(args.skills),
        )
    except ValueError as exc:
        print(f"hotline simulate: {exc}", file=sys.stderr)
        return 2

    async def go() -> dict[str, object]:
        ami = AmiClient(
            host=settings.ami_host,
            port=settings.ami_port,
            username=settings.ami_username,
            secret=ami_secret(settings),
        )
        await ami.start()
        try:
            base = args.url or f"http://{settings.http_host}:{settings.http_port}"
            return await Simulation(plan=plan, base_url=base, ami=ami, admin_password=password).execute()
        finally:
            await ami.close()

    summary = asyncio.run(go())
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["lost"] == 0 else 1


def _items(text: str) -> tuple[str, ...]:
    """A comma-separated option as its non-empty items."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def cmd_openapi() -> int:
    """``hotline openapi``: the HTTP API description as JSON."""
    from hotline.http import build_http_app

    print(json.dumps(build_http_app(None).openapi(), ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole centre")
    run.add_argument("--no-sandbox", action="store_true", help="do not start the local Asterisk sandbox")
    ast = sub.add_parser("asterisk", help="manage the local Asterisk sandbox")
    ast.add_argument("action", choices=["up", "down", "status", "render"])
    ast.add_argument("--nodes", type=int, help="sandbox mode: N nodes (<instance>, <instance>-2, ...)")
    kam = sub.add_parser("kamailio", help="manage the sandbox Kamailio SIP front over the Asterisk nodes")
    kam.add_argument("action", choices=["up", "down", "status", "render"])
    kam.add_argument("--nodes", type=int, default=1, help="how many sandbox Asterisk nodes it dispatches to")
    turn = sub.add_parser("turn", help="manage the sandbox TURN server (coturn) of browser phones behind NAT")
    turn.add_argument("action", choices=["up", "down", "status", "render"])
    sim = sub.add_parser("simulate", help="drive real calls into the running centre")
    sim.add_argument("--calls", type=int, default=20)
    sim.add_argument("--agents", type=int, default=3)
    sim.add_argument("--talk", type=float, default=3.0, help="talk seconds per call")
    sim.add_argument(
        "--patience",
        default="300",
        help="seconds a caller waits before hanging up; several (e.g. 300,300,14,6) are used call by call in "
        "turn, mixing patient and impatient callers",
    )
    sim.add_argument("--interval", type=float, default=0.2, help="seconds between call arrivals")
    sim.add_argument("--keys", default="0,3,", help="menu keys per call, cycled; empty = silence")
    sim.add_argument("--no-answer-agents", type=int, default=0, help="agents whose phone never answers")
    sim.add_argument(
        "--pausing-agents",
        type=int,
        default=0,
        help="agents who take a pause after every --pause-every calls",
    )
    sim.add_argument("--pause-s", type=float, default=10.0, help="seconds each pause lasts")
    sim.add_argument("--pause-every", type=int, default=3, help="calls a pausing agent takes between pauses")
    sim.add_argument("--pause-reasons", default="小休,就餐", help="pause reasons, used in turn")
    sim.add_argument(
        "--skills",
        default="general,enterprise",
        help="skills of the simulated agents; leave a queue's skill out to see its calls overflow",
    )
    sim.add_argument("--url", default="", help="base URL of the centre (default from settings)")
    sub.add_parser("openapi", help="print the OpenAPI document")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    add_retention_parser(sub)
    add_recordings_parser(sub)
    add_transcribe_parser(sub)
    add_sim110_parser(sub)
    return parser


STORE_COMMANDS = {"retention": cmd_retention, "recordings": cmd_recordings, "transcribe": cmd_transcribe}
"""Commands that run once against the configured database."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hotline`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings()
    if args.command == "run":
        return cmd_run(settings, sandbox=not args.no_sandbox)
    if args.command == "asterisk":
        return cmd_asterisk(settings, args.action, args.nodes)
    if args.command == "kamailio":
        from hotline.kamailio.commands import cmd_kamailio

        if settings.asterisk_mode == "external":
            from hotline.kamailio.external import cmd_kamailio_external

            return cmd_kamailio_external(settings, _config(settings), args.action)
        return cmd_kamailio(settings, _config(settings), args.action, args.nodes)
    if args.command == "turn":
        from hotline.turn.commands import cmd_turn

        return cmd_turn(settings, args.action)
    if args.command == "simulate":
        return cmd_simulate(settings, args)
    if args.command in STORE_COMMANDS:
        return STORE_COMMANDS[args.command](settings, args)
    if args.command == "sim-110":
        return cmd_sim110(args)
    if args.command == "migrate":
        from hotline.db.engine import migrate
        from hotline.private_files import private_sqlite_file

        private_sqlite_file(settings.resolved_database_url())
        migrate(settings.resolved_database_url())
        return 0
    return cmd_openapi()


if __name__ == "__main__":
    sys.exit(main())
