"""The 三率 route on a running centre (SQLite and PostgreSQL): the driven orders of
tests/sanlv_contract.py come back per department as JSON, CSV and XLSX with the same figures; a
department user sees only its own subtree (403 for another department); agents get 403; an unknown
department is a 404 and a malformed code a 422."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from supervisor.reports import Period, report_window
from tests.integration.conftest import sandbox_settings
from tests.integration.dept_portal import dept_user
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user, signed_in
from tests.pg import scratch_database
from tests.sanlv_contract import drive
from tickets.sanlv import COUNTS, department_report

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(180)]

DAY = "2026-11-25"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def centre_settings(
    request: pytest.FixtureRequest, sandbox: AsteriskSandbox, tmp_path: Path
) -> Iterator[Settings]:
    """The integration centre on its SQLite file, or on a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield sandbox_settings(sandbox, tmp_path)
        return
    with scratch_database("hotline_sanlv") as url:
        yield sandbox_settings(sandbox, tmp_path, database_url=url)


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre with the driven orders."""
    running = Centre(settings=centre_settings, ami_secret=centre_settings.ami_secret.get_secret_value())
    ensure_admin(running.sessions, centre_settings)
    await running.start()
    try:
        await asyncio.to_thread(drive, running.sessions)
        yield running
    finally:
        await running.stop()
        running.sessions.kw["bind"].dispose()


@pytest.fixture
async def supervisor(centre: Centre) -> AsyncIterator[DesktopClient]:
    """A signed-in supervisor."""
    await add_user(centre, "sup1", role="supervisor", contact="", skills={})
    desk = await signed_in(centre, "sup1")
    yield desk
    await desk.close()


async def _get(desk: DesktopClient, status: int = 200, **params: str) -> Any:
    resp = await desk.http.get("/api/reports/departments", params=params, headers=desk.auth)
    assert resp.status_code == status, resp.text
    return resp


def _by_code(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["department"]: r for r in report["rows"]}


async def test_given_driven_orders_then_json_equals_the_figures(
    centre: Centre, supervisor: DesktopClient
) -> None:
    report = (await _get(supervisor, period="week", date=DAY)).json()
    window = report_window(Period.WEEK, datetime.fromisoformat(DAY).date(), datetime.now(UTC))
    want = department_report(centre.sessions, window, now=datetime.now(UTC))
    assert report["period"] == "week"
    assert report["from"].startswith("2026-11-22T16:00:00")
    got = _by_code(report)
    for code, row in _by_code(want).items():
        assert {k: got[code][k] for k in COUNTS} == {k: row[k] for k in COUNTS}, code
    assert report["total"]["dispatched"] == 6
    sthjj = got["sthjj"]
    assert (sthjj["dispatched"], sthjj["response_rate"], sthjj["satisfaction_rate"]) == (3, 2 / 3, 1.0)


async def test_given_csv_and_xlsx_then_they_read_back_with_the_same_figures(
    supervisor: DesktopClient,
) -> None:
    figures = _by_code((await _get(supervisor, period="week", date=DAY)).json())
    resp = await _get(supervisor, period="week", date=DAY, format="csv")
    assert resp.headers["content-disposition"] == 'attachment; filename="sanlv-week-2026-11-23.csv"'
    assert resp.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    header = table[0]
    assert header[:4] == ["部门编码", "部门", "层级", "派单量"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert rows["sthjj"]["派单量"] == "3"
    assert rows["sthjj"]["响应率"] == "66.7%"
    assert rows["cgj"]["退单"] == str(figures["cgj"]["returns"])
    assert rows["cgj"]["满意率"] == ""
    assert rows[""]["层级"] == "合计"
    assert rows[""]["派单量"] == "6"
    resp = await _get(supervisor, period="week", date=DAY, format="xlsx", department="sthjj")
    assert resp.headers["content-disposition"].endswith('sanlv-week-2026-11-23-sthjj.xlsx"')
    sheet = load_workbook(io.BytesIO(resp.content))["部门三率"]
    cells = list(sheet.iter_rows(values_only=True))
    heads = list(cells[0])
    found = {str(r[0]): dict(zip(heads, r, strict=True)) for r in cells[1:]}
    assert sorted(found) == ["sthjj", "sthjj_gusu", "sthjj_gusu_shuangta"]
    assert found["sthjj"]["派单量"] == 3
    assert found["sthjj"]["响应率"] == pytest.approx(2 / 3)
    assert found["sthjj"]["延期同意"] == figures["sthjj"]["extensions_approved"] == 1


async def test_given_department_user_then_only_its_subtree(centre: Centre, supervisor: DesktopClient) -> None:
    user = await dept_user(centre, "gusu1", "sthjj_gusu")
    try:
        own = (await _get(user, period="week", date=DAY)).json()
        assert sorted(_by_code(own)) == ["sthjj_gusu", "sthjj_gusu_shuangta"]
        assert own["total"]["dispatched"] == 1
        assert own["total"]["extensions_approved"] == 1
        below = (await _get(user, period="week", date=DAY, department="sthjj_gusu_shuangta")).json()
        assert sorted(_by_code(below)) == ["sthjj_gusu_shuangta"]
        for other in ("sthjj", "cgj"):
            refused = (await _get(user, 403, period="week", date=DAY, department=other)).json()
            assert refused["error_id"] == "department_out_of_scope"
        assert (
            await user.http.get("/api/reports/queues", params={"period": "day"}, headers=user.auth)
        ).status_code == 403
    finally:
        await user.close()


async def test_given_other_roles_and_bad_input_then_refused(
    centre: Centre, supervisor: DesktopClient
) -> None:
    await add_user(centre, "ag1", role="agent", contact="", skills={"general": 1})
    agent = await signed_in(centre, "ag1")
    try:
        assert (await _get(agent, 403, period="week", date=DAY)).json()["error_id"] == "forbidden"
    finally:
        await agent.close()
    assert (await _get(supervisor, 404, period="week", date=DAY, department="nope")).json()["error_id"] == (
        "department_not_found"
    )
    assert (await _get(supervisor, 422, period="week", date=DAY, department="NO PE")).json()["error_id"] == (
        "invalid_request"
    )
    assert (await _get(supervisor, 422, period="year", date=DAY)).json()["error_id"] == "invalid_request"
    assert (await _get(supervisor, 422, period="day", date="2099-01-01")).json()["error_id"] == (
        "date_out_of_range"
    )
