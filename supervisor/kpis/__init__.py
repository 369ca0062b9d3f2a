"""KPIs defined once (docs/KPIS.md) and computed in SQL from the call records: per queue or for the
whole centre, per interval, per agent. Synchronous functions taking a SQLAlchemy ``Session``."""

from supervisor.kpis.agents import agent_kpis
from supervisor.kpis.channels import ChannelKpis, channel_dict, channel_kpis
from supervisor.kpis.intervals import INTERVALS
from supervisor.kpis.model import (
    DEFINITIONS,
    AgentKpis,
    KpiRangeError,
    KpiSettings,
    QueueKpis,
    kpis_dict,
)
from supervisor.kpis.queues import per_queue_kpis, queue_kpis

__all__ = [
    "DEFINITIONS",
    "INTERVALS",
    "AgentKpis",
    "ChannelKpis",
    "KpiRangeError",
    "KpiSettings",
    "QueueKpis",
    "agent_kpis",
    "channel_dict",
    "channel_kpis",
    "kpis_dict",
    "per_queue_kpis",
    "queue_kpis",
]
