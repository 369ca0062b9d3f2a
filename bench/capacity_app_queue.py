"""The capacity benchmark's baseline: plain app_queue on one sandbox node, the same simulated agents.

- ``ivr=True`` (setup ``app_queue_1node``): the same call as our centre's path, in plain dialplan
  (``[hotline-bench-ivr]``): the welcome prompt, one key (0) that cuts it short, ``Queue(hotline-bench)``,
  and after the agent hangs up the post-call survey (question, retry, 5 s for a key each, as our IVR
  waits). The key is pressed like our IVR's, 0.3 s after the menu's ``Background()`` starts.
- ``ivr=False`` (setup ``app_queue_direct_1node``): the caller goes straight into ``Queue()`` and the
  call ends when the agent hangs up (no prompts, no survey): how app_queue fares on the shortest call.

The citizen is the other half of the Local pair (``hotline-sim-agent`` extension 8000: answers at once,
waits ``patience`` seconds). Answer and wait come from the queue events on the citizen's channel.
"""

from __future__ import annotations

import contextlib
import secrets

from bench.capacity_rigs import KEY, KeyPresser, PbxNodes, agent_contact, paced


class AppQueueRig:
    """Plain app_queue on node 1: the same agents as static members of ``hotline-bench``."""

    QUEUE = "hotline-bench"
    MENU_CONTEXT = "hotline-bench-ivr"

    def __init__(self, nodes: PbxNodes, *, ivr: bool = True) -> None:
        self.nodes = nodes
        self.ivr = ivr
        self._members: list[str] = []
        self._keys = KeyPresser(KEY)

    async def start(self, agents: int, talk_s: float) -> None:
        """Add the members (and watch the menus for the key)."""
        self._members = [agent_contact(i, talk_s) for i in range(agents)]
        for member in self._members:
            await self.nodes.links[0].send_action(
                {"Action": "QueueAdd", "Queue": self.QUEUE, "Interface": member}
            )
        if self.ivr:
            self._keys.install(self.nodes.links[0])

    def parts(self) -> dict[str, list[int]]:
        """The processes measured: the Asterisk nodes."""
        return {"asterisk": self.nodes.pids()}

    async def place(self, prefix: str, calls: int, cps: float, patience_s: float) -> tuple[int, float]:
        """Place a step's calls at ``cps``; how many were placed and the achieved rate."""
        return await paced(self.dial, prefix, calls, cps, patience_s)

    async def dial(self, caller: str, index: int, patience_s: float) -> None:
        """One caller, answered at once: into the dialplan menu, or straight into the queue."""
        uniqueid = f"capq-{secrets.token_hex(8)}"
        self.nodes.ledger.place(caller, uniqueid)
        citizen = f"Local/8000*{patience_s:g}*0@hotline-sim-agent/n"
        if not self.ivr:
            await self.nodes.links[0].originate(
                channel=citizen,
                application="Queue",
                data=f"{self.QUEUE},t",
                caller_id=f"<{caller}>",
                channel_id=uniqueid,
                other_channel_id=f"{uniqueid}-c",
            )
            return
        self._keys.expect(uniqueid)
        await self.nodes.links[0].originate(
            channel=citizen,
            context=self.MENU_CONTEXT,
            exten="s",
            priority=1,
            caller_id=f"<{caller}>",
            channel_id=uniqueid,
            other_channel_id=f"{uniqueid}-c",
        )

    async def settle(self, prefix: str) -> None:
        """Nothing to read: the queue events already told the ledger."""

    async def stop(self) -> None:
        """Remove the members."""
        for member in self._members:
            with contextlib.suppress(Exception):
                await self.nodes.links[0].send_action(
                    {"Action": "QueueRemove", "Queue": self.QUEUE, "Interface": member}
                )
