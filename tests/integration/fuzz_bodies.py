"""Requests no OpenAPI-driven generator sends: hostile raw bodies, and integers at storage edges."""

from __future__ import annotations

import re
from typing import Any

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
    "user_id": "fuzz_dept_user",
    "extension_id": "1",
    "year": "2027",
    "code": "cgj",
    "recording_id": "no-such-recording",
    "queue": "enterprise",
    "entry_id": "fuzz_entry",
}
"""A value for each path parameter (the routes' own numbers: see :func:`fill_path`)."""


def fill_path(path: str) -> str:
    """``path`` with every ``{param}`` filled in: phone numbers for callers, an order number for orders."""
    if path.startswith("/api/ivr/callers/"):
        return path.replace("{number}", "13800138000")
    path = path.replace("{number}", "A1-20261206-000001")
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


EDGE_INTEGERS = (1, 2**31 - 1, 2**31, 2**53, 2**63 - 1)
"""Integers where storage types end (32-bit and 64-bit columns, doubles)."""


def integer_parameters(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every integer path or query parameter of an OpenAPI document as (operation label, name, where,
    schema)."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                schema = param["schema"]
                choices = [schema, *schema.get("anyOf", [])]
                integer = next((c for c in choices if c.get("type") == "integer"), None)
                if integer is not None and param["in"] in {"path", "query"}:
                    found.append((f"{method.upper()} {path}", param["name"], param["in"], integer))
    return found


def edge_values(schema: dict[str, Any]) -> list[int]:
    """The schema's own bounds and the storage edges inside them."""
    low, high = schema.get("minimum", -(2**63)), schema.get("maximum", 2**63 - 1)
    return sorted({v for v in (low, high, *EDGE_INTEGERS) if low <= v <= high})
