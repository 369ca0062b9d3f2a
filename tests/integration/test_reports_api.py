"""The report routes on a running centre (SQLite and PostgreSQL): a known day of records comes back per
queue and per agent, with the centre's total and its hourly, daily breakdown; CSV and XLSX downloads
carry the same figures; agents get 403; bad parameters a clear 422."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from hotline.app import Centre, ensure_admin
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.conftest import sandbox_settings
from tests.integration.desktop import DesktopClient
from tests.integration.supervision import add_user, set_queues, signed_in
from tests.pg import scratch_database
from tests.report_records import AGENT, DAY, PAUSE_S, SIGNED_IN_S, TALK_S, WRAP_S, seed

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def centre_settings(
    request: pytest.FixtureRequest, sandbox: AsteriskSandbox, tmp_path: Path
) -> Iterator[Settings]:
    """The integration centre on its SQLite file, or on a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield sandbox_settings(sandbox, tmp_path)
        return
    with scratch_database("hotline_reports") as url:
        yield sandbox_settings(sandbox, tmp_path, database_url=url)


@pytest.fixture
async def centre(centre_settings: Settings) -> AsyncIterator[Centre]:
    """A running centre on those settings; its database engine is disposed after it stops."""
    running = Centre(settings=centre_settings, ami_secret=centre_settings.ami_secret.get_secret_value())
    ensure_admin(running.sessions, centre_settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        running.sessions.kw["bind"].dispose()


@pytest.fixture
async def supervisor(centre: Centre) -> Any:
    """A signed-in supervisor, after the day's records were written."""
    await add_user(centre, AGENT, role="agent", contact="", skills={"general": 1})
    await add_user(centre, "sup1", role="supervisor", contact="", skills={})
    await set_queues(centre, "sup1", ["general", "social_security"])
    seed(centre.sessions)
    desk = await signed_in(centre, "sup1")
    yield desk
    await desk.close()


async def _get(desk: DesktopClient, path: str, **params: str) -> Any:
    resp = await desk.http.get(path, params=params, headers=desk.auth)
    assert resp.status_code == 200, resp.text
    return resp


async def test_given_a_day_then_each_queue_and_the_centre_total_come_back(supervisor: DesktopClient) -> None:
    report = (await _get(supervisor, "/api/reports/queues", period="day", date=DAY.isoformat())).json()
    assert report["period"] == "day"
    assert report["from"].startswith("2026-11-24T16:00:00")
    rows = {r["queue"]: r for r in report["rows"]}
    assert sorted(rows) == ["general", "social_security"]
    general = rows["general"]
    assert (general["offered"], general["answered"], general["answered_in_sl"]) == (3, 2, 1)
    assert (general["abandoned"], general["short_abandoned"]) == (1, 1)
    assert general["service_level"] == pytest.approx(0.5)
    assert general["asa_s"] == pytest.approx(14.0)
    assert general["three_way_110"] == 1
    assert rows["social_security"]["transfers"] == 1
    total = report["total"]
    assert (total["queue"], total["offered"], total["answered"]) == (None, 4, 3)
    assert len(report["intervals"]) == 24
    by_hour = {i["start"][11:13]: i for i in report["intervals"]}
    assert by_hour["01"]["answered"] == 2  # 09:00-10:00 local
    assert by_hour["02"]["abandoned"] == 1


async def test_given_a_week_and_a_month_then_they_break_down_per_local_day(supervisor: DesktopClient) -> None:
    week = (await _get(supervisor, "/api/reports/queues", period="week", date=DAY.isoformat())).json()
    assert week["from"].startswith("2026-11-22T16:00:00")  # Monday 23 November, local midnight
    assert len(week["intervals"]) == 7
    assert week["total"]["answered"] == 4
    assert [i["answered"] for i in week["intervals"][1:3]] == [1, 3]
    month = (await _get(supervisor, "/api/reports/queues", period="month", date=DAY.isoformat())).json()
    assert len(month["intervals"]) == 30
    assert month["total"]["offered"] == 5


async def test_given_a_day_then_the_agent_report_has_times_pauses_and_occupancy(
    supervisor: DesktopClient,
) -> None:
    report = (await _get(supervisor, "/api/reports/agents", period="day", date=DAY.isoformat())).json()
    rows = {r["agent_id"]: r for r in report["rows"]}
    agent = rows[AGENT]
    assert agent["answered"] == 3
    assert agent["talk_s"] == pytest.approx(TALK_S, abs=1)
    assert agent["wrap_s"] == pytest.approx(WRAP_S, abs=1)
    assert agent["pause_s"] == {"就餐": pytest.approx(PAUSE_S, abs=1)}
    assert agent["signed_in_s"] == pytest.approx(SIGNED_IN_S, abs=1)
    assert agent["occupancy"] == pytest.approx((TALK_S + WRAP_S) / (SIGNED_IN_S - PAUSE_S), abs=0.001)
    assert (agent["transfers"], agent["three_way"]) == (1, 1)
    assert report["total"]["answered"] == sum(r["answered"] for r in report["rows"])
    assert len(report["intervals"]) == 24


async def test_given_csv_and_xlsx_then_the_files_carry_the_same_figures(supervisor: DesktopClient) -> None:
    resp = await _get(supervisor, "/api/reports/queues", period="day", date=DAY.isoformat(), format="csv")
    assert resp.headers["content-disposition"] == 'attachment; filename="report-queues-day-2026-11-25.csv"'
    assert resp.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert [r["队列"] for r in rows] == ["general", "social_security", "合计"]
    assert rows[0]["服务水平(15秒)"] == "50.0%"
    assert rows[2]["接通量"] == "3"
    resp = await _get(supervisor, "/api/reports/agents", period="week", date=DAY.isoformat(), format="xlsx")
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "report-agents-week-2026-11-23.xlsx" in resp.headers["content-disposition"]
    book = load_workbook(io.BytesIO(resp.content))
    sheet = book["坐席"]
    header = [c.value for c in sheet[1]]
    first = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert (first["工号"], first["接听量"]) == (AGENT, 3)
    assert first["暂停-就餐(秒)"] == pytest.approx(PAUSE_S, abs=1)
    assert sheet.cell(row=2, column=header.index("占用率") + 1).number_format == "0.0%"
    assert len(list(book["分时段"].iter_rows())) == 1 + 7


async def test_given_a_supervisor_of_one_queue_then_the_reports_hold_only_that_queue_and_its_agents(
    supervisor: DesktopClient, centre: Centre
) -> None:
    await add_user(centre, "sup2", role="supervisor", contact="", skills={})
    await set_queues(centre, "sup2", ["social_security"])
    other = await signed_in(centre, "sup2")
    try:
        queues = (await _get(other, "/api/reports/queues", period="day", date=DAY.isoformat())).json()
        assert [r["queue"] for r in queues["rows"]] == ["social_security"]
        assert queues["scope"] == ["social_security"]
        assert (queues["total"]["offered"], queues["total"]["answered"]) == (1, 1)
        assert sum(i["offered"] for i in queues["intervals"]) == 1
        agents = (await _get(other, "/api/reports/agents", period="day", date=DAY.isoformat())).json()
        assert AGENT not in {r["agent_id"] for r in agents["rows"]}
        assert agents["total"]["answered"] == 0
        csv_rows = await _get(other, "/api/reports/queues", period="day", date=DAY.isoformat(), format="csv")
        assert "general" not in csv_rows.content.decode("utf-8-sig")
    finally:
        await other.close()
    whole = (await _get(supervisor, "/api/reports/agents", period="day", date=DAY.isoformat())).json()
    assert AGENT in {r["agent_id"] for r in whole["rows"]}


async def test_given_an_agent_then_both_report_routes_answer_403(centre: Centre) -> None:
    await add_user(centre, AGENT, role="agent", contact="", skills={"general": 1})
    agent = await signed_in(centre, AGENT)
    try:
        for path in ("/api/reports/queues", "/api/reports/agents"):
            resp = await agent.http.get(path, params={"period": "day"}, headers=agent.auth)
            assert resp.status_code == 403, resp.text
            assert resp.json()["error_id"] == "forbidden"
    finally:
        await agent.close()


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"period": "year", "date": "2026-11-25"}, "invalid_request"),
        ({"date": "2026-11-25"}, "invalid_request"),
        ({"period": "day", "date": "2026-02-30"}, "invalid_request"),
        ({"period": "day", "date": "2026-11-25", "format": "pdf"}, "invalid_request"),
        ({"period": "day", "date": "2999-01-01"}, "date_out_of_range"),
        ({"period": "month", "date": "1970-01-01"}, "date_out_of_range"),
    ],
)
async def test_given_bad_parameters_then_422_says_what_is_wrong(
    supervisor: DesktopClient, params: dict[str, str], error_id: str
) -> None:
    resp = await supervisor.http.get("/api/reports/queues", params=params, headers=supervisor.auth)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error_id"] == error_id
