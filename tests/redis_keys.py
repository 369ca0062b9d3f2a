"""Test clean-up for the real Redis: delete every key under a test's own prefix."""

from __future__ import annotations

import redis


def drop_prefix(url: str, prefix: str) -> None:
    """Delete the keys whose names start with ``prefix``."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
