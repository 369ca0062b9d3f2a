"""Request limits and error bodies through the real HTTP app: bodies are limited while they stream in
(413), anonymous requests to signed-in routes get 401 before their body is parsed, and every refusal
(parse, validation, unknown path, too large) has the body ``{"error_id", "message", "details"}``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.http import JSON_BODY_LIMIT
from ivr.api import MAX_UPLOAD_BYTES
from tests.unit.desktop_http import Site, site

pytestmark = pytest.mark.timeout(60)


class FakeIvr:
    """Stands in for the IVR service: remembers the size of each uploaded prompt; its sounds directory
    and sessions are what the upload route reads the file's facts from and audits the change in."""

    def __init__(self, where: Path, sessions: object) -> None:
        self.where = where
        self.sounds_dir = where
        self.catalog = SimpleNamespace(sessions=sessions)
        self.sizes: list[int] = []

    async def upload_prompt(self, prompt_id: str, data: bytes, *, kind: str | None) -> Path:
        self.sizes.append(len(data))
        path = self.where / "prompt.wav"
        path.write_bytes(b"RIFF")
        return path


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as app:
        yield app


def uniform(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"error_id", "message", "details"}


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body of ``total`` bytes sent without a Content-Length (chunked)."""
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


async def test_given_bad_json_without_a_token_then_401_not_422(web: Site) -> None:
    for path, method in (
        ("/api/work-orders", "POST"),
        ("/api/agents/1001", "PUT"),
        ("/api/me/status", "POST"),
    ):
        resp = await web.client.request(
            method, path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 401, (path, resp.text)
        assert uniform(resp.json())
        assert resp.json()["error_id"] == "unauthenticated"


async def test_given_a_large_body_without_a_token_then_401_before_reading_it(web: Site) -> None:
    resp = await web.client.post("/api/work-orders", content=chunks(8 * 1024 * 1024))
    assert resp.status_code == 401
    assert uniform(resp.json())


async def test_given_a_json_body_over_the_limit_then_413_declared_or_streamed(web: Site) -> None:
    headers = web.bearer() | {"Content-Type": "application/json"}
    declared = await web.client.post(
        "/api/work-orders", content=b" " * (JSON_BODY_LIMIT + 1), headers=headers
    )
    streamed = await web.client.post("/api/work-orders", content=chunks(JSON_BODY_LIMIT + 1), headers=headers)
    for resp in (declared, streamed):
        assert resp.status_code == 413, resp.text
        assert uniform(resp.json())
        assert resp.json()["error_id"] == "body_too_large"
        assert resp.json()["details"] == {"limit_bytes": JSON_BODY_LIMIT}


async def test_given_a_sign_in_body_over_its_small_limit_then_413(web: Site) -> None:
    resp = await web.client.post(
        "/api/sessions", content=chunks(64 * 1024), headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 413
    assert resp.json()["error_id"] == "body_too_large"


async def test_given_a_prompt_upload_then_its_own_limit_applies(web: Site, tmp_path: Path) -> None:
    ivr = FakeIvr(tmp_path, web.sessions)
    web.client._transport.app.state.ivr = ivr  # type: ignore[attr-defined]
    headers = web.bearer()
    ok = await web.client.put(
        "/api/ivr/prompts/welcome", content=chunks(JSON_BODY_LIMIT * 2), headers=headers
    )
    assert ok.status_code == 200, ok.text
    assert ivr.sizes == [JSON_BODY_LIMIT * 2]
    big = await web.client.put(
        "/api/ivr/prompts/welcome", content=chunks(MAX_UPLOAD_BYTES + 1), headers=headers
    )
    assert big.status_code == 413
    assert big.json()["details"] == {"limit_bytes": MAX_UPLOAD_BYTES}
    assert ivr.sizes == [JSON_BODY_LIMIT * 2]


async def test_given_bad_json_with_a_token_then_422_in_the_uniform_body(web: Site) -> None:
    headers = web.bearer() | {"Content-Type": "application/json"}
    resp = await web.client.post("/api/me/status", content=b"{not json", headers=headers)
    assert resp.status_code == 422
    assert uniform(resp.json())
    assert resp.json()["error_id"] == "invalid_request"


async def test_given_an_unknown_path_or_method_then_the_uniform_body(web: Site) -> None:
    missing = await web.client.get("/api/no-such-thing")
    wrong = await web.client.patch("/api/sessions", json={})
    assert (missing.status_code, missing.json()["error_id"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error_id"]) == (405, "method_not_allowed")
    assert uniform(missing.json())
    assert uniform(wrong.json())


async def test_given_an_anonymous_sign_in_then_it_is_not_refused_by_the_gate(web: Site) -> None:
    resp = await web.client.post(
        "/api/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 422
    assert uniform(resp.json())


async def test_given_a_body_that_is_not_even_text_then_400_in_the_uniform_body(web: Site) -> None:
    headers = web.bearer() | {"Content-Type": "application/json"}
    resp = await web.client.post("/api/me/status", content=b'{"status": "\xff\xfe"}', headers=headers)
    assert resp.status_code == 400
    assert uniform(resp.json())
    assert resp.json()["error_id"] == "bad_request"
