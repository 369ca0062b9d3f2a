"""What the IVR reads as a call enters it: sessions, worker-thread hops and time per call, before and after.

Before: the route read the live flow version, the caller (profile, earlier calls, open work orders) and
the admin switch overrides with five sessions in three worker-thread hops (``_before`` below is that
code as it was, with the functions it called). After: ``ivr.call_start.DbCallStarts``, one transaction
in one hop. Both run in this process on the same database, alternating in rounds, on SQLite (a file in
a temporary directory) and PostgreSQL (a scratch database, dropped at the end; the server is
``HOTLINE_BENCH_POSTGRES_DSN``, else the tests' one, else loopback as ``postgres``).

The database holds the shipped pack (live), ``--callers`` numbers of which a fifth have a profile, a
third earlier calls and a tenth one to three work orders; each measured call comes from one of them.
Sessions are counted with the sessionmaker's ``after_begin`` event, connections with the engine pool's
``checkout`` event, hops with a counting default executor; ``us_per_call`` is the wall time of a call's
reads awaited on the event loop, ``cpu_us_per_call`` the process CPU time they took.

    .venv/bin/python -m bench.ivr_call_reads [--calls 2000] [--rounds 5] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench import scratch_pg
from hotline.db import repository as calls_repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.db.models import Call
from ivr import flow_store as store
from ivr.call_start import DbCallStarts
from ivr.callers import DbCallerDirectory
from ivr.catalog import FlowCatalog, LivePack
from ivr.flow import CallerAttributes, OpenWorkOrder
from tickets import repository as tickets_repo
from tickets.intake import CREATED_BY as INTAKE_USER
from tickets.rows import Caller, FiveElements, NewWorkOrder
from tickets.vocab import Category, Channel, ContactPreference, SpecialGroup, Status

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
Reads = Callable[[str, str], Awaitable[tuple[LivePack, dict[str, bool], CallerAttributes]]]


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting the work handed to it (``asyncio.to_thread`` hops)."""

    hops = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        CountingExecutor.hops += 1
        return super().submit(fn, *args, **kwargs)


@dataclass
class Counters:
    """Sessions begun and pooled connections checked out so far."""

    sessions: int = 0
    checkouts: int = 0


def _order(number: str, *, closed: bool) -> NewWorkOrder:
    return NewWorkOrder(
        caller=Caller(
            name="市民",
            number=number,
            contact_preference=ContactPreference.SMS_ONLY,
            special_group=SpecialGroup.NONE,
            confidential=False,
        ),
        channel=Channel.PHONE,
        category=Category.CONSULT,
        matter="咨询",
        matter_code="consult.other",
        content="来电咨询",
        elements=FiveElements(who="", when="", where="", what="", how=""),
        address="",
        call_id="",
        answered_directly=closed,
    )


def fill(sm: sessionmaker[Session], callers: list[str], rng: random.Random) -> None:
    """The shipped pack live, one switch set, and the callers' profiles, earlier calls and orders."""
    catalog = FlowCatalog(sessions=sm)
    catalog.seed()
    catalog.set_flag("surge", False)
    for i, number in enumerate(callers):
        if i % 5 == 0:
            store.upsert_caller_profile(sm, number=number, elderly=i % 2 == 0, vip=i % 3 == 0)
        if i % 3 == 0:
            for k in range(1 + i % 4):
                at = NOW - timedelta(days=rng.uniform(0, 20))
                calls_repo.record_call_started(
                    sm, call_id=f"earlier-{i}-{k}", caller=number, channel="", dialed="12345", at=at
                )
        if i % 10 == 0:
            for k in range(1 + i % 3):
                tickets_repo.create_work_order(
                    sm,
                    order=_order(number, closed=k == 2),
                    created_by=INTAKE_USER if k == 0 else "1001",
                    now=NOW - timedelta(hours=k + 1),
                )


def _before(sm: sessionmaker[Session], catalog: FlowCatalog) -> Reads:
    """The reads as ``ivr.runtime`` made them before (``FlowCatalog.live``, ``DbCallerDirectory.lookup``,
    ``FlowCatalog.flags``): five sessions, three hops."""

    def live() -> LivePack:
        with sm() as s:
            row = s.get(store.LiveFlow, catalog.pack_id)
        assert row is not None
        return catalog.pack(row.version)

    def profile(number: str) -> store.CallerProfileRow | None:
        with sm() as s:
            row = s.get(store.CallerProfile, number)
            if row is None:
                return None
            return store.CallerProfileRow(number=row.number, elderly=row.elderly, vip=row.vip, note=row.note)

    def earlier(caller: str, call_id: str) -> int:
        query = select(func.count(Call.call_id)).where(
            Call.caller == caller, Call.entered_ivr_at >= NOW - WINDOW, Call.call_id != call_id
        )
        with sm() as s:
            return int(s.scalar(query) or 0)

    def lookup(caller: str, call_id: str) -> CallerAttributes:
        if not caller:
            return CallerAttributes()
        found = profile(caller)
        orders = tickets_repo.list_work_orders(sm, caller_number=caller, limit=20)
        done = {Status.CLOSED, Status.MERGED}
        return CallerAttributes(
            elderly=bool(found and found.elderly),
            vip=bool(found and found.vip),
            repeat_caller=earlier(caller, call_id) > 0,
            open_work_orders=tuple(
                OpenWorkOrder(o.number, None if o.created_by == INTAKE_USER else o.created_by)
                for o in orders
                if o.status not in done
            ),
        )

    def flags() -> dict[str, bool]:
        query = select(store.FlagOverride).where(store.FlagOverride.pack_id == catalog.pack_id)
        with sm() as s:
            return {row.flag: row.value for row in s.scalars(query)}

    async def reads(caller: str, call_id: str) -> tuple[LivePack, dict[str, bool], CallerAttributes]:
        pack = await asyncio.to_thread(live)
        attributes = await asyncio.to_thread(lookup, caller, call_id)
        overrides = await asyncio.to_thread(flags)
        return pack, overrides, attributes

    return reads


def _after(sm: sessionmaker[Session], catalog: FlowCatalog) -> Reads:
    """The reads as ``ivr.runtime`` makes them now."""
    starts = DbCallStarts(sessions=sm, catalog=catalog, directory=DbCallerDirectory(sm, repeat_window=WINDOW))

    async def reads(caller: str, call_id: str) -> tuple[LivePack, dict[str, bool], CallerAttributes]:
        start = await starts.read(caller, call_id=call_id, now=NOW)
        return start.pack, dict(start.overrides), start.attributes

    return reads


def _count(engine: Engine, sm: sessionmaker[Session]) -> Counters:
    counters = Counters()

    def begun(*_: object) -> None:
        counters.sessions += 1

    def checked_out(*_: object) -> None:
        counters.checkouts += 1

    event.listen(sm, "after_begin", begun)
    event.listen(engine, "checkout", checked_out)
    return counters


async def _run(reads: Reads, callers: list[str], counters: Counters) -> dict[str, float]:
    sessions, checkouts, hops = counters.sessions, counters.checkouts, CountingExecutor.hops
    wall, cpu = time.perf_counter(), time.process_time()
    for i, caller in enumerate(callers):
        await reads(caller, f"bench-{i}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = len(callers)
    return {
        "sessions": (counters.sessions - sessions) / n,
        "checkouts": (counters.checkouts - checkouts) / n,
        "hops": (CountingExecutor.hops - hops) / n,
        "us": wall / n * 1e6,
        "cpu_us": cpu / n * 1e6,
    }


async def _same_answers(before: Reads, after: Reads, callers: list[str]) -> None:
    for caller in callers:
        old, new = await before(caller, "check"), await after(caller, "check")
        if (old[0].label, old[1], old[2]) != (new[0].label, new[1], new[2]):
            raise SystemExit(f"the two paths differ for {caller}: {old[1:]} != {new[1:]}")


async def measure(url: str, *, calls: int, rounds: int, callers: int, seed: int) -> dict[str, Any]:
    """Fill the database at ``url`` and measure both paths in alternating rounds."""
    asyncio.get_running_loop().set_default_executor(CountingExecutor())
    rng = random.Random(seed)
    numbers = [f"139{i:08d}" for i in range(callers)]
    migrate(url)
    engine = make_engine(url)
    try:
        sm = session_factory(engine)
        fill(sm, numbers, rng)
        catalog = FlowCatalog(sessions=sm)
        before, after = _before(sm, catalog), _after(sm, catalog)
        await _same_answers(before, after, numbers)
        counters = _count(engine, sm)
        picks = [rng.choice(numbers) for _ in range(calls)]
        await _run(before, picks[:200], counters)
        await _run(after, picks[:200], counters)
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(rounds):
            runs["before"].append(await _run(before, picks, counters))
            runs["after"].append(await _run(after, picks, counters))
    finally:
        engine.dispose()
    median = {k: {f: statistics.median(r[f] for r in v) for f in v[0]} for k, v in runs.items()}
    b, a = median["before"], median["after"]
    return {
        "calls_per_round": calls,
        "rounds": rounds,
        "sessions_before": b["sessions"],
        "sessions_after": a["sessions"],
        "connections_before": b["checkouts"],
        "connections_after": a["checkouts"],
        "thread_hops_before": b["hops"],
        "thread_hops_after": a["hops"],
        "us_per_call_before": round(b["us"], 1),
        "us_per_call_after": round(a["us"], 1),
        "ratio": round(b["us"] / a["us"], 2),
        "cpu_us_per_call_before": round(b["cpu_us"], 1),
        "cpu_us_per_call_after": round(a["cpu_us"], 1),
        "cpu_ratio": round(b["cpu_us"] / a["cpu_us"], 2),
    }


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'hotline.db'}"
        return
    with scratch_pg.scratch_database("hotline_bench_ivr_reads", admin_dsn=scratch_pg.BENCH_DSN) as url:
        yield url


def main() -> None:
    """Parse the options, measure on each database, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000, help="calls per round and path")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--callers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    out: dict[str, Any] = {}
    for kind in ("sqlite", "postgresql"):
        if args.only in (None, kind):
            with _database(kind) as url:
                out[kind] = asyncio.run(
                    measure(url, calls=args.calls, rounds=args.rounds, callers=args.callers, seed=args.seed)
                )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
