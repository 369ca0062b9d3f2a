"""Every admin route of the application (``/api/admin/...``, whoever added it) refuses an agent, a
supervisor and a QA user with 403 and the one error body, before looking at what they sent."""

from __future__ import annotations

import re

import pytest

from hotline.app import Centre
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]

PARAM = re.compile(r"\{[^}]+\}")


def admin_routes(centre: Centre) -> list[tuple[str, str]]:
    """(method, path with each parameter filled) of every admin API route the application documents."""
    paths = centre.http.openapi()["paths"]
    return [
        (method.upper(), PARAM.sub("x1", path))
        for path, operations in sorted(paths.items())
        if path.startswith("/api/admin/")
        for method in sorted(operations)
    ]


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa"])
async def test_given_a_non_admin_when_calling_any_admin_route_then_403(centre: Centre, role: str) -> None:
    routes = admin_routes(centre)
    assert {
        ("GET", "/api/admin/changes"),
        ("POST", "/api/admin/agent-import"),
        ("DELETE", "/api/admin/directory/x1"),
    } <= set(routes)
    await add_user(centre, "user1", role=role, contact="", skills={"general": 1})
    user = DesktopClient(centre.url)
    await user.sign_in("user1", "pw-user1")
    try:
        answered = {}
        for method, path in routes:
            resp = await user.http.request(method, path, json={}, headers=user.auth)
            answered[(method, path)] = (resp.status_code, resp.json().get("error_id"))
        assert {k: v for k, v in answered.items() if v[0] != 403} == {}
        assert {v[1] for v in answered.values()} <= {"forbidden"}
    finally:
        await user.close()
