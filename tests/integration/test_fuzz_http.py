"""Every HTTP route of the OpenAPI document, fuzzed (schemathesis on hypothesis) against the real centre.

The centre is built as hotline/app.py builds it, on PostgreSQL and the real Asterisk sandbox, and served by
uvicorn; each generated request (valid and invalid by the schema, anonymous with a generated
``authorization`` header, or signed in as agent, supervisor or admin) must get an answer within
``REQUEST_TIMEOUT_S``, never a 500 (502 only as the API's Asterisk error), no traceback in the server log,
and a 4xx must leave the database and the ACD exactly as they were.

Budget: ``HOTLINE_FUZZ_EXAMPLES`` examples per route (default 20), derandomized unless
``HOTLINE_FUZZ_RANDOM=1``; the counts are printed at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from hotline.http import build_http_app
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.conftest import sandbox_settings
from tests.integration.fuzz_bodies import RAW_BODIES, edge_values, fill_path, integer_parameters
from tests.integration.fuzz_centre import (
    LiveCentre,
    centre_running,
    fuzz_derandomize,
    fuzz_examples,
    report,
)
from tests.integration.fuzz_http_checks import (
    REQUEST_TIMEOUT_S,
    Case,
    FuzzStats,
    check_exchange,
    send_and_check,
)
from tests.pg import scratch_database

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(600)]

SCHEMA = schemathesis.openapi.from_dict(build_http_app(None).openapi())
_IDENTITY_ROUTES = ("POST /api/sessions", "DELETE /api/sessions")
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
OPERATIONS: list[Operation] = sorted(
    (result.ok() for result in SCHEMA.get_all_operations() if isinstance(result, Ok)),
    key=lambda op: (op.label in _IDENTITY_ROUTES, op.label),
)
"""Every operation; signing in and out go last, so that failed sign-ins cannot slow the others."""
ROLES: list[str | None] = [None, "agent", "supervisor", "admin"]


@pytest.fixture(scope="module")
def live(sandbox: AsteriskSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveCentre]:
    """The centre under fuzz, on a scratch PostgreSQL database. A chat the fuzz opens through the public
    route is offered to the fuzz agent; its offer does not lapse during the run (a lapse pauses the agent
    and would show as a change in the middle of some unrelated request)."""
    with scratch_database("hotline_fuzz_http") as url:
        state: Path = tmp_path_factory.mktemp("fuzz-http")
        settings = sandbox_settings(sandbox, state, database_url=url, chat_offer_timeout_seconds=86_400.0)
        yield from centre_running(settings)


@pytest.fixture(scope="module")
def stats(request: pytest.FixtureRequest) -> Iterator[FuzzStats]:
    """Counts over the module, printed at its end."""
    counts = FuzzStats()
    yield counts
    report(request, f"HTTP fuzz: {counts.summary()}")


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_route_survives_generated_requests(operation: Operation, live: LiveCentre, stats: FuzzStats) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )
    failures: list[str] = []

    @settings(
        max_examples=fuzz_examples(20),
        derandomize=fuzz_derandomize(),
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(role=st.sampled_from(ROLES), case=cases)
    def run(role: str | None, case: Case) -> None:
        failures.extend(send_and_check(live, role, case, stats))

    run()
    assert not failures, "\n".join(dict.fromkeys(failures))


ANONYMOUS_ROUTES = (
    "POST /api/sessions",
    "POST /api/public/orders",
    "POST /api/public/orders/progress",
    "POST /api/guest/status",
    "POST /api/chat/sessions",
)
"""Routes open without a token (sign-in, the citizens' public page): refused for their body, not for a 401."""
BODY_ROUTES = [op for op in OPERATIONS if op.body or op.label == "PUT /api/ivr/prompts/{prompt_id}"]
"""Every route that reads a body (the prompt upload reads its body raw, outside the schema)."""


@pytest.mark.parametrize("role", [None, "admin"])
@pytest.mark.parametrize("operation", BODY_ROUTES, ids=[op.label for op in BODY_ROUTES])
def test_route_survives_raw_bodies(
    operation: Operation, role: str | None, live: LiveCentre, stats: FuzzStats
) -> None:
    url = live.base_url + fill_path(operation.path)
    needs_user = operation.label not in ANONYMOUS_ROUTES
    failures: list[str] = []
    for name, (body, content_type) in RAW_BODIES.items():
        headers = {"content-type": content_type}
        if role is not None:
            headers["authorization"] = f"Bearer {live.tokens[role]}"
        send = partial(
            requests.request, operation.method, url, data=body, headers=headers, timeout=REQUEST_TIMEOUT_S
        )
        status, problems = check_exchange(live, send, stats)
        if role is None and needs_user and status != 401:
            problems.append(f"anonymous request answered {status}, not 401")
        who = role or "anonymous"
        failures += [f"{operation.method.upper()} {url} as {who}, {name} -> {p}" for p in problems]
    assert not failures, "\n".join(failures)


DOCUMENT = build_http_app(None).openapi()
KNOWN_500: dict[tuple[str, str], str] = {}
"""Integer parameters known to give a 500 at a storage edge (findings awaiting a fix elsewhere; empty:
the audit's ``before_id``, once allowed past the 32-bit column, is bounded)."""


def _edge_case(label: str, name: str, where: str, schema: dict[str, Any]) -> Any:
    marks = (
        [pytest.mark.xfail(reason=KNOWN_500[label, name], strict=False)] if (label, name) in KNOWN_500 else []
    )
    return pytest.param(label, name, where, schema, marks=marks, id=f"{label} {name}")


@pytest.mark.parametrize(
    ("label", "name", "where", "schema"), [_edge_case(*p) for p in integer_parameters(DOCUMENT)]
)
def test_integer_parameter_at_storage_edges(
    label: str, name: str, where: str, schema: dict[str, Any], live: LiveCentre, stats: FuzzStats
) -> None:
    method, path = label.split(" ", 1)
    failures: list[str] = []
    for value in edge_values(schema):
        url = live.base_url + fill_path(path.replace(f"{{{name}}}", str(value)))
        params = {name: value} if where == "query" else {}
        headers = {"authorization": f"Bearer {live.tokens['admin']}"}
        send = partial(
            requests.request, method, url, params=params, headers=headers, timeout=REQUEST_TIMEOUT_S
        )
        _, problems = check_exchange(live, send, stats)
        failures += [f"{label} {name}={value} -> {p}" for p in problems]
    assert not failures, "\n".join(failures)
