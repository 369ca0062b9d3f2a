"""Report files: CSV in UTF-8 with a byte-order mark and Chinese headers, rates as percentages, a total
row; XLSX read back with openpyxl: Chinese headers, percent-formatted rates, the breakdown sheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import load_workbook

from supervisor.report_export import file_name, to_csv, to_xlsx
from supervisor.reports import Period, ReportKind, agent_total, report_window

NOW = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)
WINDOW = report_window(Period.DAY, date(2026, 12, 1), NOW)


def _queue(name: str | None, offered: int, answered: int, in_sl: int, **extra: Any) -> dict[str, Any]:
    return {
        "queue": name,
        "start": extra.pop("start", WINDOW.start),
        "end": WINDOW.end,
        "offered": offered,
        "answered": answered,
        "answered_in_sl": in_sl,
        "abandoned": offered - answered,
        "short_abandoned": 1,
        "callbacks": 0,
        "service_level": in_sl / answered if answered else None,
        "answer_rate": answered / offered if offered else None,
        "abandon_rate": (offered - answered) / offered if offered else None,
        "asa_s": 7.25 if answered else None,
        "aht_s": 180.0 if answered else None,
        "transfers": 2,
        "three_way_110": 1,
        "three_way_departments": 0,
    }


def _queue_report() -> dict[str, Any]:
    hours = [
        _queue(None, 3, 2, 1, start=datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
        _queue(None, 0, 0, 0, start=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)),
    ]
    return {
        "period": "day",
        "from": WINDOW.start,
        "to": WINDOW.end,
        "rows": [_queue("general", 8, 6, 5), _queue("social_security", 2, 2, 2)],
        "total": _queue(None, 10, 8, 7),
        "intervals": hours,
    }


def _agent_report() -> dict[str, Any]:
    rows = [
        {
            "agent_id": "1001",
            "name": "张三",
            "start": WINDOW.start,
            "end": WINDOW.end,
            "answered": 4,
            "talk_s": 600.0,
            "wrap_s": 120.0,
            "aht_s": 180.0,
            "pause_s": {"小休": 300.0, "no answer": 15.0},
            "signed_in_s": 3600.0,
            "occupancy": 0.2198,
            "transfers": 1,
            "three_way": 0,
        }
    ]
    return {
        "period": "day",
        "from": WINDOW.start,
        "to": WINDOW.end,
        "rows": rows,
        "total": agent_total(rows, WINDOW),
        "intervals": [],
    }


def test_given_a_queue_report_then_the_csv_has_a_bom_chinese_headers_percentages_and_a_total_row() -> None:
    data = to_csv(_queue_report(), ReportKind.QUEUES)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["队列", "呼入量", "接通量"]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert list(by_name) == ["general", "social_security", "合计"]
    assert by_name["general"]["服务水平(15秒)"] == "83.3%"
    assert by_name["general"]["接通率"] == "75.0%"
    assert by_name["general"]["平均应答时长(秒)"] == "7.2"
    assert by_name["合计"]["呼入量"] == "10"
    assert by_name["合计"]["三方通话(110等)"] == "1"


def test_given_an_agent_report_then_pause_reasons_get_columns_in_chinese() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(_agent_report(), ReportKind.AGENTS).decode("utf-8-sig"))))
    header = rows[0]
    assert "暂停-小休(秒)" in header
    assert "暂停-未接听(秒)" in header
    agent = dict(zip(header, rows[1], strict=True))
    assert agent["姓名"] == "张三"
    assert agent["占用率"] == "22.0%"
    assert agent["暂停时长(秒)"] == "315.0"
    total = dict(zip(header, rows[2], strict=True))
    assert total["工号"] == "合计"
    assert total["接听量"] == "4"


def test_given_a_queue_report_then_the_xlsx_reads_back_with_percent_formats_and_a_breakdown_sheet() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(_queue_report(), ReportKind.QUEUES)))
    assert book.sheetnames == ["队列", "分时段"]
    main = book["队列"]
    values = [[c.value for c in row] for row in main.iter_rows()]
    header = values[0]
    assert header[0] == "队列"
    sl = header.index("服务水平(15秒)")
    assert values[1][0] == "general"
    assert values[1][sl] == 5 / 6
    assert main.cell(row=2, column=sl + 1).number_format == "0.0%"
    assert values[3][0] == "合计"
    assert values[3][header.index("呼入量")] == 10
    hours = [[c.value for c in row] for row in book["分时段"].iter_rows()]
    assert hours[0][0] == "时段"
    assert [h[0] for h in hours[1:]] == ["2026-12-01 09:00", "2026-12-01 10:00"]
    assert hours[2][header.index("服务水平(15秒)")] is None


def test_the_file_name_names_the_kind_period_and_first_local_day() -> None:
    assert file_name(_queue_report(), ReportKind.QUEUES, "xlsx") == "report-queues-day-2026-12-01.xlsx"
