"""Video calls and chats as their own channels (docs/KPIS.md, "Channels") on SQLite and on the real
PostgreSQL server: one known hour of ``video_calls`` (with their call records) and ``chat_sessions``,
every expected figure worked out by hand in the comments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from chat.models import ChatSession
from hotline.db.models import Call
from hotline.guest_models import VideoCall
from supervisor.kpis import KpiRangeError, channel_kpis
from tests.integration.test_db_postgres import _empty_schema, _url, scratch_db
from tests.kpis_contract import HOUR, T0, at
from tests.migrated_db import MigratedDatabase

pytestmark = pytest.mark.timeout(90)

__all__ = ["scratch_db"]


def _video(
    call_id: str, queue: str | None, start: float, outcome: str, answered: float | None, ended: float | None
) -> list[Any]:
    """A video call as the sign-language page leaves it: the call record (when ``queue``), the video row
    (whose ``answered_at`` is the end when the answer time was not known)."""
    rows: list[Any] = []
    if queue is not None:
        rows.append(
            Call(
                call_id=call_id,
                caller="guest",
                channel=f"PJSIP/sg01-{call_id}",
                dialed="12345",
                queue=queue,
                ivr_keys="",
                entered_ivr_at=at(start),
                queued_at=at(start),
                answered_at=None if answered is None else at(answered),
                ended_at=None if ended is None else at(ended),
                outcome=outcome if outcome in ("answered", "abandoned") else None,
            )
        )
    rows.append(
        VideoCall(
            call_id=call_id,
            guest="sg01",
            started_at=at(start),
            answered_at=None if outcome != "answered" or ended is None else at(ended),
            ended_at=None if ended is None else at(ended),
            outcome=outcome,
        )
    )
    return rows


def _chat(sid: str, queue: str, queued: float, outcome: str | None, wait: float | None) -> ChatSession:
    state = "waiting" if outcome is None else "ended"
    return ChatSession(
        session_id=sid,
        token_hash=sid.ljust(64, "0"),
        queue=queue,
        state=state,
        queued_at=at(queued),
        answered_at=at(queued + wait) if outcome == "answered" and wait is not None else None,
        ended_at=None if outcome is None else at(queued + 100),
        outcome=outcome,
        wait_seconds=wait,
        expires_at=at(86400),
    )


def add_known_hour(session: Session) -> None:
    """Write the known hour's video calls and chats (commits)."""
    sv = "sign_video"
    rows = [
        *_video("v1", sv, 0, "answered", 12, 100),  # wait 12 (the call's answer, not the video end)
        *_video("v2", sv, 60, "", 68, None),  # still on, answered: wait 8
        *_video("v3", sv, 120, "no_agent", None, 180),
        *_video("v4", sv, 200, "left", None, 230),
        *_video("v5", sv, 3600, "answered", 3601, 3700),  # at the end of the hour: not in it
        *_video("v6", None, 300, "answered", None, 330),  # no call record: sign_video, wait 30
        *_video("v7", "sign_video_2", 400, "answered", 410, 500),  # wait 10
        _chat("ch1", "general", 0, "answered", 20.0),
        _chat("ch2", "general", 30, "abandoned", 40.0),
        _chat("ch3", "general", 50, None, None),  # waiting
        _chat("ch4", "tax", 70, "answered", 10.0),
        _chat("ch5", "general", -10, "answered", 5.0),  # before the hour
    ]
    session.add_all(r for r in rows if isinstance(r, Call))
    session.flush()
    session.add_all(r for r in rows if not isinstance(r, Call))
    session.commit()


class ChannelContract(MigratedDatabase):
    """The channel figures of the known hour on the backend of ``db_url``."""

    @pytest.fixture
    def session(self, sm: sessionmaker[Session]) -> Iterator[Session]:
        """A session over the migrated database holding the known hour."""
        with sm() as s:
            add_known_hour(s)
            yield s

    def test_video_counts_per_queue_and_total(self, session: Session) -> None:
        total, per = channel_kpis(session, channel="video", start=T0, end=T0 + HOUR)
        # offered v1 v2 v3 v4 v6 v7; answered v1 v2 v6 v7; given up v3 (no agent) v4 (left)
        assert (total.channel, total.queue, total.start, total.end) == ("video", None, T0, T0 + HOUR)
        assert (total.offered, total.answered, total.abandoned, total.no_agent) == (6, 4, 2, 1)
        assert (total.answer_rate, total.abandon_rate) == (round(4 / 6, 4), round(2 / 6, 4))
        assert total.asa_s == 15.0  # (12 + 8 + 30 + 10) / 4
        assert [(k.queue, k.offered, k.answered, k.abandoned, k.asa_s) for k in per] == [
            ("sign_video", 5, 3, 2, 16.7),  # (12 + 8 + 30) / 3
            ("sign_video_2", 1, 1, 0, 10.0),
        ]

    def test_chat_counts_per_queue_and_total(self, session: Session) -> None:
        total, per = channel_kpis(session, channel="chat", start=T0, end=T0 + HOUR)
        # offered ch1 ch2 ch3 ch4 (ch5 before); answered ch1 ch4; abandoned ch2; waits 20 and 10
        assert (total.offered, total.answered, total.abandoned, total.no_agent) == (4, 2, 1, 0)
        assert (total.answer_rate, total.abandon_rate, total.asa_s) == (0.5, 0.25, 15.0)
        assert [(k.queue, k.offered, k.answered, k.abandoned, k.asa_s) for k in per] == [
            ("general", 3, 1, 1, 20.0),
            ("tax", 1, 1, 0, 10.0),
        ]

    def test_one_queue_and_a_set_of_queues(self, session: Session) -> None:
        (g, per) = channel_kpis(session, channel="chat", start=T0, end=T0 + HOUR, queue="general")
        assert (g.queue, g.offered, g.answered, [k.queue for k in per]) == ("general", 3, 1, ["general"])
        (t, _) = channel_kpis(session, channel="chat", start=T0, end=T0 + HOUR, queues=["tax"])
        assert (t.queue, t.offered, t.asa_s) == (None, 1, 10.0)
        (v, per) = channel_kpis(session, channel="video", start=T0, end=T0 + HOUR, queues=["general"])
        assert (v.offered, v.answered, v.asa_s, per) == (0, 0, None, [])
        (v2, _) = channel_kpis(session, channel="video", start=T0, end=T0 + HOUR, queues=["sign_video_2"])
        assert (v2.offered, v2.answered) == (1, 1)

    def test_the_range_follows_the_start(self, session: Session) -> None:
        (later, _) = channel_kpis(session, channel="video", start=T0 + HOUR, end=T0 + 2 * HOUR)
        assert (later.offered, later.answered, later.asa_s) == (1, 1, 1.0)  # v5
        (before, _) = channel_kpis(session, channel="chat", start=T0 - HOUR, end=T0)
        assert (before.offered, before.answered, before.asa_s) == (1, 1, 5.0)  # ch5
        (empty, _) = channel_kpis(session, channel="chat", start=T0 - 2 * HOUR, end=T0 - HOUR)
        assert (empty.offered, empty.answer_rate, empty.asa_s) == (0, None, None)

    def test_bad_arguments_are_refused(self, session: Session) -> None:
        with pytest.raises(KpiRangeError):
            channel_kpis(session, channel="chat", start=T0, end=T0)
        with pytest.raises(ValueError, match="channel"):
            channel_kpis(session, channel="fax", start=T0, end=T0 + timedelta(hours=1))


class TestChannelsSqlite(ChannelContract):
    """The channel contract on a fresh SQLite file."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        """An empty SQLite database file."""
        return f"sqlite:///{tmp_path / 'channels.db'}"


@pytest.mark.postgres
class TestChannelsPostgres(ChannelContract):
    """The channel contract on PostgreSQL, in this session's scratch database."""

    @pytest.fixture
    def db_url(self, scratch_db: str) -> str:
        """The scratch database with an empty ``public`` schema."""
        _empty_schema(scratch_db)
        return _url(scratch_db)
