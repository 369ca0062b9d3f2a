"""Where in a YAML text a validation error points: the line of the node at a pydantic error location."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def yaml_line(text: str, loc: Sequence[int | str], *, doc_index: int = 0) -> int | None:
    """The 1-based line of the node at ``loc`` in document ``doc_index`` of ``text`` (parts of ``loc``
    that are not in the document are skipped); None when the text is not YAML."""
    try:
        node: yaml.Node | None = list(yaml.compose_all(text))[doc_index]
    except (yaml.YAMLError, IndexError):
        return None
    if node is None:
        return None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == str(part)), None)
            node = found if found is not None else node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
    return node.start_mark.line + 1
