"""How long month-long KPI queries take on PostgreSQL at a year of a large centre's data.

Fills a scratch database (bench/report_data.py; dropped at the end) with ``--calls`` call records and
about ``--states`` agent-state rows, or uses the filled database ``--url`` names (left as it is), then
times over ``--months`` random 30-day ranges: ``queue_kpis`` of one queue (``month_queue_ms``), of the
whole centre per day (``month_daily_ms``), ``per_queue_kpis`` (``month_per_queue_ms``) and the handle
times alone (``month_handlings_ms``); medians, with a ``SELECT 1`` round trip as ``baseline_ms``. The
figures of the first range are printed too (``check``), so runs of two versions can be compared.

    .venv/bin/python -m bench.kpi_month [--calls 1000000] [--states 2000000] [--months 5] [--url URL]
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

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.report_data import LOCAL, Volume, fill, scratch_database
from hotline.db.engine import make_engine, migrate
from supervisor.kpis import kpis_dict, per_queue_kpis, queue_kpis
from supervisor.kpis.segments import handlings


def _ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _handlings(session: Session, start: datetime, end: datetime) -> object:
    sub = handlings(start, end + timedelta(hours=3), end + timedelta(hours=3)).subquery()
    return session.execute(select(func.count(), func.sum(sub.c.talk_s), func.sum(sub.c.wrap_s))).one()


def _runs(s: Session, start: datetime, end: datetime, now: datetime) -> dict[str, Callable[[], Any]]:
    return {
        "queue": lambda: queue_kpis(s, start=start, end=end, queue="general", now=now),
        "daily": lambda: queue_kpis(s, start=start, end=end, interval=timedelta(days=1), now=now),
        "per_queue": lambda: per_queue_kpis(s, start=start, end=end, now=now),
        "handlings": lambda: _handlings(s, start, end),
    }


def measure(engine: Engine, *, months: int, seed: int) -> dict[str, Any]:
    """Time the month-long queries over ``months`` random 30-day ranges of the last year."""
    rng = random.Random(seed)
    sm = sessionmaker(engine)
    today = datetime.now(UTC).astimezone(LOCAL).date()
    timings: dict[str, list[float]] = {"queue": [], "daily": [], "per_queue": [], "handlings": []}
    check: dict[str, Any] = {}
    with sm() as s:
        baseline = [_ms(lambda: s.execute(text("SELECT 1"))) for _ in range(20)]
        for n in range(months):
            day = today - timedelta(days=rng.randrange(31, 330))
            start = datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)
            runs = _runs(s, start, start + timedelta(days=30), datetime.now(UTC))
            for name, fn in runs.items():
                started = time.perf_counter()
                value = fn()
                timings[name].append((time.perf_counter() - started) * 1000)
                if n == 0:
                    check[name] = (
                        [kpis_dict(k) for k in value] if isinstance(value, list) else [str(v) for v in value]
                    )
            if n == 0:
                check["from"] = start.isoformat()
    return {
        **{f"month_{name}_ms": round(statistics.median(t), 1) for name, t in timings.items()},
        "months": months,
        "baseline_ms": round(statistics.median(baseline), 3),
        "check": check,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure on ``args.url`` or on a freshly filled scratch database; the JSON result."""
    if args.url:
        engine = make_engine(args.url)
        try:
            rows = engine.connect().execute(text("SELECT count(*) FROM calls")).scalar_one()
            return {"rows": rows, **measure(engine, months=args.months, seed=args.seed)}
        finally:
            engine.dispose()
    with scratch_database() as url:
        migrate(url)
        engine = make_engine(url)
        try:
            counts = fill(engine, Volume(calls=args.calls, states=args.states), today=date.today())
            return {"rows": counts["calls"], **measure(engine, months=args.months, seed=args.seed)}
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000, help="call records to generate")
    parser.add_argument("--states", type=int, default=2_000_000, help="agent-state rows to generate (about)")
    parser.add_argument("--months", type=int, default=5, help="random 30-day ranges timed")
    parser.add_argument("--seed", type=int, default=7, help="seed of the random ranges")
    parser.add_argument("--url", help="an already filled database (not dropped)")
    print(json.dumps(run(parser.parse_args(argv)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
