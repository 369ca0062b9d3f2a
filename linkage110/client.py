"""Signed JSON POSTs to the other side of the 110 interface (standard library HTTP, run in a thread).

An answer is sorted into what the sender does next: ``Delivered`` (2xx with a valid acknowledgement),
``Retry`` (unreachable, timeout, 5xx, 408, 409, 429, an acknowledgement that does not parse) or
``Refused`` (any other 4xx: the same request would be refused again).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from linkage110.schemas import HandoffAck
from linkage110.signing import signed_headers

__all__ = ["Delivered", "Outcome", "Refused", "Retry", "post_json", "send_handoff"]

RETRYABLE = frozenset({408, 409, 425, 429})
MAX_ANSWER = 64 * 1024


@dataclass(frozen=True, slots=True)
class Delivered:
    """110 acknowledged the hand-off with its reference."""

    reference: str


@dataclass(frozen=True, slots=True)
class Retry:
    """Not delivered this time; try again later."""

    error: str


@dataclass(frozen=True, slots=True)
class Refused:
    """110 refused the request; retrying would not help."""

    error: str


Outcome = Delivered | Retry | Refused


def post_json(
    url: str, body: bytes, *, secret: str, timeout_s: float, now: Callable[[], float] = time.time
) -> tuple[int, bytes]:
    """POST ``body`` signed; ``(status, answer body)``. Network failures raise ``OSError``."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers=signed_headers(secret, int(now()), body)
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return int(answer.status), answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as refused:
        with refused:
            return int(refused.code), refused.read(MAX_ANSWER)


def _classify(status: int, answer: bytes, key: str) -> Outcome:
    if 200 <= status < 300:
        try:
            ack = HandoffAck.model_validate_json(answer)
        except ValidationError as exc:
            return Retry(
                f"110 answered {status} with an acknowledgement that does not parse: {exc.errors()[:1]}"
            )
        if ack.idempotency_key != key:
            return Retry(f"110 acknowledged {ack.idempotency_key}, not {key}")
        return Delivered(ack.reference)
    text = answer[:300].decode("utf-8", "replace")
    if status >= 500 or status in RETRYABLE:
        return Retry(f"110 answered {status}: {text}")
    return Refused(f"110 refused with {status}: {text}")


def send_handoff(
    base_url: str,
    payload: dict[str, Any],
    *,
    secret: str,
    timeout_s: float,
    now: Callable[[], float] = time.time,
) -> Outcome:
    """Send one hand-off to ``<base_url>/v1/handoffs`` and sort the answer."""
    if not base_url:
        return Retry("no 110 platform is configured (HOTLINE_LINKAGE110_URL)")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        status, answer = post_json(
            base_url.rstrip("/") + "/v1/handoffs", body, secret=secret, timeout_s=timeout_s, now=now
        )
    except (OSError, ValueError) as exc:
        return Retry(f"110 is unreachable: {exc}")
    return _classify(status, answer, str(payload.get("idempotency_key", "")))
