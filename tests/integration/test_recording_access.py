"""Who may hear a real call's recordings: supervisors (QA staff, admins) yes and audited, agents never."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from privacy.audit import ReadQuery, query_reads
from recordings.store import recordings_of_call
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.supervision import supervised_call

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """The sandbox centre reading the sandbox's monitor spool."""
    return sandbox_settings(sandbox, tmp_path, recordings_spools=str(sandbox.recordings_dir))


async def test_given_a_recorded_call_then_agents_get_403_and_the_supervisors_playback_is_audited(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    s = await supervised_call(centre, driver, sandbox, queues=["general"])
    try:
        await asyncio.sleep(2.0)
        await driver.hang_up(s.citizen_channel)
        await eventually(
            lambda: [r.status for r in recordings_of_call(centre.sessions, s.call_id)] == ["saved", "saved"],
            timeout=30.0,
        )
        rows = recordings_of_call(centre.sessions, s.call_id)
        caller = rows[0]
        routes = [
            f"/api/recordings?call_id={s.call_id}",
            f"/api/recordings/{caller.recording_id}/audio",
            f"/api/recordings/{caller.recording_id}/audio?download=1",
            "/api/recordings/nothing-here/audio",
        ]
        for path in routes:
            resp = await s.agent.http.get(path, headers=s.agent.auth)
            assert resp.status_code == 403, (path, resp.text)
            assert resp.json()["error_id"] == "forbidden"
        assert query_reads(centre.sessions, ReadQuery(user_id="ag1")) == []

        sup = s.supervisor
        listing = await sup.http.get(routes[0], headers=sup.auth)
        assert listing.status_code == 200, listing.text
        body = listing.json()
        assert [(r["side"], r["segment"], r["status"]) for r in body["recordings"]] == [
            ("caller", 0, "saved"),
            ("agent", 0, "saved"),
        ]
        whole = await sup.http.get(routes[1], headers=sup.auth)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "audio/wav"
        assert len(whole.content) == caller.bytes
        part = await sup.http.get(routes[1], headers=sup.auth | {"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == whole.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{caller.bytes}"
        saved = await sup.http.get(routes[2], headers=sup.auth)
        assert saved.status_code == 200
        assert "attachment" in saved.headers["content-disposition"]
        for bad in ("bytes=abc", f"bytes={caller.bytes}-", "bytes=0-1,5-9"):
            refused = await sup.http.get(routes[1], headers=sup.auth | {"Range": bad})
            assert refused.status_code == 416, bad
            assert set(refused.json()) == {"error_id", "message", "details"}
        unknown = await sup.http.get(routes[3], headers=sup.auth)
        assert unknown.status_code == 404
        assert unknown.json()["error_id"] == "recording_not_found"
        bad_id = await sup.http.get("/api/recordings?call_id=%00x", headers=sup.auth)
        assert bad_id.status_code == 422

        reads = query_reads(centre.sessions, ReadQuery(user_id="sup1"))
        assert sorted((r.action, r.object_id, tuple(sorted(r.objects))) for r in reads) == sorted(
            [
                ("recordings.list", s.call_id, tuple(sorted(r.recording_id for r in rows))),
                ("recordings.play", s.call_id, (caller.recording_id,)),
                ("recordings.download", s.call_id, (caller.recording_id,)),
            ]
        )
    finally:
        await s.close()
