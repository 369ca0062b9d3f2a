"""How long the 三率 department report takes on PostgreSQL with half a million dispatched orders.

Fills a scratch database (dropped at the end) as ``bench.deadline_checker`` does (``--orders`` orders
dispatched over ``--spread-days`` days to 40 departments, each with its dispatch history row, 1 % with
two evaluations), registers the 40 departments as top-level ones, and adds a ``sign`` entry to 98 % of
the orders (one in ten late), a ``reply`` entry to a third (one in eight late) and an ``evaluate``
entry to a fifth. Then times, at the same ``now``:

- ``month_report_s``: ``tickets.sanlv.department_report`` for the month holding ``now``;
- ``week_report_s``: the same for the week holding ``now``;
- ``baseline_s``: a ``COUNT(*)`` of the month's dispatch history entries in the same run.

Prints one JSON object with those fields, ``orders`` and ``history_rows``.

    .venv/bin/python -m bench.sanlv [--orders 500000] [--spread-days 42]
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import text

from bench.deadline_checker import NOW, fill, scratch_database
from hotline.db.engine import make_engine, migrate, session_factory
from supervisor.reports import Period, report_window
from tickets.sanlv import department_report

_DEPARTMENTS = """
INSERT INTO departments (code, name, parent_code, level, active)
SELECT 'dept' || i, '部门' || i, NULL, 'city', true FROM generate_series(0, 39) AS i
ON CONFLICT DO NOTHING
"""
_STEPS = """
INSERT INTO work_order_history (order_id, at, event, from_status, to_status, actor, detail)
SELECT id, dispatched_at + interval '2 hours', 'sign', 'dispatched', 'signed', 'bench',
  json_build_object('department', 'dept' || (id % 40), 'on_time', id % 10 <> 0)
FROM work_orders WHERE id % 50 <> 0
UNION ALL
SELECT id, dispatched_at + interval '3 days', 'reply', 'handling', 'replied', 'bench',
  json_build_object('department', 'dept' || (id % 40), 'on_time', id % 8 <> 0)
FROM work_orders WHERE id % 3 = 0
UNION ALL
SELECT id, dispatched_at + interval '4 days', 'evaluate', 'callback_done', 'evaluated', 'bench',
  json_build_object('solved', id % 4 <> 0, 'satisfaction',
    (ARRAY['satisfied', 'basically_satisfied', 'dissatisfied'])[1 + id % 3])
FROM work_orders WHERE id % 5 = 0
"""

_MONTH_DISPATCHES = (
    "SELECT count(*) FROM work_order_history WHERE event = 'dispatch' AND at >= :s AND at < :e"
)


def _add_steps(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_DEPARTMENTS))
            conn.execute(text(_STEPS))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def measure(url: str, orders: int, days: int) -> dict[str, object]:
    """Fill the empty database at ``url`` and time the reports; the published figures."""
    migrate(url)
    fill(url, orders, days)
    _add_steps(url)
    engine = make_engine(url)
    sm = session_factory(engine)
    try:
        timed: dict[str, float] = {}
        dispatched = 0
        for period in (Period.MONTH, Period.WEEK):
            window = report_window(period, NOW.date(), NOW)
            started = time.perf_counter()
            report = department_report(sm, window, now=NOW)
            timed[period.value] = time.perf_counter() - started
            dispatched = dispatched or int(report["total"]["dispatched"])
        month = report_window(Period.MONTH, NOW.date(), NOW)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM work_order_history")).scalar_one()
            started = time.perf_counter()
            conn.execute(
                text(_MONTH_DISPATCHES),
                {"s": month.start, "e": month.end},
            ).scalar_one()
            baseline_s = time.perf_counter() - started
    finally:
        engine.dispose()
    return {
        "orders": orders,
        "history_rows": int(rows),
        "month_dispatched": dispatched,
        "month_report_s": round(timed["month"], 3),
        "week_report_s": round(timed["week"], 3),
        "baseline_s": round(baseline_s, 3),
    }


def main() -> None:
    """Parse the arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--spread-days", type=int, default=42, help="dispatches spread over this many days")
    args = parser.parse_args()
    with scratch_database("hotline_bench_sanlv") as url:
        print(json.dumps(measure(url, args.orders, args.spread_days)), flush=True)


if __name__ == "__main__":
    main()
