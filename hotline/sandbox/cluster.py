"""Several sandbox Asterisk nodes from one chroot root, started and stopped together.

Each node is an :class:`AsteriskSandbox` with its own instance name (also its ``systemname``, so
uniqueids carry the node name and never collide across nodes), its own AMI/SIP/HTTP ports and state,
and the same FastAGI address (one application serves every node).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hotline.sandbox.config import SandboxConfig
from hotline.sandbox.errors import SandboxError
from hotline.sandbox.instance import AsteriskSandbox

__all__ = ["MAX_NODES", "PORT_STEP", "SandboxCluster", "node_configs"]

MAX_NODES = 9
PORT_STEP = 1


def node_configs(
    base: SandboxConfig, count: int, *, port: Callable[[str, int, int], int] | None = None
) -> list[SandboxConfig]:
    """``count`` node configs derived from ``base``.

    Node 1 is ``base`` itself (the single sandbox of ``hotline asterisk up``); node k is named
    ``<instance>-<k>``. ``port(kind, k, base_port)`` picks node k's ``ami``/``sip``/``http`` port; by
    default it is the base port plus ``(k - 1) * PORT_STEP``.
    """
    if not 1 <= count <= MAX_NODES:
        raise SandboxError("sandbox_bad_config", f"nodes must be 1..{MAX_NODES}", field="nodes")
    pick = port or (lambda _kind, k, base_port: base_port + (k - 1) * PORT_STEP)
    configs = [base]
    for k in range(2, count + 1):
        configs.append(
            dataclasses.replace(
                base,
                instance=f"{base.instance}-{k}",
                ami_port=pick("ami", k, base.ami_port),
                sip_port=pick("sip", k, base.sip_port),
                http_port=pick("http", k, base.http_port),
            )
        )
    return configs


class SandboxCluster:
    """N sandbox nodes: ``up()`` starts them all (in parallel), ``down()`` stops them all."""

    def __init__(self, *, root: Path, configs: Sequence[SandboxConfig], state_dir: Path) -> None:
        names = [c.instance for c in configs]
        if not names or len(set(names)) != len(names):
            raise SandboxError("sandbox_bad_config", "node names must be present and distinct", nodes=names)
        for kind in ("ami_port", "sip_port", "http_port"):
            ports = [getattr(c, kind) for c in configs]
            if len(set(ports)) != len(ports):
                raise SandboxError("sandbox_bad_config", f"nodes share a {kind}", field=kind)
        self.nodes = [AsteriskSandbox(root=root, config=c, state_dir=state_dir) for c in configs]

    def node(self, name: str) -> AsteriskSandbox:
        """The node whose instance name is ``name``."""
        for box in self.nodes:
            if box.config.instance == name:
                return box
        raise SandboxError("sandbox_unknown_node", f"no node {name!r}", node=name)

    @property
    def names(self) -> list[str]:
        """The node names, in order."""
        return [box.config.instance for box in self.nodes]

    def up(self, *, timeout: float = 90.0) -> None:
        """Start every node; if one fails, the ones started here are stopped again."""
        started = [box for box in self.nodes if not box.is_running()]
        try:
            self._each(lambda box: box.up(timeout=timeout))
        except BaseException:
            self._each(lambda box: box.down() if box in started else None)
            raise

    def down(self) -> None:
        """Stop every node."""
        self._each(lambda box: box.down())

    def status(self) -> list[dict[str, object]]:
        """Each node's status."""
        return [box.status() for box in self.nodes]

    def _each(self, action: Callable[[AsteriskSandbox], None]) -> None:
        with ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
            for future in [pool.submit(action, box) for box in self.nodes]:
                future.result()
