"""Reports as files: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese headers) and XLSX.

One row per queue or agent and a total row, with Chinese column headers; rates are shown as
percentages (``85.3%`` in CSV, percent-formatted numbers in XLSX), durations in seconds. The XLSX
workbook has a second sheet with the centre's hourly or daily breakdown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from supervisor.reports import LOCAL, Period, ReportKind


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its Chinese header, how to read the value from a row, and how to show it."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    style: str = "int"  # int | seconds | percent | text


def _field(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(name)


QUEUE_FIGURES = [
    Column("呼入量", _field("offered")),
    Column("接通量", _field("answered")),
    Column("15秒内接通", _field("answered_in_sl")),
    Column("放弃量", _field("abandoned")),
    Column("短时放弃", _field("short_abandoned")),
    Column("预约回拨", _field("callbacks")),
    Column("服务水平(15秒)", _field("service_level"), "percent"),
    Column("接通率", _field("answer_rate"), "percent"),
    Column("放弃率", _field("abandon_rate"), "percent"),
    Column("平均应答时长(秒)", _field("asa_s"), "seconds"),
    Column("平均处理时长(秒)", _field("aht_s"), "seconds"),
    Column("转接", _field("transfers")),
    Column("三方通话(110等)", _field("three_way_110")),
    Column("三方通话(部门)", _field("three_way_departments")),
]


SYSTEM_PAUSE_LABELS = {"no answer": "未接听", "login": "刚签入", "telephony outage": "电话系统中断"}
"""The system's own pause reasons in Chinese, as the pages show them (agent_desktop/static/labels.js)."""


def pause_label(reason: str) -> str:
    """A pause reason as shown to people: the centre's reasons as configured, the system's in Chinese."""
    return SYSTEM_PAUSE_LABELS.get(reason, reason or "未注明")


def _pause_of(reason: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get("pause_s", {}).get(reason, 0.0)


def _pause_total(row: Mapping[str, Any]) -> float:
    return float(sum(row.get("pause_s", {}).values()))


def agent_columns(reasons: Iterable[str]) -> list[Column]:
    """The agent report's columns, one pause column per reason seen in the report."""
    pauses = [Column(f"暂停-{pause_label(reason)}(秒)", _pause_of(reason), "seconds") for reason in reasons]
    return [
        Column("工号", lambda row: row.get("agent_id") or "合计", "text"),
        Column("姓名", _field("name"), "text"),
        Column("接听量", _field("answered")),
        Column("通话时长(秒)", _field("talk_s"), "seconds"),
        Column("话后时长(秒)", _field("wrap_s"), "seconds"),
        Column("平均处理时长(秒)", _field("aht_s"), "seconds"),
        Column("签入时长(秒)", _field("signed_in_s"), "seconds"),
        Column("暂停时长(秒)", _pause_total, "seconds"),
        *pauses,
        Column("占用率", _field("occupancy"), "percent"),
        Column("转接", _field("transfers")),
        Column("三方通话", _field("three_way")),
        Column("质检均分", _field("qa_score"), "seconds"),
        Column("质检评分数", _field("qa_scored")),
    ]


def _slot_label(period: Period) -> Callable[[Mapping[str, Any]], Any]:
    pattern = "%Y-%m-%d %H:00" if period is Period.DAY else "%Y-%m-%d"

    def label(row: Mapping[str, Any]) -> str:
        start: datetime = row["start"]
        return start.astimezone(LOCAL).strftime(pattern)

    return label


def table_of(report: Mapping[str, Any], kind: ReportKind) -> tuple[list[Column], list[Mapping[str, Any]]]:
    """The main table of a report: its columns and rows (the total row last)."""
    rows: list[Mapping[str, Any]] = list(report["rows"])
    total = report.get("total")
    if kind is ReportKind.QUEUES:
        columns = [Column("队列", lambda row: row.get("queue") or "合计", "text"), *QUEUE_FIGURES]
        if total is not None:
            rows.append({**total, "queue": None})
        return columns, rows
    reasons = sorted({reason for row in rows for reason in row.get("pause_s", {})})
    if total is not None:
        rows.append(total)
    return agent_columns(reasons), rows


def intervals_table(report: Mapping[str, Any]) -> tuple[list[Column], list[Mapping[str, Any]]]:
    """The centre's breakdown: one row per hour (day report) or per day."""
    slot = Column(
        "时段" if report["period"] == Period.DAY else "日期", _slot_label(Period(report["period"])), "text"
    )
    return [slot, *QUEUE_FIGURES], list(report["intervals"])


def _csv_value(value: Any, style: str) -> str:
    if value is None:
        return ""
    if style == "percent":
        return f"{float(value) * 100:.1f}%"
    if style == "seconds":
        return f"{float(value):.1f}"
    return str(value)


def to_csv(report: Mapping[str, Any], kind: ReportKind) -> bytes:
    """The report's main table as CSV, UTF-8 with a byte-order mark."""
    return csv_of(*table_of(report, kind))


def csv_of(columns: list[Column], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Any table as CSV, UTF-8 with a byte-order mark, values shown by their column's style."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_value(c.value(row), c.style) for c in columns])
    return out.getvalue().encode("utf-8-sig")


NUMBER_FORMATS = {"percent": "0.0%", "seconds": "0.0", "int": "0"}


def _fill_sheet(sheet: Worksheet, columns: list[Column], rows: list[Mapping[str, Any]]) -> None:
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([c.value(row) for c in columns])
    for index, column in enumerate(columns, start=1):
        fmt = NUMBER_FORMATS.get(column.style)
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 2)
        if fmt is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = fmt
    sheet.freeze_panes = "B2"


def to_xlsx(report: Mapping[str, Any], kind: ReportKind) -> bytes:
    """The report as an XLSX workbook: the main table, then the centre's breakdown."""
    title = "队列" if kind is ReportKind.QUEUES else "坐席"
    return xlsx_of([(title, *table_of(report, kind)), ("分时段", *intervals_table(report))])


Sheet = tuple[str, list[Column], list[Mapping[str, Any]]]
"""A worksheet: its title, columns and rows."""


def xlsx_of(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook of one or more tables, numbers formatted by their column's style."""
    book = Workbook()
    first = book.active
    assert first is not None
    for index, (title, columns, rows) in enumerate(sheets):
        sheet = first if index == 0 else book.create_sheet(title)
        sheet.title = title
        _fill_sheet(sheet, columns, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(report: Mapping[str, Any], kind: ReportKind, extension: str) -> str:
    """An ASCII file name such as ``report-queues-week-2026-11-30.xlsx`` (the period's first local day)."""
    start: datetime = report["from"]
    return f"report-{kind}-{report['period']}-{start.astimezone(LOCAL).date().isoformat()}.{extension}"
