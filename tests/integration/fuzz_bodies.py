"""Request bodies no OpenAPI-driven generator sends, for every route that takes a body."""

from __future__ import annotations

import re

JSON = "application/json"
RAW_BODIES: dict[str, tuple[bytes, str]] = {
    "number_of_5000_digits": (b'{"status": ' + b"9" * 5000 + b"}", JSON),
    "nested_100000": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "open_brackets_100000": (b"[" * 100_000, JSON),
    "nan": (b'{"status": NaN, "name": Infinity}', JSON),
    "lone_surrogate": (b'{"status": "\\ud800", "name": "\\udfff"}', JSON),
    "not_utf8": (b'\xff\xfe{"status": "available"}', JSON),
    "nul_bytes": (b'{"status": "available\\u0000", "name": "\x00"}', JSON),
    "duplicate_keys": (b'{"status": "paused", "status": "available"}', JSON),
    "over_the_json_limit": (b'{"note": "' + b"x" * 300_000 + b'"}', JSON),
    "empty": (b"", JSON),
    "null": (b"null", JSON),
    "array": (b"[]", JSON),
    "string": (b'"available"', JSON),
    "truncated": (b'{"status": "avail', JSON),
    "json_as_text_plain": (b'{"status": "available"}', "text/plain"),
    "form": (b"status=available&reason=x", "application/x-www-form-urlencoded"),
    "multipart_garbage": (
        b"--xx\r\nContent-Disposition: form-data\r\n\r\n",
        "multipart/form-data; boundary=xx",
    ),
    "binary": (bytes(range(256)) * 8, "application/octet-stream"),
}
"""Name -> (body, content type)."""

PATH_VALUES = {
    "agent_id": "7999",
    "version": "1",
    "old": "1",
    "new": "1",
    "prompt_id": "fuzz_raw_prompt",
    "flag": "fuzz_flag",
    "article_id": "1",
    "call_id": "no-such-call",
    "session_id": "spy-0123456789abcdef",
    "supervisor_id": "fuzz_supervisor",
}
"""A value for each path parameter (the routes' own numbers: see :func:`fill_path`)."""


def fill_path(path: str) -> str:
    """``path`` with every ``{param}`` filled in: phone numbers for callers, an order number for orders."""
    if path.startswith("/api/ivr/callers/"):
        return path.replace("{number}", "13800138000")
    path = path.replace("{number}", "A1-20261206-000001")
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
