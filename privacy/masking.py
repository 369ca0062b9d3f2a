"""Masking of citizens' phone numbers for agents, SIP caller IDs and log lines.

A call is confidential when its IVR tags (``attrs["tags"]``: comma-separated text or a list) hold
``confidential``. Pure functions, no I/O: the ACD, the desktop and the loggers share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CONFIDENTIAL_TAG = "confidential"
MASKED_CALLER_NAME = "12345 保密来电"
"""The SIP display name an agent's phone shows for a confidential caller."""

_PHONE = re.compile(r"(?<![\w.])\+?\d{6,15}(?![\w.])")
"""A run of 6-15 digits standing alone: epoch times and call ids (``1763900000.12``) are left whole."""


def mask_number(number: str) -> str:
    """``13800138000`` → ``138****8000``; short numbers keep only their last digit."""
    if len(number) >= 8:
        return f"{number[:3]}****{number[-4:]}"
    return "*" * max(len(number) - 1, 0) + number[-1:]


def tags_of(attrs: object) -> set[str]:
    """The tags of a call's IVR attributes (a comma-separated string or a list)."""
    raw = attrs.get("tags") if isinstance(attrs, Mapping) else None
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list | tuple) else []
    return {str(t).strip() for t in items if str(t).strip()}


def is_confidential(attrs: object) -> bool:
    """Whether a call's IVR attributes carry the ``confidential`` tag."""
    return CONFIDENTIAL_TAG in tags_of(attrs)


def sip_caller_id(label: str, number: str, *, confidential: bool) -> str:
    """The ``CallerID`` of a leg that rings an agent: ``"<label> <number>" <number>``, or for a
    confidential caller the masked number in both parts (a phone shows either)."""
    if confidential:
        shown = mask_number(number)
        return f'"{MASKED_CALLER_NAME} {shown}" <{shown}>'
    return f'"{label} {number}" <{number}>'


def masked_connected_line(number: str) -> dict[str, str]:
    """Channel variables that make Asterisk tell an agent's phone the masked ``number`` when its leg is
    bridged to a confidential caller (``[hotline-mask-connected]`` in the dialplan)."""
    shown = mask_number(number)
    return {
        "CONNECTED_LINE_SEND_SUB": "hotline-mask-connected,s,1",
        "HOTLINE_SHOWN_NUMBER": shown,
        "HOTLINE_SHOWN_NAME": f"{MASKED_CALLER_NAME} {shown}",
    }


def for_log(value: object) -> str:
    """Text for a log line with every phone number in it masked (``138****8000``)."""
    return _PHONE.sub(lambda m: mask_number(m.group(0)), str(value))
