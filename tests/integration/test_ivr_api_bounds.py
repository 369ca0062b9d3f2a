"""Flow API inputs beyond what the database or the calendar can hold are refused (422), not a 500.

Found by the HTTP fuzz run (tests/integration/test_fuzz_http.py): ``GET /api/ivr/flows/135934265010``
answered 500 on PostgreSQL (psycopg ``NumericValueOutOfRange``: integer out of range), and so did every
route and body field that looks a version up. SQLite takes 64-bit integers, so there only numbers from
2**63 failed (``OverflowError``). Likewise ``POST /api/ivr/dry-run`` with ``"at": "0001-01-01T00:00:05Z"``
answered 500 (``OverflowError: date value out of range`` looking back over the caller's recent calls).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hotline.app import Centre, ensure_admin
from hotline.settings import Settings
from tests.pg import scratch_database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]
PASSWORD = "bounds-admin-password"
TOO_BIG = [2**31, 135934265010, 2**63]

REQUESTS = [
    ("GET", "/api/ivr/flows/{n}", None),
    ("PUT", "/api/ivr/flows/{n}", {"source": "x"}),
    ("POST", "/api/ivr/flows/{n}/validate", None),
    ("POST", "/api/ivr/flows/{n}/publish", None),
    ("GET", "/api/ivr/flows/1/diff/{n}", None),
    ("GET", "/api/ivr/flows/{n}/diff/1", None),
    ("POST", "/api/ivr/flows", {"base": "{n}"}),
    ("POST", "/api/ivr/rollback", {"version": "{n}"}),
    (
        "POST",
        "/api/ivr/dry-run",
        {"caller": "13800138000", "at": "2026-11-25T10:00:00+08:00", "version": "{n}"},
    ),
]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database the centre runs on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.db'}"
        return
    with scratch_database("hotline_ivr_bounds") as url:
        yield url


@pytest.fixture
async def admin(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An admin-signed-in client of the centre's HTTP app (not connected to Asterisk)."""
    settings = Settings(state_dir=tmp_path, database_url=database_url, admin_password=PASSWORD)
    centre = Centre(settings=settings, ami_secret="unused", asterisk_root=tmp_path / "root")
    ensure_admin(centre.sessions, settings)
    await centre.ivr.start()
    try:
        transport = httpx.ASGITransport(app=centre.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            reply = await client.post("/api/sessions", json={"user_id": "admin", "password": PASSWORD})
            client.headers["Authorization"] = f"Bearer {reply.json()['token']}"
            yield client
    finally:
        await centre.ivr.close()
        centre.sessions.kw["bind"].dispose()


def _fill(body: dict[str, str] | None, n: int) -> dict[str, object] | None:
    if body is None:
        return None
    return {k: n if v == "{n}" else v for k, v in body.items()}


@pytest.mark.parametrize("number", TOO_BIG)
async def test_version_beyond_the_column_is_refused_with_422(admin: httpx.AsyncClient, number: int) -> None:
    for method, path, body in REQUESTS:
        reply = await admin.request(method, path.format(n=number), json=_fill(body, number))
        assert reply.status_code == 422, (method, path, number, reply.status_code, reply.text[:300])
        assert reply.json()["error_id"] in {"invalid_request", "validation_failed"}, reply.text[:300]


@pytest.mark.parametrize("at", ["0001-01-01T00:00:05Z", "0001-01-01T00:01:01", "9999-12-31T23:59:59Z"])
async def test_dry_run_at_the_ends_of_the_calendar_is_refused_with_422(
    admin: httpx.AsyncClient, at: str
) -> None:
    reply = await admin.post("/api/ivr/dry-run", json={"caller": "0", "at": at})
    assert reply.status_code == 422, reply.text[:300]
    assert reply.json()["error_id"] in {"invalid_request", "validation_failed"}, reply.text[:300]
