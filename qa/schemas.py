"""Request bodies of the QA API (the rules and items bodies are qa.config's models)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Mark = Annotated[float, Field(ge=0, le=1)]


class ScoreCreate(BaseModel):
    """A reviewer's marks (0 to 1 per item of ``items_version``) and comment for one call."""

    model_config = ConfigDict(extra="forbid")
    items_version: Annotated[int, Field(ge=0)]
    marks: Annotated[dict[Annotated[str, StringConstraints(max_length=32)], Mark], Field(max_length=30)]
    comment: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$"),
    ] = ""
