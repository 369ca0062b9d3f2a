"""Site RTP settings (STUN address, ICE candidates) live in rtp_site.conf next to the rendered rtp.conf."""

from __future__ import annotations

import asyncio

import pytest

from hotline.sandbox.instance import AsteriskSandbox
from tests.conftest import free_port

pytestmark = pytest.mark.asterisk


async def test_given_rtp_site_conf_with_stunaddr_when_rtp_reloads_then_asterisk_uses_it(
    sandbox: AsteriskSandbox,
) -> None:
    site = sandbox.host_instance_dir / "etc" / "rtp_site.conf"
    stun = f"127.0.0.1:{free_port()}"
    site.write_text(f"stunaddr={stun}\n\n[ice_host_candidates]\n127.0.0.1 => 127.0.0.1\n")
    try:
        await asyncio.to_thread(sandbox.cli, "module reload res_rtp_asterisk.so")
        settings = await asyncio.to_thread(sandbox.cli, "rtp show settings")
    finally:
        site.unlink()
        await asyncio.to_thread(sandbox.cli, "module reload res_rtp_asterisk.so")
    assert f"Address:        {stun}" in settings, settings
    after = await asyncio.to_thread(sandbox.cli, "rtp show settings")
    assert "STUN:            disabled" in after, after
