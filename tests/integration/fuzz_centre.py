"""A whole centre (hotline/app.py's ``Centre``) running in a thread of its own, for hostile-input tests.

The fuzzing tests are synchronous (hypothesis drives them); the centre runs on its own event loop in a
background thread, served by a real uvicorn on a free port, on a scratch PostgreSQL database. The helper
signs in one user per role, and takes the snapshots that show whether a rejected request changed
anything: every database table (except the append-only read audit and sign-in throttling, which a
rejected request may rightly add to) and the ACD's view of every agent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import traceback
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from agent_desktop.auth import hash_password
from hotline.app import Centre, ensure_admin
from hotline.db import repository as repo
from hotline.settings import Settings
from ivr import prompts
from supervisor.centre_switches import EMERGENCY_PROMPT, set_emergency_notice

T = TypeVar("T")

ROLE_USERS = {"agent": "1001", "supervisor": "1002", "admin": "admin"}
"""The user signed in for each role (agents' ids are sandbox extensions, so their phones are real)."""
PASSWORDS = {"1001": "fuzz-agent-password", "1002": "fuzz-supervisor-password"}
UNCHECKED_TABLES = ("alembic_version", "audit", "login", "attempt", "throttle")
"""Tables whose name contains one of these may change on a rejected request (audit trail, backoff)."""
KNOWN_CHANGES: dict[str, str] = {}
"""Refusals (by error id) known to change state, findings awaiting a fix elsewhere: counted, not failed
(empty: the one found, a refused pause reason logging an agent in, is fixed)."""
AGENT_KEYS = ("agent_id", "contact", "skills", "status", "state", "pause_reason")


def fuzz_examples(default: int) -> int:
    """Examples per route or frame type: ``HOTLINE_FUZZ_EXAMPLES`` for a wider run, else ``default``."""
    return int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", default))


def fuzz_derandomize() -> bool:
    """Fixed examples (CI, and by default); ``HOTLINE_FUZZ_RANDOM=1`` explores new ones each run."""
    return os.environ.get("HOTLINE_FUZZ_RANDOM", "") != "1"


def report(request: pytest.FixtureRequest, line: str) -> None:
    """Show ``line`` on the terminal even under output capture (the fuzz run's counts)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


class ErrorLog(logging.Handler):
    """Keeps every ERROR record with a traceback (a 500's traceback, an exception in a handler)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def wait_for_any(self, mark: int, within_s: float = 2.0) -> None:
        """Give a record that follows a response (uvicorn logs a 500 after sending it) time to arrive."""
        deadline = time.monotonic() + within_s
        while len(self.records) <= mark and time.monotonic() < deadline:
            time.sleep(0.02)

    def since(self, mark: int) -> list[str]:
        """The records logged after ``mark`` (an earlier ``len(records)``), each with the innermost
        frame of its traceback (the line that raised)."""
        return [_one_line(r) for r in self.records[mark:]]

    def attach(self) -> None:
        """Listen on the root logger and on uvicorn's (which does not propagate)."""
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self)

    def detach(self) -> None:
        """Stop listening."""
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self)


LOGGERS = ("", "uvicorn")
"""uvicorn.error propagates to uvicorn, which does not propagate to the root."""


def _one_line(record: logging.LogRecord) -> str:
    line = f"{record.name}: {record.getMessage()}"
    kind, exc, tb = record.exc_info or (None, None, None)
    if kind is not None and tb is not None:
        frames = traceback.extract_tb(tb)
        ours = [f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename]
        where = (ours or frames)[-1]
        line += f" [{kind.__name__}: {str(exc)[:300]} at {where.filename}:{where.lineno} {where.line}]"
    return line


@dataclass
class LiveCentre:
    """A started centre on its own loop thread; ``call`` runs a coroutine on that loop."""

    settings: Settings
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    errors: ErrorLog = field(default_factory=ErrorLog)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-centre", daemon=True)
        self._db: Engine | None = None
        self.tokens: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        """The HTTP root of the centre."""
        return f"http://127.0.0.1:{self.settings.http_port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run ``coro`` on the centre's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        """Build and start the centre, seed one user per role and sign each in."""
        self._thread.start()
        self.centre = self.call(self._start())
        self.errors.attach()
        self._db = create_engine(self.settings.resolved_database_url())
        self.seed_users()
        self.sign_in_all()

    async def _start(self) -> Centre:
        centre = Centre(settings=self.settings, ami_secret=self.settings.ami_secret.get_secret_value())
        ensure_admin(centre.sessions, self.settings)
        await centre.start()
        return centre

    def stop(self) -> None:
        """Stop the centre and its loop thread, putting the shipped emergency notice back first: the
        fuzzed requests may have spoken another one into the sandbox's prompts, which every centre of
        this test worker shares."""
        try:
            shipped = prompts.default_prompt_texts()[EMERGENCY_PROMPT]
            set_emergency_notice(self.centre.ivr, on=False, text=shipped)
            self.call(self.centre.stop())
            self.centre.sessions.kw["bind"].dispose()
        finally:
            self.errors.detach()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
            if self._db is not None:
                self._db.dispose()

    def seed_users(self) -> None:
        """(Re)create the agent and supervisor users as the fuzz run expects them."""
        for user_id, role in (("1001", "agent"), ("1002", "supervisor")):
            repo.upsert_agent(
                self.centre.sessions,
                agent_id=user_id,
                name=f"测试{role}",
                contact=f"PJSIP/{user_id}",
                skills={"general": 5},
                role=role,  # type: ignore[arg-type]
                password_hash=hash_password(PASSWORDS[user_id]),
            )

    def sign_in_all(self) -> None:
        """A fresh bearer token for each role, through ``POST /api/sessions``."""
        admin_password = self.settings.admin_password.get_secret_value()
        for role, user_id in ROLE_USERS.items():
            password = PASSWORDS.get(user_id, admin_password)
            reply = httpx.post(
                f"{self.base_url}/api/sessions", json={"user_id": user_id, "password": password}, timeout=30
            )
            reply.raise_for_status()
            self.tokens[role] = reply.json()["token"]

    def settle(self) -> None:
        """Wait until every event published so far is recorded in the database."""
        self.call(self.centre.recorder.drained(timeout=10.0))

    def snapshot(self) -> dict[str, object]:
        """Every checked table's rows and every agent as the ACD sees it (after the recorder settles)."""
        self.settle()
        assert self._db is not None
        tables: dict[str, object] = {}
        with self._db.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                if any(word in name for word in UNCHECKED_TABLES):
                    continue
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
                tables[name] = sorted(repr(tuple(row)) for row in rows)
        tables["acd.agents"] = self.call(self._acd_agents())
        return tables

    async def _acd_agents(self) -> list[dict[str, object]]:
        snapshot = self.centre.acd.engine.snapshot()
        agents: list[dict[str, object]] = snapshot["agents"]  # type: ignore[assignment]
        return [{k: a.get(k) for k in AGENT_KEYS} for a in agents]


def changed(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """The names of the tables (or views) that differ between two snapshots."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def centre_running(settings: Settings) -> Iterator[LiveCentre]:
    """Start a :class:`LiveCentre` on ``settings`` and stop it afterwards (for fixtures)."""
    live = LiveCentre(settings)
    live.start()
    try:
        yield live
    finally:
        live.stop()
