"""Fault scenarios in the stores the centre keeps state in (Redis, PostgreSQL) and across app nodes."""

from __future__ import annotations

import asyncio
import secrets
import time

from tests.conftest import free_port
from tests.faults.ledger import Tally
from tests.faults.node import AppNode
from tests.faults.scenarios import Rig, run_scenario, started
from tests.faults.seats import Seats
from tests.faults.services import PrivateRedis, private_postgres


def _redis_env(server: PrivateRedis) -> dict[str, str]:
    return {"redis_url": server.url, "redis_prefix": f"hotline:faults:{secrets.token_hex(3)}"}


async def redis_restarted(rig: Rig, down_s: float = 3.0) -> Tally:
    """The ACD's Redis stops mid-burst and comes back ``down_s`` seconds later with its data."""
    server = PrivateRedis(rig.workdir)
    server.start()

    async def restart(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        server.stop()
        await asyncio.sleep(down_s)
        back = time.monotonic()
        server.start()
        await nodes[0].wait_healthy()
        return time.monotonic() - back

    try:
        nodes = await started(rig.node("redis-restart", **_redis_env(server)))
        return await run_scenario("redis_restart", rig, nodes, restart)
    finally:
        rig.stop_all()
        server.stop()


async def redis_flushed(rig: Rig) -> Tally:
    """The ACD's Redis loses every key mid-burst (a failover to an empty replica)."""
    server = PrivateRedis(rig.workdir)
    server.start()

    async def flush(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        server.flush()
        return await nodes[0].wait_healthy()

    try:
        nodes = await started(rig.node("redis-flush", **_redis_env(server)))
        return await run_scenario("redis_flush", rig, nodes, flush)
    finally:
        rig.stop_all()
        server.stop()


async def postgres_restarted(rig: Rig, down_s: float = 5.0) -> Tally:
    """The centre's PostgreSQL stops (as a crash would) mid-burst and is back ``down_s`` seconds later."""
    with private_postgres() as pg:
        rig.database_url = pg.url()

        async def restart(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
            await asyncio.to_thread(pg.stop, "immediate")
            await asyncio.sleep(down_s)
            back = time.monotonic()
            await asyncio.to_thread(pg.start)
            await nodes[0].wait_healthy()
            return time.monotonic() - back

        try:
            nodes = await started(rig.node("pg"))
            return await run_scenario("postgres_restart", rig, nodes, restart)
        finally:
            rig.stop_all()


async def one_of_two_nodes_killed(rig: Rig) -> Tally:
    """Two app nodes share Redis and the database (node A serves FastAGI); node B is SIGKILLed mid-burst
    and stays down: its agents sign in again on node A and the calls go on."""
    server = PrivateRedis(rig.workdir)
    server.start()
    shared = _redis_env(server)

    async def kill_b(rig: Rig, nodes: list[AppNode], seats: Seats) -> float:
        for seat in seats.seats:
            if seat.url == nodes[1].url:
                seat.ready.clear()
        nodes[1].kill()
        gone = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in seats.seats)), 60.0)
        return time.monotonic() - gone

    try:
        a = rig.node("node-a", **shared)
        b = rig.node("node-b", fastagi_port=str(free_port()), **shared)
        return await run_scenario("one_of_two_nodes_killed", rig, await started(a, b), kill_b)
    finally:
        rig.stop_all()
        server.stop()
