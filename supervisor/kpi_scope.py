"""Whose KPIs a user may see: an admin every queue and agent; a supervisor the queues they supervise
(``supervisor_queues``, as for listening in) and the agents serving them (an agent serves a queue when
their skills in the ``agents`` table hold the queue's skill, the rule the supervisor's agent actions
follow). Used by ``GET /api/kpis`` and the live ``queue_kpis`` frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Principal, Role
from hotline.db.models import Agent as AgentRow
from supervisor import store


@dataclass(frozen=True)
class KpiScope:
    """The queues and agents a user may see; None means all of them."""

    queues: frozenset[str] | None
    agents: frozenset[str] | None

    def has_queue(self, queue: str) -> bool:
        """Whether ``queue``'s figures may be shown."""
        return self.queues is None or queue in self.queues

    def has_agent(self, agent_id: str) -> bool:
        """Whether ``agent_id``'s figures may be shown."""
        return self.agents is None or agent_id in self.agents


EVERYTHING = KpiScope(queues=None, agents=None)

ScopeOf = Callable[[Principal], KpiScope]
"""Blocking: the scope of a signed-in user (reads the database)."""


def agents_serving(session: Session, skills: set[str]) -> frozenset[str]:
    """The agents whose skills hold any of ``skills``."""
    if not skills:
        return frozenset()
    rows = session.execute(select(AgentRow.agent_id, AgentRow.skills))
    return frozenset(agent for agent, held in rows if isinstance(held, dict) and skills & set(held))


def scope_resolver(sessions: sessionmaker[Session], queue_skills: Callable[[], Mapping[str, str]]) -> ScopeOf:
    """A ``ScopeOf`` reading the supervisor–queue mapping and the agents' skills from ``sessions``;
    ``queue_skills`` maps each configured queue to its skill (the ACD's queue configuration)."""

    def scope_of(principal: Principal) -> KpiScope:
        if principal.may(Role.ADMIN):
            return EVERYTHING
        if not principal.may(Role.SUPERVISOR):
            return KpiScope(queues=frozenset(), agents=frozenset())
        queues = store.queues_of(sessions, supervisor_id=principal.user_id)
        by_queue = queue_skills()
        skills = {by_queue[q] for q in queues if q in by_queue}
        with sessions() as session:
            return KpiScope(queues=queues, agents=agents_serving(session, skills))

    return scope_of
