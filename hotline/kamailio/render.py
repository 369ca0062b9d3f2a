"""Render the Kamailio templates (``kamailio_conf/``): every ``@@NAME@@`` in a file is replaced.

Unlike the Asterisk renderer, ``;`` ends a statement here and is no comment, so the whole text is
rendered; a placeholder without a value is an error naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from hotline.kamailio.errors import KamailioError
from hotline.sandbox.render import PLACEHOLDER, template_files

__all__ = ["render_kamailio_text", "render_kamailio_tree"]


def render_kamailio_text(text: str, values: Mapping[str, str], *, source: str) -> str:
    """``text`` with every placeholder replaced; ``source`` names the file in errors."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KamailioError("conf_placeholder_unknown", f"{source}: no value for @@{name}@@", name=name)
        return str(values[name])

    return PLACEHOLDER.sub(substitute, text)


def render_kamailio_tree(src: Path, dst: Path, values: Mapping[str, str]) -> list[Path]:
    """Render every file of ``src`` into ``dst`` (mode 0600); the written paths."""
    if not src.is_dir():
        raise KamailioError("conf_src_missing", f"no template directory at {src}", path=str(src))
    written: list[Path] = []
    for path in template_files(src):
        target = dst / path.relative_to(src)
        text = render_kamailio_text(path.read_text(encoding="utf-8"), values, source=str(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(target)
        written.append(target)
    return written
