"""A running centre whose AMI server is a garbage-capable TCP peer (no Asterisk), for socket tests."""

from __future__ import annotations

import contextlib
import gc
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.conftest import free_port
from tests.unit.ami_fake_server import FakeAmi

MEMORY_BOUND = 24 * 1024 * 1024
"""How much more memory Python may hold after a garbage run than before it."""


class GarbageAmi(FakeAmi):
    """The recorded-transcript AMI server, able to send raw bytes."""

    async def push_bytes(self, raw: bytes) -> None:
        """Send ``raw`` to every live connection."""
        for writer, live in list(self._writers.items()):
            if live and not writer.is_closing():
                writer.write(raw)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()


@dataclass
class Rig:
    """The centre under test and its AMI peer."""

    centre: Centre
    ami: GarbageAmi

    async def healthz(self) -> int:
        """The HTTP server's answer to ``/healthz``."""
        async with httpx.AsyncClient(timeout=10) as client:
            return (await client.get(f"{self.centre.url}healthz")).status_code

    async def relogin_after(self, raw: bytes) -> None:
        """Send ``raw``, which must make the centre drop the AMI link; wait until it is logged in again."""
        logins = self.ami.logins
        await self.ami.push_bytes(raw)
        await FakeAmi.wait_until(lambda: self.ami.logins > logins, within=30)
        await self.ami_usable()

    async def ami_usable(self) -> None:
        """Wait until the centre's AMI link is logged in again and answers a Ping."""
        await FakeAmi.wait_until(lambda: self.centre.ami.connected, within=30)
        reply = await self.centre.ami.send_action({"Action": "Ping"})
        assert reply.success


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """A started centre whose AMI server is a :class:`GarbageAmi` (no Asterisk)."""
    ami = GarbageAmi()
    await ami.start()
    settings = Settings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        asterisk_mode="external",
        ami_port=ami.port,
        ami_secret=ami.secret,
        fastagi_port=free_port(),
        http_port=free_port(),
        admin_password="garbage-admin-password",
    )
    centre = Centre(settings=settings, ami_secret=ami.secret, asterisk_root=tmp_path / "root")
    ensure_admin(centre.sessions, settings)
    await centre.start()
    try:
        yield Rig(centre, ami)
    finally:
        await centre.stop()
        centre.sessions.kw["bind"].dispose()
        await ami.stop()


@contextlib.contextmanager
def python_memory() -> Iterator[list[int]]:
    """Traces Python allocations; the list gets the growth of held memory over the block."""
    growth: list[int] = []
    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    try:
        yield growth
    finally:
        gc.collect()
        growth.append(tracemalloc.get_traced_memory()[0] - before)
        tracemalloc.stop()
