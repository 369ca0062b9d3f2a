"""The desktop pages as served: a line ``<!--part:NAME-->`` in a page stands for the shared piece
``parts/NAME.html`` next to the pages, put in its place with the line's indentation.

The sign-in form that the signed-in pages open with (agent desktop, supervisor, reports, QA,
recordings, knowledge base, revisits, admin console) is such a piece, ``parts/signin.html``, so it is
written once. Pages are read at each request, as the files were served before.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

PART_LINE = re.compile(r"^([ \t]*)<!--part:([a-z][a-z0-9_-]*)-->[ \t]*$", re.MULTILINE)
PARTS_DIR = "parts"


def render_page(static_dir: Path, name: str) -> str:
    """The page ``name`` in ``static_dir`` with each part line replaced by its piece; a piece that is
    missing raises FileNotFoundError."""
    page = (static_dir / name).read_text(encoding="utf-8")

    def piece(line: re.Match[str]) -> str:
        indent, part = line.group(1), line.group(2)
        text = (static_dir / PARTS_DIR / f"{part}.html").read_text(encoding="utf-8")
        return textwrap.indent(text.rstrip("\n"), indent)

    return PART_LINE.sub(piece, page)
