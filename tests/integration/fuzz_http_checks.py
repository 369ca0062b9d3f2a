"""What every fuzzed HTTP request must satisfy, and the counts of a fuzz run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from schemathesis import Case as AnyCase
from schemathesis import Response as SchemathesisResponse

from tests.integration.fuzz_centre import KNOWN_CHANGES, ROLE_USERS, LiveCentre, changed

Case = AnyCase[Any]
REQUEST_TIMEOUT_S = 15.0
"""A request without an answer by then counts as a hang."""
ASTERISK_ERROR = 502
"""The one 5xx the API answers on purpose (Asterisk refused or is unreachable), with an error body."""


@dataclass
class FuzzStats:
    """Requests sent, answers by status class, and failures, over one fuzz run."""

    tried: int = 0
    unsendable: int = 0
    failures: int = 0
    known: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One JSON line."""
        return json.dumps(
            {
                "requests": self.tried,
                "unsendable": self.unsendable,
                "failures": self.failures,
                "known": self.known,
                "statuses": dict(sorted(self.statuses.items())),
            }
        )


def _describe(role: str | None, case: Case, outcome: str) -> str:
    body = repr(case.body)[:300] if isinstance(case.body, (str, bytes, dict, list, int, float)) else "-"
    return (
        f"{case.method} {case.formatted_path} as {role or 'anonymous'} query={case.query!r} "
        f"body={body} -> {outcome}"
    )


def _authenticate(live: LiveCentre, role: str | None, case: Case) -> None:
    if role is not None:
        case.headers["authorization"] = f"Bearer {live.tokens[role]}"


def _restore_identities(live: LiveCentre, case: Case, status: int) -> None:
    """A successful sign-out or user change may have revoked a fuzz token; sign in again."""
    if not 200 <= status < 300:
        return
    path = case.formatted_path
    if case.operation.label == "DELETE /api/sessions" or (
        path.startswith("/api/agents/") and path.removeprefix("/api/agents/") in ROLE_USERS.values()
    ):
        live.seed_users()
        live.sign_in_all()


def _error_id(text: str) -> str | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return str(body["error_id"]) if isinstance(body, dict) and "error_id" in body else None


def _answer_problem(status: int, text: str) -> str | None:
    if status == ASTERISK_ERROR and _error_id(text) is not None:
        return None
    if status >= 500:
        return f"{status} {text[:300]}"
    return None


Send = Callable[[], "requests.Response | SchemathesisResponse"]


def check_exchange(live: LiveCentre, send: Send, stats: FuzzStats) -> tuple[int | None, list[str]]:
    """Run ``send`` (one request) and return its status and what went wrong: no answer, a 5xx, a
    traceback in the server log, a 4xx that changed the database or the ACD."""
    before = live.snapshot()
    mark = len(live.errors.records)
    try:
        response = send()
    except (requests.exceptions.InvalidHeader, UnicodeEncodeError, ValueError):
        stats.unsendable += 1
        return None, []
    except requests.exceptions.RequestException as exc:
        stats.tried += 1
        stats.failures += 1
        return None, [f"no answer: {exc!r}"]
    stats.tried += 1
    status = response.status_code
    stats.statuses[f"{status // 100}xx"] += 1
    problems: list[str] = []
    if (problem := _answer_problem(status, response.text)) is not None:
        problems.append(problem)
        live.errors.wait_for_any(mark)
    if 400 <= status < 500 and (diff := changed(before, live.snapshot())):
        if _error_id(response.text) in KNOWN_CHANGES:
            stats.known += 1
        else:
            problems.append(f"{status} but changed {', '.join(diff)}")
    live.settle()
    if logged := live.errors.since(mark):
        problems.append(f"{status}; server logged: {' | '.join(line[:400] for line in logged)}")
    stats.failures += len(problems)
    return status, problems


def send_and_check(live: LiveCentre, role: str | None, case: Case, stats: FuzzStats) -> list[str]:
    """Send ``case`` as ``role`` and return what went wrong (empty when nothing did)."""
    _authenticate(live, role, case)
    status, problems = check_exchange(
        live, lambda: case.call(base_url=live.base_url, timeout=REQUEST_TIMEOUT_S), stats
    )
    if status is not None:
        _restore_identities(live, case, status)
    return [_describe(role, case, p) for p in problems]
