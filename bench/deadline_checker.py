"""How long one deadline-checker pass takes on PostgreSQL with half a million open work orders.

Fills a scratch database (dropped at the end) in the server (``generate_series``): ``--orders`` open
orders dispatched over the last ``--spread-days`` days (42: about 30 working days, 12,000 a day) to 40
departments. The limits are realistic: signing within a day of dispatch, handling within 30, 45, 60 or
90 days (a quarter each) and the reply two days after that, so about 7 % of the orders are overdue
and a few percent due soon; unsigned when under a day old and 2 % of the older ones (overdue to
sign). Every caller is distinct except a pool of 4 % of the orders: the same matter four times
from each of ``--orders`` / 100 callers (1 % of the orders escalated as repeats). One dispatch history
row each, two dissatisfied evaluations on 1 % of them and three-order link chains on 0.5 %. Then
times, at the same ``now``:

- ``pass_s``: the first checker pass on that data (marks every due-soon and overdue limit, raises
  every 督办);
- ``second_pass_s``: the next pass, which finds the same state and adds nothing (steady state);
- ``worst_case_pass_s``: a pass after every order's limits were moved to 1, 5 and 7 days after
  its dispatch, so nearly every limit is overdue (hundreds of thousands of marks and records at once);
- ``baseline_s``: a ``COUNT(*)`` of the open orders in the same run (one scan of the table).

Prints one JSON object: ``orders``, ``pass_s``, ``baseline_s`` and the extra fields above.
Target (issue 11): ``pass_s`` < 10.

    .venv/bin/python -m bench.deadline_checker [--orders 500000] [--spread-days 42] [--no-worst-case]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import text

from bench import scratch_pg
from hotline.db.engine import make_engine, migrate, session_factory
from tickets.checker import DeadlineChecker, PassReport
from tickets.vocab import BEIJING

ADMIN_DSN = scratch_pg.BENCH_DSN
NOW = datetime(2026, 12, 7, 10, tzinfo=BEIJING)
OPEN = "('dispatched', 'signed', 'handling')"

_ORDERS = """
INSERT INTO work_orders (number, caller_name, caller_number, contact_preference, special_group,
  confidential, channel, category, matter, matter_code, content, element_who, element_when,
  element_where, element_what, element_how, address, urgency, status, answered_directly,
  sign_due, handle_due, reply_due, created_by, created_at, updated_at, dispatched_at)
SELECT 'B-' || i, '市民', CASE WHEN i % 25 = 0 THEN '139' || lpad(((i / 25) % (:n / 100 + 1))::text, 8, '0')
  ELSE '138' || lpad(i::text, 8, '0') END, 'any', 'none', false, 'phone',
  'complaint', '事项', CASE WHEN i % 25 = 0 THEN 'matter.0' ELSE 'matter.' || (i % 20) END,
  '内容', '', '', '', '', '', '地址', 'normal',
  CASE WHEN age < 1440 OR i % 50 = 0 THEN 'dispatched' WHEN i % 2 = 0 THEN 'signed' ELSE 'handling' END,
  false, d + interval '1 day', d + handle, d + handle + interval '2 days', 'bench', d, d, d
FROM (SELECT i, age, :now - age * interval '1 minute' AS d,
        (ARRAY[30, 45, 60, 90])[1 + (i / 7) % 4] * interval '1 day' AS handle
      FROM (SELECT i, (i::bigint * 7919) % (:days * 1440) AS age FROM generate_series(1, :n) AS i) AS a) AS s
"""
_DEPARTMENTS = """
INSERT INTO work_order_departments (order_id, department, role, assigned_at)
SELECT id, 'dept' || (id % 40), 'main', dispatched_at FROM work_orders
"""
_HISTORY = """
INSERT INTO work_order_history (order_id, at, event, from_status, to_status, actor, detail)
SELECT id, dispatched_at, 'dispatch', 'intake', 'dispatched', 'bench', '{}'::json FROM work_orders
UNION ALL
SELECT id, dispatched_at + k * interval '1 hour', 'evaluate', 'callback_done', 'evaluated', 'bench',
  '{"solved": false, "satisfaction": "dissatisfied", "via": "phone"}'::json
FROM work_orders, generate_series(1, 2) AS k WHERE id % 100 = 0
"""
_LINKS = """
INSERT INTO work_order_links (order_id, linked_id, kind, created_at)
SELECT id, id - k, 'repeat', dispatched_at FROM work_orders, generate_series(1, 2) AS k
WHERE id % 200 = 0 AND id > 2
"""

_ALL_OVERDUE = """
UPDATE work_orders SET sign_due = dispatched_at + interval '1 day',
  handle_due = dispatched_at + interval '5 days', reply_due = dispatched_at + interval '7 days'
"""


@contextmanager
def scratch_database(prefix: str = "hotline_bench_checker") -> Iterator[str]:
    """Create a uniquely named database on ``ADMIN_DSN``'s server, yield its URL, drop it afterwards."""
    with scratch_pg.scratch_database(prefix, admin_dsn=ADMIN_DSN) as url:
        yield url


def fill(url: str, orders: int, days: int) -> None:
    """Generate the orders, their departments, history and links in the server, then ANALYZE."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_ORDERS), {"n": orders, "now": NOW, "days": days})
            for statement in (_DEPARTMENTS, _HISTORY, _LINKS):
                conn.execute(text(statement))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _timed_pass(checker: DeadlineChecker) -> tuple[float, PassReport]:
    started = time.perf_counter()
    report = checker.run_pass(now=NOW)
    return time.perf_counter() - started, report


def _worst_case(url: str, checker: DeadlineChecker) -> tuple[float, PassReport]:
    """Move every limit into the past (untimed), then time a pass."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(_ALL_OVERDUE))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE work_orders"))
    finally:
        engine.dispose()
    return _timed_pass(checker)


def measure(url: str, orders: int, days: int, *, worst_case: bool = True) -> dict[str, object]:
    """Fill the empty database at ``url`` and time the passes; the published figures."""
    migrate(url)
    fill(url, orders, days)
    engine = make_engine(url)
    try:
        checker = DeadlineChecker(sessions=session_factory(engine))
        pass_s, first = _timed_pass(checker)
        second_s, second = _timed_pass(checker)
        with engine.connect() as conn:
            started = time.perf_counter()
            counted = conn.execute(
                text(f"SELECT count(*) FROM work_orders WHERE status IN {OPEN}")
            ).scalar_one()
            baseline_s = time.perf_counter() - started
        worst = _worst_case(url, checker) if worst_case else None
    finally:
        engine.dispose()
    result: dict[str, object] = {
        "orders": int(counted),
        "spread_days": days,
        "pass_s": round(pass_s, 3),
        "baseline_s": round(baseline_s, 3),
        "second_pass_s": round(second_s, 3),
        "due_soon": first.due_soon,
        "overdue": first.overdue,
        "raised": first.raised,
        "raised_again": sum(second.raised.values()),
    }
    if worst is not None:
        worst_s, report = worst
        result |= {
            "worst_case_pass_s": round(worst_s, 3),
            "worst_case_overdue": report.overdue,
            "worst_case_raised": sum(report.raised.values()),
        }
    return result


def main() -> None:
    """Parse the arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--spread-days", type=int, default=42, help="dispatches spread over this many days")
    parser.add_argument("--no-worst-case", action="store_true", help="skip the all-overdue pass")
    args = parser.parse_args()
    with scratch_database() as url:
        result = measure(url, args.orders, args.spread_days, worst_case=not args.no_worst_case)
        print(json.dumps(result), flush=True)  # before the database is dropped


if __name__ == "__main__":
    main()
