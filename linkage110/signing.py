"""HMAC-SHA256 signatures of the 110 interface, the same in both directions.

A request carries ``X-Linkage-Timestamp`` (Unix seconds) and ``X-Linkage-Signature: v1=<hex>``, the
HMAC-SHA256 under the shared secret of ``<timestamp>.`` followed by the exact body bytes. The receiver
refuses a missing or malformed header, a timestamp outside the skew window (a replay of an old
request) and a tag that does not match, before it parses or stores anything. Pure: ``now`` is given.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "SignatureError", "sign", "signed_headers", "verify"]

TIMESTAMP_HEADER = "X-Linkage-Timestamp"
SIGNATURE_HEADER = "X-Linkage-Signature"
VERSION = "v1"


class SignatureError(ValueError):
    """A request whose signature is missing, stale or wrong; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value of ``body`` sent at ``timestamp``."""
    if not secret:
        raise ValueError("the 110 linkage needs a shared secret")
    tag = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{VERSION}={tag}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers a signed JSON request carries."""
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float, skew_s: float) -> None:
    """Accept the request or raise :class:`SignatureError`; ``headers`` are looked up case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not raw_ts or not given:
        raise SignatureError("missing", "the request is not signed")
    if not raw_ts.isascii() or not raw_ts.isdigit() or len(raw_ts) > 12:
        raise SignatureError("bad_timestamp", "the signature timestamp is not Unix seconds")
    timestamp = int(raw_ts)
    if abs(now - timestamp) > skew_s:
        raise SignatureError("stale", f"the signature timestamp is more than {skew_s:g} s from now")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), sign(secret, timestamp, body).encode()):
        raise SignatureError("mismatch", "the signature does not match the body")
