"""What admins configure for quality inspection: the rules and the scoring items, with the shipped
defaults. Both are stored as versioned JSON documents (qa.store); these models validate them.

Scoring: each item has a ``weight``; a reviewer gives each item a mark from 0 to 1 (0, 0.5, 1 on the
page); the score is ``100 * sum(weight * mark) / sum(weight)``, from 0 to 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Word = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Words = Annotated[tuple[Word, ...], Field(max_length=200)]
Seconds = Annotated[float, Field(gt=0, le=3600)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GreetingRule(_Frozen):
    """The standard greeting within the first seconds of the agent side."""

    enabled: bool = True
    phrases: Words = ("您好", "你好", "12345", "请讲", "为您服务")
    min_phrases: Annotated[int, Field(ge=1, le=20)] = 2
    within_s: Seconds = 15.0


class WordRule(_Frozen):
    """Words that flag a segment of one side."""

    enabled: bool = True
    words: Words = ()


class DurationRule(_Frozen):
    """A stretch of time longer than ``max_s`` flags the call."""

    enabled: bool = True
    max_s: Seconds


FORBIDDEN_WORDS = (
    "不知道",
    "不归我们管",
    "我不管",
    "没办法",
    "你自己去问",
    "少废话",
    "烦不烦",
    "听不懂吗",
    "找别人去",
)
COMPLAINT_WORDS = ("投诉", "曝光", "举报", "向领导反映", "找领导", "找媒体", "上访", "打市长热线")


class RuleSet(_Frozen):
    """Every QA rule and the share of unflagged calls sampled into the work list."""

    greeting: GreetingRule = GreetingRule()
    forbidden: WordRule = WordRule(words=FORBIDDEN_WORDS)
    complaint: WordRule = WordRule(words=COMPLAINT_WORDS)
    silence: DurationRule = DurationRule(max_s=20.0)
    hold: DurationRule = DurationRule(max_s=60.0)
    overlap: DurationRule = DurationRule(max_s=3.0)
    sample_rate: Annotated[float, Field(ge=0, le=1)] = 0.05


class ScoreItem(_Frozen):
    """One item of the scoring form."""

    key: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    label: Word
    weight: Annotated[int, Field(ge=1, le=100)]


class ScoreItems(_Frozen):
    """The scoring form: items with distinct keys."""

    items: Annotated[tuple[ScoreItem, ...], Field(min_length=1, max_length=30)]

    @model_validator(mode="after")
    def _distinct(self) -> ScoreItems:
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("item keys must be distinct")
        return self


DEFAULT_ITEMS = ScoreItems(
    items=(
        ScoreItem(key="greeting", label="规范开头语与结束语", weight=10),
        ScoreItem(key="accuracy", label="业务解答准确", weight=30),
        ScoreItem(key="attitude", label="服务态度", weight=20),
        ScoreItem(key="record", label="工单记录完整准确", weight=20),
        ScoreItem(key="communication", label="沟通技巧", weight=20),
    )
)


class MarksError(ValueError):
    """Marks that do not fit the items (unknown or missing item, mark outside 0..1)."""


def score(items: ScoreItems, marks: Mapping[str, float]) -> float:
    """The weighted score, 0 to 100 (one decimal), of one mark per item."""
    keys = {i.key for i in items.items}
    if set(marks) != keys:
        raise MarksError(f"marks must name exactly the items {sorted(keys)}")
    if any(not 0 <= m <= 1 for m in marks.values()):
        raise MarksError("every mark is between 0 and 1")
    total = sum(i.weight for i in items.items)
    return round(100 * sum(i.weight * marks[i.key] for i in items.items) / total, 1)
