"""Bulk import of knowledge articles from CSV or JSON, all or nothing.

CSV: UTF-8 with or without a byte-order mark, a header row naming the columns ``title``, ``body``,
``tags`` (separated by , ， ; ； | or 、), ``category`` (the value or its Chinese label) and
``expires_on`` (YYYY-MM-DD); only ``title`` and ``body`` are required, unknown columns are refused.
JSON: a list of objects with the same keys (``tags`` a list or a separated string). Every row is
validated before anything is stored; any error refuses the whole file and names each bad row (CSV
rows numbered as a spreadsheet shows them, the header being row 1; JSON items from 1). A file is
at most ``MAX_BYTES`` and ``MAX_ROWS`` rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db.access import writing
from tickets.errors import TicketValidationError
from tickets.knowledge import check_aware
from tickets.knowledge_admin import ArticleFields, create_many
from tickets.knowledge_schemas import ArticleIn, ImportRowError

__all__ = ["MAX_BYTES", "MAX_ROWS", "ImportRefusedError", "import_articles", "parse"]

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = ("title", "body", "tags", "category", "expires_on")
_TAG_SPLIT = re.compile(r"[,，;；|、]")


class ImportRefusedError(TicketValidationError):
    """The file has errors; ``details['errors']`` lists them by row and nothing was imported."""

    def __init__(self, errors: Sequence[ImportRowError]) -> None:
        super().__init__(
            "import_invalid",
            f"{len(errors)} error(s); nothing was imported",
            errors=[e.model_dump() for e in errors],
        )
        self.errors = list(errors)


def _refuse(message: str, row: int = 0, field: str | None = None) -> ImportRefusedError:
    return ImportRefusedError([ImportRowError(row=row, field=field, message=message)])


def _split_tags(value: Any) -> Any:
    if isinstance(value, str):
        return [t.strip() for t in _TAG_SPLIT.split(value) if t.strip()]
    return value


def _blank_to_none(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if not (k in ("category", "expires_on") and v in ("", None))}
    if "tags" in out:
        out["tags"] = _split_tags(out["tags"]) if out["tags"] is not None else []
    return out


def _csv_records(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        textual = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(f"the file is not UTF-8 (byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(textual, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _refuse(f"not a readable CSV file: {exc}", row=reader.line_num) from exc
    if not rows:
        raise _refuse("the file is empty: a header row is needed", row=1)
    header = [h.strip().lower() for h in rows[0]]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in ("title", "body") if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        what = f"unknown {unknown}" if unknown else f"missing {missing}" if missing else "repeated"
        raise _refuse(f"header columns {what}; allowed: {', '.join(COLUMNS)}", row=1)
    records = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise _refuse(f"{len(values)} values for {len(header)} columns", row=number)
        records.append((number, dict(zip(header, values, strict=True))))
    return records


def _json_records(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse(f"not a JSON document: {exc}") from exc
    if not isinstance(items, list):
        raise _refuse("the JSON document must be a list of objects")
    records = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise _refuse("each item must be an object", row=number)
        records.append((number, item))
    return records


def _check(number: int, record: dict[str, Any]) -> ArticleIn | list[ImportRowError]:
    try:
        return ArticleIn.model_validate(_blank_to_none(record))
    except ValidationError as exc:
        return [
            ImportRowError(
                row=number,
                field=".".join(str(p) for p in e["loc"]) or None,
                type=e["type"],
                message=e["msg"],
            )
            for e in exc.errors(include_url=False)
        ]


def parse(data: bytes, *, kind: str) -> list[ArticleFields]:
    """The validated rows of a ``csv`` or ``json`` file; ``ImportRefusedError`` with every error."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"the file is larger than {MAX_BYTES} bytes")
    if kind not in ("csv", "json"):
        raise _refuse("the format must be csv or json", field="format")
    records = _csv_records(data) if kind == "csv" else _json_records(data)
    if not records:
        raise _refuse("the file has no rows to import")
    if len(records) > MAX_ROWS:
        raise _refuse(f"{len(records)} rows; at most {MAX_ROWS} per file")
    good: list[ArticleFields] = []
    errors: list[ImportRowError] = []
    for number, record in records:
        checked = _check(number, record)
        if isinstance(checked, ArticleIn):
            good.append(checked.fields())
        else:
            errors.extend(checked)
    if errors:
        raise ImportRefusedError(errors)
    return good


def import_articles(
    sm: sessionmaker[Session], data: bytes, *, kind: str, by: str, now: datetime | None = None
) -> list[int]:
    """Validate the whole file, then store every row in one transaction; the new ids in file order."""
    now = datetime.now(UTC) if now is None else now
    check_aware(now)
    rows = parse(data, kind=kind)
    with writing(sm) as s:
        return create_many(s, rows, by=by, now=now)
