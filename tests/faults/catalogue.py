"""Every fault scenario by name, in order of value (the fault tests and ``bench/faults.py`` run these)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.faults.ledger import Tally
from tests.faults.scenarios import (
    Rig,
    ami_link_cut,
    app_killed,
    asterisk_restarted,
    asterisk_unreachable_at_start,
    browser_offline,
)
from tests.faults.stores import one_of_two_nodes_killed, postgres_restarted, redis_flushed, redis_restarted

Scenario = Callable[[Rig], Awaitable[Tally]]

SCENARIOS: dict[str, Scenario] = {
    "asterisk_unreachable_at_start": asterisk_unreachable_at_start,
    "ami_link_cut_10s": ami_link_cut,
    "app_sigkill_restart": app_killed,
    "asterisk_restart": asterisk_restarted,
    "redis_restart": redis_restarted,
    "redis_flush": redis_flushed,
    "postgres_restart": postgres_restarted,
    "one_of_two_nodes_killed": one_of_two_nodes_killed,
    "agent_browser_offline": browser_offline,
}
