"""How fast the KPI queries and the reports are on PostgreSQL at a year of a large centre's data.

Fills a scratch database (dropped at the end) with ``--calls`` generated call records and about
``--states`` agent-state rows over the last 365 local days (bench/report_data.py: a few hundred thousand
rows a second, generated in the server), then times:

- ``kpi_query_ms_p95``: ``--queries`` ``queue_kpis`` calls over a random day (hourly intervals) or a
  random week (daily intervals), for the whole centre or one queue, p95;
- ``daily_report_ms`` / ``monthly_report_ms``: the per-queue report of a random day / of a month as the
  API builds it (a total per queue, the centre's total and its breakdown), median of ``--repeat`` runs;
  ``daily_agent_report_ms`` / ``monthly_agent_report_ms`` likewise for the per-agent report;
- ``baseline_ms``: a trivial ``SELECT 1`` round trip in the same run, p50.

Prints one JSON object: ``rows`` (call records), ``kpi_query_ms_p95``, ``daily_report_ms``,
``monthly_report_ms`` and the extra fields above. Targets (issue 10): KPI p95 < 300 ms, monthly < 5 s.

    .venv/bin/python -m bench.reports [--calls 1000000] [--states 2000000] [--queries 50]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.report_data import QUEUES, Volume, fill, scratch_database
from hotline.db.engine import make_engine, migrate
from supervisor.kpis import queue_kpis
from supervisor.reports import LOCAL, Period, ReportKind, build_report, report_window


def _ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _kpi_queries(session: Session, first: date, days: int, count: int, rng: random.Random) -> list[float]:
    timings = []
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(days - 7))
        start = datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)
        weekly = rng.random() < 0.5
        end = start + timedelta(days=7 if weekly else 1)
        step = timedelta(days=1) if weekly else timedelta(hours=1)
        queue = rng.choice([None, *sorted(set(QUEUES))])
        started = time.perf_counter()
        queue_kpis(session, start=start, end=end, queue=queue, interval=step)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _report_ms(
    sessions: sessionmaker[Session], kind: ReportKind, period: Period, day: date, repeat: int
) -> tuple[float, dict[str, Any]]:
    window = report_window(period, day, datetime.now(UTC))
    runs: list[float] = []
    report: dict[str, Any] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        report = build_report(sessions, kind, window)
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), report.get("total") or {}


def measure(engine: Engine, volume: Volume, *, queries: int, repeat: int, seed: int) -> dict[str, Any]:
    """Time the KPI queries and the reports on the filled database of ``engine``."""
    rng = random.Random(seed)
    today = datetime.now(UTC).astimezone(LOCAL).date()
    first = volume.first_day(today)
    sessions = sessionmaker(engine)
    with sessions() as session:
        baseline = [_ms(lambda: session.execute(text("SELECT 1"))) for _ in range(50)]
        kpi = _kpi_queries(session, first, volume.days, queries, rng)
    day = first + timedelta(days=rng.randrange(volume.days - 1))
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    daily, daily_total = _report_ms(sessions, ReportKind.QUEUES, Period.DAY, day, repeat)
    monthly, monthly_total = _report_ms(sessions, ReportKind.QUEUES, Period.MONTH, month, repeat)
    daily_agents, _ = _report_ms(sessions, ReportKind.AGENTS, Period.DAY, day, repeat)
    monthly_agents, agent_total = _report_ms(sessions, ReportKind.AGENTS, Period.MONTH, month, repeat)
    return {
        "kpi_query_ms_p95": round(p95(kpi), 1),
        "kpi_query_ms_p50": round(statistics.median(kpi), 1),
        "daily_report_ms": round(daily, 1),
        "monthly_report_ms": round(monthly, 1),
        "daily_agent_report_ms": round(daily_agents, 1),
        "monthly_agent_report_ms": round(monthly_agents, 1),
        "baseline_ms": round(statistics.median(baseline), 3),
        "daily_offered": daily_total.get("offered"),
        "monthly_offered": monthly_total.get("offered"),
        "monthly_agent_answered": agent_total.get("answered"),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Fill a scratch database, measure, drop it; the JSON result."""
    volume = Volume(calls=args.calls, states=args.states, agents=args.agents)
    with scratch_database() as url:
        migrate(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            counts = fill(engine, volume, today=datetime.now(UTC).astimezone(LOCAL).date())
            fill_s = time.perf_counter() - started
            result = measure(engine, volume, queries=args.queries, repeat=args.repeat, seed=args.seed)
        finally:
            engine.dispose()
    return {
        "rows": counts["calls"],
        **result,
        "agent_state_rows": counts["agent_state_log"],
        "call_event_rows": counts["call_events"],
        "fill_s": round(fill_s, 1),
        "database": url.rsplit("/", 1)[-1],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000, help="call records to generate")
    parser.add_argument("--states", type=int, default=2_000_000, help="agent-state rows to generate (about)")
    parser.add_argument("--agents", type=int, default=200, help="agents working shifts")
    parser.add_argument("--queries", type=int, default=50, help="timed queue_kpis calls")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each report (median)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random ranges")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON line."""
    print(json.dumps(run(parse_args(argv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
