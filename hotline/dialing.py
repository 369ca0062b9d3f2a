"""Dial strings for outside numbers, built from a configured template and a validated number."""

from __future__ import annotations

import re

NUMBER = re.compile(r"^[0-9]{3,20}$")


class DialError(ValueError):
    """A number that cannot be dialled."""


def dial_string(template: str, number: str) -> str:
    """The dial string for ``number`` (digits only, so nothing can be injected into it)."""
    if not NUMBER.fullmatch(number):
        raise DialError("a number must be 3-20 digits")
    return template.format(number=number)
