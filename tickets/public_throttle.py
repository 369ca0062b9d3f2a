"""Rate limits of the public citizen routes, on the sign-in throttle's stores (``login_throttle``).

- Submitting a matter: per client address, 5 free an hour, then a lockout doubling from a minute.
- Checking progress: per client address (20 free) and per order number (5 free), a lockout doubling
  from 2 s; a right number-and-digits pair forgets the number's count and takes its attempt back from
  the address, so only guesses pile up: 10,000 possible last-four digits cannot be tried in an hour.

The counts live in this process unless ``app.state.public_throttle_store`` holds a shared
(``RedisThrottleStore``) store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agent_desktop.login_throttle import (
    Clock,
    MemoryThrottleStore,
    ThrottleRule,
    ThrottleStore,
)

SUBMIT_RULE = ThrottleRule(free=5, base_s=60.0, cap_s=3600.0)
LOOKUP_ADDRESS_RULE = ThrottleRule(free=20, base_s=2.0, cap_s=900.0)
LOOKUP_NUMBER_RULE = ThrottleRule(free=5, base_s=2.0, cap_s=900.0)


@dataclass
class PublicThrottle:
    """The public routes' limits on one store."""

    store: ThrottleStore = field(default_factory=MemoryThrottleStore)
    clock: Clock = time.time
    submit_rule: ThrottleRule = SUBMIT_RULE
    address_rule: ThrottleRule = LOOKUP_ADDRESS_RULE
    number_rule: ThrottleRule = LOOKUP_NUMBER_RULE

    async def submit(self, address: str) -> float:
        """0 when ``address`` may submit (counted), else the seconds to wait."""
        return await self.store.attempt(((f"public-submit:{address}", self.submit_rule),), now=self.clock())

    async def lookup(self, address: str, number: str) -> float:
        """0 when ``address`` may look ``number`` up (counted), else the seconds to wait."""
        keys = (
            (f"public-lookup:{address}", self.address_rule),
            (f"public-order:{number}", self.number_rule),
        )
        return await self.store.attempt(keys, now=self.clock())

    async def found(self, address: str, number: str) -> None:
        """The lookup was a right pair: forget the number's count, take the address's attempt back."""
        await self.store.succeeded(f"public-order:{number}", f"public-lookup:{address}")
