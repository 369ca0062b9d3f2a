"""Parse flow documents from YAML or JSON text with errors that name the line.

A single flow is one mapping; a pack is a YAML stream of several documents (``---``) or a JSON list.
Schema errors are mapped back to the YAML line of the offending field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from hotline.yaml_lines import yaml_line
from ivr.flow.errors import FlowError
from ivr.flow.model import Flow

Format = Literal["yaml", "json"]
DEFAULT_PACK_PATH = Path(__file__).resolve().parent.parent / "flows" / "12345.yaml"


def _guess(text: str, fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def _parse_documents(text: str, fmt: Format) -> list[Any]:
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FlowError(
                "flow_parse_error",
                f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                {"line": exc.lineno, "column": exc.colno},
            ) from exc
        return data if isinstance(data, list) else [data]
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise FlowError(
            "flow_parse_error",
            f"YAML syntax error at line {line}, column {column}: {exc.problem or exc}",
            {"line": line, "column": column},
        ) from exc
    except yaml.YAMLError as exc:
        raise FlowError("flow_parse_error", f"YAML error: {exc}") from exc


def _to_flow(raw: Any, *, text: str, fmt: Format, doc_index: int) -> Flow:
    if not isinstance(raw, dict):
        raise FlowError("flow_invalid", "a flow document must be a mapping", {"document": doc_index})
    try:
        return Flow.model_validate(raw)
    except ValidationError as exc:
        problems: list[dict[str, Any]] = []
        for err in exc.errors():
            line = yaml_line(text, err["loc"], doc_index=doc_index) if fmt == "yaml" else None
            loc = ".".join(str(p) for p in err["loc"])
            problems.append({"loc": loc, "message": err["msg"], "line": line})
        shown = "; ".join(
            f"{p['loc']}: {p['message']}" + (f" (line {p['line']})" if p["line"] else "")
            for p in problems[:5]
        )
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        raise FlowError(
            "flow_invalid",
            f"flow {raw.get('id', '?')!s}: {shown}{more}",
            {"document": doc_index, "errors": problems, "line": problems[0]["line"]},
        ) from exc


def load_flow(text: str, *, fmt: Format | None = None) -> Flow:
    """Parse one flow from YAML or JSON text (format guessed when ``fmt`` is None)."""
    kind = _guess(text, fmt)
    docs = _parse_documents(text, kind)
    if len(docs) != 1:
        raise FlowError("flow_invalid", f"expected exactly one flow document, found {len(docs)}")
    return _to_flow(docs[0], text=text, fmt=kind, doc_index=0)


def load_flow_pack(text: str, *, fmt: Format | None = None) -> dict[str, Flow]:
    """Parse several flows (YAML documents or a JSON list), keyed by flow id."""
    kind = _guess(text, fmt)
    flows: dict[str, Flow] = {}
    for index, raw in enumerate(_parse_documents(text, kind)):
        flow = _to_flow(raw, text=text, fmt=kind, doc_index=index)
        if flow.id in flows:
            raise FlowError("duplicate_flow_id", f"flow id {flow.id!r} appears twice", {"flow_id": flow.id})
        flows[flow.id] = flow
    if not flows:
        raise FlowError("flow_invalid", "the pack holds no flow")
    return flows


def load_flow_file(path: Path | str) -> dict[str, Flow]:
    """Read a flow pack from a ``.yaml``/``.yml``/``.json`` file."""
    source = Path(path)
    fmt: Format = "json" if source.suffix == ".json" else "yaml"
    try:
        return load_flow_pack(source.read_text(encoding="utf-8"), fmt=fmt)
    except FlowError as exc:
        exc.details["source"] = str(source)
        raise


def default_pack() -> dict[str, Flow]:
    """The default 12345 flow pack shipped in ``ivr/flows/12345.yaml``."""
    return load_flow_file(DEFAULT_PACK_PATH)


def dump_flow(flow: Flow, *, fmt: Format = "yaml") -> str:
    """Serialise a flow back to text (aliases such as ``else`` kept)."""
    data = flow.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["schema_version"] = flow.schema_version
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
