"""What every fuzzed HTTP request must satisfy, and the counts of a fuzz run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from schemathesis import Case as AnyCase

from tests.integration.fuzz_centre import ROLE_USERS, LiveCentre, changed

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
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One JSON line."""
        return json.dumps(
            {
                "requests": self.tried,
                "unsendable": self.unsendable,
                "failures": self.failures,
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


def _answer_problem(status: int, text: str) -> str | None:
    if status == ASTERISK_ERROR:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and "error_id" in body:
            return None
    if status >= 500:
        return f"{status} {text[:300]}"
    return None


def send_and_check(live: LiveCentre, role: str | None, case: Case, stats: FuzzStats) -> list[str]:
    """Send ``case`` as ``role`` and return what went wrong (empty when nothing did)."""
    _authenticate(live, role, case)
    before = live.snapshot()
    mark = len(live.errors.records)
    try:
        response = case.call(base_url=live.base_url, timeout=REQUEST_TIMEOUT_S)
    except (requests.exceptions.InvalidHeader, UnicodeEncodeError, ValueError):
        stats.unsendable += 1
        return []
    except requests.exceptions.RequestException as exc:
        stats.tried += 1
        stats.failures += 1
        return [_describe(role, case, f"no answer: {exc!r}")]
    stats.tried += 1
    status = response.status_code
    stats.statuses[f"{status // 100}xx"] += 1
    problems: list[str] = []
    if (problem := _answer_problem(status, response.text)) is not None:
        problems.append(problem)
    if status >= 500:
        live.errors.wait_for_any(mark)
    if 400 <= status < 500 and (diff := changed(before, live.snapshot())):
        problems.append(f"{status} but changed {', '.join(diff)}")
    live.settle()
    logged = live.errors.since(mark)
    if logged:
        problems.append(f"{status}; server logged: {' | '.join(line[:400] for line in logged)}")
    _restore_identities(live, case, status)
    stats.failures += len(problems)
    return [_describe(role, case, p) for p in problems]
