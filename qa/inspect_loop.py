"""The inspection pass: every transcribed call gets the QA rules once, in the background.

Each pass takes the calls ready for inspection (qa.candidates), applies the rules in force
(qa.rules), stores the flags and puts flagged calls plus a random sample (``sample_rate`` of the
rules) on the work list (qa.worklist). Several app nodes may run it: an inspection is written once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hotline.thread_work import finished_in_thread
from qa import store
from qa.candidates import ready_calls, speech_of
from qa.rules import inspect
from qa.worklist import record_inspection

log = logging.getLogger(__name__)
Sessions = sessionmaker[Session]
DEFAULT_LOOKBACK = timedelta(days=30)
"""Calls recorded longer ago than this are not inspected any more (a backfill older than that is not)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InspectLoop:
    """Inspects ready calls recorded within ``lookback`` every ``every_s`` seconds, ``batch`` at most per
    pass."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        every_s: float = 30.0,
        batch: int = 50,
        lookback: timedelta = DEFAULT_LOOKBACK,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sm = sessions
        self._every_s = every_s
        self._batch = batch
        self._lookback = lookback
        self._rng = rng or random.Random()
        self._clock = clock

    def run_once(self) -> int:
        """One pass (blocking: database reads and writes); how many calls it inspected."""
        version, rules = store.rules(self._sm)
        done = 0
        since = self._clock() - self._lookback
        for call_id in ready_calls(self._sm, since=since, limit=self._batch):
            speech = speech_of(self._sm, call_id)
            if speech is None:
                continue
            flags = inspect(speech.segments, speech.holds, rules)
            sampled = self._rng.random() < rules.sample_rate
            stored = record_inspection(
                self._sm, speech.facts, flags=flags, sampled=sampled, rules_version=version, now=self._clock()
            )
            done += int(stored)
        return done

    async def run(self) -> None:
        """Pass after pass until cancelled; a failed pass is logged and the next one comes."""
        while True:
            try:
                while await finished_in_thread(self.run_once) >= self._batch:
                    pass
            except Exception:
                log.exception("quality inspection pass failed")
            await asyncio.sleep(self._every_s)
