"""Helpers of the admin agents routes: hashing many passwords without starving sign-ins, and the
skills the centre's queues use."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import Request

from agent_desktop.context import DesktopContext

HASH_BATCH = 8
"""Passwords hashed at once; the sign-in pool takes at most 32 waiting jobs, so sign-ins still fit."""


async def hash_all(request: Request, passwords: Sequence[str]) -> list[str]:
    """The argon2id hashes of ``passwords``, in order, through the sign-in's hashing pool."""
    ctx: DesktopContext = request.app.state.desktop
    pool, hasher = ctx.login.pool, ctx.login.passwords
    out: list[str] = []
    for start in range(0, len(passwords), HASH_BATCH):
        batch = passwords[start : start + HASH_BATCH]
        out.extend(await asyncio.gather(*(pool.run(hasher.hash, p) for p in batch)))
    return out


def known_skills(request: Request) -> set[str]:
    """Every skill a queue of the running centre routes on (own skill, overflow steps, surge skills)."""
    ctx: DesktopContext = request.app.state.desktop
    skills: set[str] = set()
    for queue in ctx.acd.engine.queues.values():
        skills.add(queue.skill)
        skills.update(queue.surge_skills)
        for step in queue.overflow:
            skills.update(step.skills)
    return skills
