"""GET /api/me/phone against the real sandbox: the SIP password it hands out registers on Asterisk, is the
agent's own, and stops working once the agent's record changes."""

from __future__ import annotations

import asyncio
import re
import subprocess

import httpx
import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from hotline.sip_secrets import entitled_owners
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient
from tests.integration.sip_register import register

pytestmark = pytest.mark.asterisk


async def phone_of(centre: Centre, user_id: str, password: str) -> httpx.Response:
    desk = DesktopClient(centre.url)
    try:
        await desk.sign_in(user_id, password)
        return await desk.http.get("/api/me/phone", headers=desk.auth)
    finally:
        await desk.close()


async def registers(sandbox: AsteriskSandbox, extension: str, password: str) -> bool:
    status = await asyncio.to_thread(register, "127.0.0.1", sandbox.config.sip_port, extension, password)
    return status == 200


async def test_given_browser_agent_when_asking_for_the_phone_then_gets_credentials_that_register(
    web_centre: Centre, sandbox: AsteriskSandbox
) -> None:
    admin = DesktopClient(web_centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent("1002", name="王五", contact="PJSIP/1002", password="secret-1002")
    await admin.put_agent("7002", name="赵六", contact="Local/7002@hotline-sim-agent", password="secret-7002")
    await admin.close()

    resp = await phone_of(web_centre, "1002", "secret-1002")
    assert resp.status_code == 200, resp.text
    phone = resp.json()
    assert phone["ws_url"] == f"ws://127.0.0.1:{sandbox.config.http_port}/ws"
    assert phone["sip_uri"] == "sip:1002@127.0.0.1"
    assert phone["authorization_user"] == "1002"
    assert phone["ice_servers"] == []
    assert await registers(sandbox, "1002", phone["password"])
    pjsip = (sandbox.host_instance_dir / "etc" / "pjsip.conf").read_text()
    assert phone["password"] not in pjsip
    again = await phone_of(web_centre, "1002", "secret-1002")
    assert again.json()["password"] == phone["password"]

    other = await phone_of(web_centre, "7002", "secret-7002")
    assert other.status_code == 404
    assert other.json()["error_id"] == "no_browser_phone"
    admin_phone = await phone_of(web_centre, "admin", ADMIN_PASSWORD)
    assert admin_phone.json()["error_id"] == "no_browser_phone"


async def test_given_a_centre_when_started_then_its_phone_directory_is_installed(centre: Centre) -> None:
    resp = await phone_of(centre, "admin", ADMIN_PASSWORD)
    assert resp.status_code == 404
    assert resp.json()["error_id"] == "no_browser_phone"


def test_sandbox_endpoints_use_the_instance_dtls_certificate(sandbox: AsteriskSandbox) -> None:
    pjsip = (sandbox.host_instance_dir / "etc" / "pjsip.conf").read_text()
    cert = sandbox.host_instance_dir / "dtls" / "dtls.crt"
    assert f"dtls_cert_file={sandbox.instance_dir}/dtls/dtls.crt\n" in pjsip
    assert pjsip.count("webrtc=yes") == len(sandbox.config.extensions)
    check = subprocess.run(
        ["openssl", "x509", "-noout", "-checkend", "86400", "-in", str(cert)],
        capture_output=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert (sandbox.host_instance_dir / "dtls" / "dtls.key").stat().st_mode & 0o077 == 0
    endpoint = sandbox.cli("pjsip show endpoint 1001")
    assert re.search(r"\bwebrtc\s*:\s*yes\b", endpoint)
    assert re.search(r"\bmedia_encryption\s*:\s*dtls\b", endpoint)


async def test_given_an_agent_whose_record_changed_when_checked_then_their_sip_password_stops_working(
    web_centre: Centre, sandbox: AsteriskSandbox
) -> None:
    admin = DesktopClient(web_centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent("1001", name="张三", contact="PJSIP/1001", password="password-before-1")
    old = (await phone_of(web_centre, "1001", "password-before-1")).json()["password"]
    assert await registers(sandbox, "1001", old)

    await admin.put_agent("1001", name="张三", contact="PJSIP/1001", password="password-after-22")
    await admin.close()
    rows = await asyncio.to_thread(repo.list_agents, web_centre.sessions)
    entitled = entitled_owners((r.agent_id, r.contact, r.role, r.password_hash) for r in rows)
    assert "1001" in await web_centre.sip_secrets.reconcile(entitled)
    assert not await registers(sandbox, "1001", old)
    new = (await phone_of(web_centre, "1001", "password-after-22")).json()["password"]
    assert new != old
    assert await registers(sandbox, "1001", new)
