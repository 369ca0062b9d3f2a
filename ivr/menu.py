"""The first-level 12345 menu as data, and the pure rule that turns keys into a route.

Rules (GB/T 33358 spirit): key 0 and silence go to a person; an unknown key is retried a limited number
of times, then the caller goes to a person anyway. No path ends anywhere but a queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MenuReason(StrEnum):
    """Why the menu ended where it did."""

    CHOICE = "choice"
    SILENCE = "silence"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class MenuChoice:
    """One key of the menu and the queue it leads to."""

    key: str
    queue: str
    label: str


@dataclass(frozen=True, slots=True)
class MenuSpec:
    """Prompts, choices and limits of one DTMF menu."""

    welcome_prompt: str
    menu_prompt: str
    invalid_prompt: str
    choices: tuple[MenuChoice, ...]
    person_queue: str
    retries: int = 2
    digit_timeout_ms: int = 5000
    version: str = "builtin-1"

    @property
    def keys(self) -> str:
        """The digits that may interrupt prompts."""
        return "0123456789*#"

    def choice_for(self, key: str) -> MenuChoice | None:
        """The choice bound to ``key``, if any."""
        return next((c for c in self.choices if c.key == key), None)


@dataclass(frozen=True, slots=True)
class MenuOutcome:
    """Where the menu sends the caller."""

    queue: str
    keys: str
    reason: MenuReason
    priority: int = 0
    tags: tuple[str, ...] = field(default=())


def default_menu(*, digit_timeout_ms: int = 5000) -> MenuSpec:
    """The built-in 12345 menu: 0 or silence to a person, 3 to the enterprise line."""
    return MenuSpec(
        welcome_prompt="hotline/welcome",
        menu_prompt="hotline/menu",
        invalid_prompt="hotline/invalid",
        choices=(
            MenuChoice(key="0", queue="general", label="人工服务"),
            MenuChoice(key="3", queue="enterprise", label="企业服务专线"),
        ),
        person_queue="general",
        digit_timeout_ms=digit_timeout_ms,
    )


def route_keys(spec: MenuSpec, attempts: list[str]) -> MenuOutcome | None:
    """Decide from the keys entered so far (one entry per attempt, "" for silence).

    Returns ``None`` when the caller should be asked again.
    """
    keys = "".join(attempts)
    last = attempts[-1] if attempts else ""
    if not last:
        return MenuOutcome(queue=spec.person_queue, keys=keys, reason=MenuReason.SILENCE)
    choice = spec.choice_for(last)
    if choice is not None:
        return MenuOutcome(queue=choice.queue, keys=keys, reason=MenuReason.CHOICE)
    if len(attempts) > spec.retries:
        return MenuOutcome(queue=spec.person_queue, keys=keys, reason=MenuReason.INVALID)
    return None
