"""Signed messages between app nodes (hotline.bus_relay): only a node holding the shared secret can speak.

Anyone who can publish on the Redis channels could otherwise show screen-pops, fake agent events or
answer offer requests. Each message goes out as ``v1.<tag>.<JSON text>``, where the tag is the
HMAC-SHA256 (hex) of the channel name and the JSON text, under a key derived from the shared secret; the
channel is part of what is signed, so a message addressed to one node cannot be replayed to another or
onto the broadcast channel. A message whose tag does not match is dropped by the receiver.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["RelaySigner"]

VERSION = "v1"
KEY_LABEL = b"hotline bus relay v1"


class RelaySigner:
    """Seals and opens relay messages with a key derived from ``secret`` (shared by every node)."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the bus relay needs a shared secret (HOTLINE_RELAY_SECRET or the AMI secret)")
        self._key = hmac.new(secret.encode("utf-8"), KEY_LABEL, hashlib.sha256).digest()

    def _tag(self, channel: str, text: str) -> str:
        return hmac.new(self._key, f"{channel}\n{text}".encode(), hashlib.sha256).hexdigest()

    def seal(self, channel: str, text: str) -> str:
        """The wire form of ``text`` published on ``channel``."""
        return f"{VERSION}.{self._tag(channel, text)}.{text}"

    def open(self, channel: str, raw: object) -> str | None:
        """The JSON text of a message received on ``channel``, or None if unsigned or forged."""
        if not isinstance(raw, str):
            return None
        version, _, rest = raw.partition(".")
        tag, _, text = rest.partition(".")
        if version != VERSION or not text:
            return None
        return text if hmac.compare_digest(tag, self._tag(channel, text)) else None
