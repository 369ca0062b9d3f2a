"""Quality rules applied to one transcribed call. No I/O: segments and holds in, flags out.

Times are seconds on the call's own clock (0 = when its first recording started). The rules:

- ``greeting``: the agent side says at least ``min_phrases`` of the greeting phrases in segments that
  start within the first ``within_s`` seconds; otherwise one flag at 0.
- ``forbidden``: an agent segment containing a forbidden word; one flag per segment.
- ``complaint``: a caller segment containing a complaint or escalation keyword; one flag per segment.
- ``silence``: a gap longer than ``max_s`` between consecutive speech of either side (the union of all
  segments), not counting the time before the first or after the last segment.
- ``hold``: a recorded hold of the caller longer than ``max_s``.
- ``overlap``: an agent segment and a caller segment overlapping for longer than ``max_s``.

Words are matched by characters and by pinyin (qa.text_match). A rule switched off gives no flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.config import RuleSet
from qa.text_match import find_any

EXCERPT_CHARS = 80
AGENT = "agent"
CALLER = "caller"


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of recognised speech of one side."""

    side: str
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time (a hold)."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding: which rule, which side, when, and what was said (or what happened)."""

    rule: str
    side: str
    start_s: float
    end_s: float
    excerpt: str


def excerpt(text: str) -> str:
    """``text`` cut to what a flag keeps."""
    text = text.strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def inspect(segments: Sequence[Segment], holds: Iterable[Span], rules: RuleSet) -> list[Flag]:
    """Every flag the rules raise on a call, in time order."""
    ordered = sorted(segments, key=lambda s: (s.start_s, s.end_s))
    flags: list[Flag] = []
    if rules.greeting.enabled:
        flags.extend(_greeting(ordered, rules))
    if rules.forbidden.enabled:
        flags.extend(_words(ordered, AGENT, "forbidden", rules.forbidden.words))
    if rules.complaint.enabled:
        flags.extend(_words(ordered, CALLER, "complaint", rules.complaint.words))
    if rules.silence.enabled:
        flags.extend(_silences(ordered, rules.silence.max_s))
    if rules.hold.enabled:
        flags.extend(
            Flag("hold", CALLER, h.start_s, h.end_s, f"保持{h.end_s - h.start_s:.0f}秒")
            for h in holds
            if h.end_s - h.start_s > rules.hold.max_s
        )
    if rules.overlap.enabled:
        flags.extend(_overlaps(ordered, rules.overlap.max_s))
    return sorted(flags, key=lambda f: (f.start_s, f.rule))


def _greeting(segments: Sequence[Segment], rules: RuleSet) -> list[Flag]:
    g = rules.greeting
    early = [s for s in segments if s.side == AGENT and s.start_s <= g.within_s]
    said = {p for p in g.phrases if any(find_any(s.text, (p,)) for s in early)}
    if len(said) >= min(g.min_phrases, len(g.phrases)):
        return []
    heard = " ".join(s.text for s in early)
    return [Flag("greeting", AGENT, 0.0, g.within_s, excerpt(heard) or "（未听到开头语）")]


def _words(segments: Sequence[Segment], side: str, rule: str, words: tuple[str, ...]) -> list[Flag]:
    flags = []
    for s in segments:
        if s.side == side and (hit := find_any(s.text, words)) is not None:
            flags.append(Flag(rule, side, s.start_s, s.end_s, excerpt(f"【{hit.word}】{s.text}")))
    return flags


def _silences(segments: Sequence[Segment], max_s: float) -> list[Flag]:
    flags = []
    speech_end: float | None = None
    for s in segments:
        if speech_end is not None and s.start_s - speech_end > max_s:
            gap = s.start_s - speech_end
            flags.append(Flag("silence", "both", speech_end, s.start_s, f"静默{gap:.0f}秒"))
        speech_end = s.end_s if speech_end is None else max(speech_end, s.end_s)
    return flags


def _overlaps(segments: Sequence[Segment], max_s: float) -> list[Flag]:
    agent = [s for s in segments if s.side == AGENT]
    caller = [s for s in segments if s.side == CALLER]
    flags = []
    for a in agent:
        for c in caller:
            both = min(a.end_s, c.end_s) - max(a.start_s, c.start_s)
            if both > max_s:
                start = max(a.start_s, c.start_s)
                flags.append(Flag("overlap", AGENT, start, start + both, excerpt(a.text)))
    return flags
