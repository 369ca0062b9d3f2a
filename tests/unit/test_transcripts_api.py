"""Transcript routes on the real HTTP app: supervisors, QA staff and admins search and read (audited),
agents and department users get 403, bad input gets the error body."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_desktop.auth import Role
from hotline.db.access import writing
from hotline.db.engine import migrate
from privacy.audit import ReadQuery, query_reads
from recordings.models import Recording
from recordings.transcript_store import Owed, Piece, Transcribed, save_done
from tests.unit.desktop_http import Site, site

pytestmark = pytest.mark.timeout(60)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SAID = {
    "caller": ("我要投诉小区噪音扰民", "晚上十点以后还在施工"),
    "agent": ("您好，12345热线", "请问具体地址"),
}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating takes seconds)."""
    template = tmp_path_factory.mktemp("template") / "desk.db"
    migrate(f"sqlite:///{template}")
    return template


@pytest.fixture
async def web(tmp_path: Path, migrated: Path) -> AsyncIterator[Site]:
    """The app with one call transcribed on both sides."""
    shutil.copyfile(migrated, tmp_path / "desk.db")
    async with site(tmp_path) as s:
        with writing(s.sessions) as db:
            for side, lines in SAID.items():
                rec_id = f"call1-0-{side}"
                row = Recording(recording_id=rec_id, call_id="call1", kind="call", side=side, segment=0)
                row.path, row.started_at, row.ended_at = f"{rec_id}.wav", AT, AT + timedelta(minutes=1)
                row.status = "saved"
                db.add(row)
                db.flush()
                job = Owed(
                    recording_id=rec_id, call_id="call1", kind="call", side=side, path="", started_at=AT
                )
                pieces = tuple(Piece(n * 2.0, n * 2.0 + 1.5, line) for n, line in enumerate(lines))
                result = Transcribed("".join(lines), 4.0, pieces)
                save_done(db, job, result, engine="test", wall_s=1.0, now=AT)
        yield s


async def test_given_a_reader_when_searching_then_hits_with_snippet_and_the_read_is_audited(
    web: Site,
) -> None:
    for role in (Role.SUPERVISOR, Role.QA, Role.ADMIN):
        user = f"u-{role}"
        resp = await web.client.get("/api/transcripts/search?q=噪音扰民", headers=web.bearer(user, role))
        assert resp.status_code == 200, resp.text
        (hit,) = resp.json()["hits"]
        assert (hit["recording_id"], hit["side"], hit["at_s"]) == ("call1-0-caller", "caller", 0.0)
        assert hit["audio_url"] == "/api/recordings/call1-0-caller/audio"
        start, end = hit["highlights"][0]
        assert hit["snippet"][start:end] == "噪音扰民"
        (read,) = query_reads(web.sessions, ReadQuery(user_id=user))
        assert (read.action, read.object_id, read.objects) == (
            "transcripts.search",
            "q:噪音扰民",
            ("call1-0-caller",),
        )


async def test_given_a_reader_when_reading_a_call_then_both_sides_with_timed_segments(web: Site) -> None:
    resp = await web.client.get("/api/transcripts?call_id=call1", headers=web.bearer("qa1", Role.QA))
    assert resp.status_code == 200, resp.text
    by_side = {t["side"]: t for t in resp.json()["transcripts"]}
    assert [(g["start_s"], g["end_s"], g["text"]) for g in by_side["agent"]["segments"]] == [
        (0.0, 1.5, "您好，12345热线"),
        (2.0, 3.5, "请问具体地址"),
    ]
    assert by_side["caller"]["text"] == "".join(SAID["caller"])
    (read,) = query_reads(web.sessions, ReadQuery(user_id="qa1"))
    assert (read.action, read.object_id) == ("transcripts.read", "call1")
    assert set(read.objects) == {"call1-0-caller", "call1-0-agent"}


async def test_given_an_agent_or_department_user_when_asking_then_403_and_nothing_audited(web: Site) -> None:
    for role in (Role.AGENT, Role.DEPARTMENT):
        for path in ("/api/transcripts/search?q=噪音", "/api/transcripts?call_id=call1"):
            resp = await web.client.get(path, headers=web.bearer("ag1", role))
            assert resp.status_code == 403, (role, path, resp.text)
            assert set(resp.json()) == {"error_id", "message", "details"}
    assert query_reads(web.sessions, ReadQuery(user_id="ag1")) == []


BAD_PATHS = [
    "/api/transcripts/search",
    "/api/transcripts/search?q=",
    "/api/transcripts/search?q=" + "噪" * 101,
    "/api/transcripts/search?q=%00",
    "/api/transcripts/search?q=噪音&limit=0",
    "/api/transcripts/search?q=噪音&limit=abc",
    "/api/transcripts?call_id=",
    "/api/transcripts?call_id=%00x",
]


async def test_given_bad_input_when_asking_then_422_with_the_error_body(web: Site) -> None:
    for path in BAD_PATHS:
        resp = await web.client.get(path, headers=web.bearer())
        assert resp.status_code == 422, (path, resp.text)
        assert set(resp.json()) == {"error_id", "message", "details"}


async def test_given_no_token_when_searching_then_401(web: Site) -> None:
    resp = await web.client.get("/api/transcripts/search?q=噪音")
    assert resp.status_code == 401
