"""A centre whose Asterisk is unreachable serves pages, sign-in and work orders at once and says in
``/healthz`` that telephony is down (it used to serve nothing until AMI logged in, and to exit after 30 s).
The fault suite (tests/faults) covers the rest: Asterisk appearing later and calls flowing."""

from __future__ import annotations

from pathlib import Path

import httpx

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.conftest import free_port

ADMIN_PASSWORD = "startup-admin-password"


async def test_given_asterisk_unreachable_when_the_centre_starts_then_it_serves_and_reports_telephony_down(
    tmp_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "state_dir": tmp_path,
            "database_url": f"sqlite:///{tmp_path / 'hotline.db'}",
            "http_port": free_port(),
            "fastagi_port": free_port(),
            "asterisk_mode": "external",
            "ami_port": free_port(),
            "ami_secret": "nobody-listens",
            "admin_password": ADMIN_PASSWORD,
        }
    )
    centre = Centre(settings=settings, ami_secret="nobody-listens", telephony_wait_s=0.2)
    ensure_admin(centre.sessions, settings)
    await centre.start()
    try:
        async with httpx.AsyncClient(base_url=centre.url, timeout=5.0) as http:
            health = (await http.get("/healthz")).json()
            page = await http.get("/")
            token = (
                await http.post("/api/sessions", json={"user_id": "admin", "password": ADMIN_PASSWORD})
            ).json()["token"]
            order = await http.post(
                "/api/work-orders",
                json={
                    "caller": {},
                    "category": "consult",
                    "matter": "咨询",
                    "content": "电话系统未连通时受理",
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        assert (health["ok"], health["telephony"]) == (True, "down")
        assert page.status_code == 200
        assert order.status_code == 201, order.text
    finally:
        await centre.stop()
