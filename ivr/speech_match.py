"""Which menu option a recognised reply names: by characters, then by sound (toneless pinyin). No I/O.

Recognisers write what they heard in characters that may differ from the option's keyword while
sounding the same (投诉 heard as 头诉), in traditional characters (投訴), or slightly off on robotic
or noisy speech (转人工 heard as 剩人工). A reply is compared with every keyword in three steps, and
the first step with a hit decides (within a step the longest keyword wins):

1. characters: the keyword appears in the reply, after converting it to simplified characters;
2. pinyin: the keyword's toneless syllables appear in a row in the reply's (so homophones match);
3. near pinyin: a keyword of two or more syllables lines up with a stretch of the reply where at
   least ``NEAR_MIN`` of its syllables agree (an equal syllable counts 1, one with the same final
   or the same initial 0.5).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from ivr.pinyin_text import toneless

NEAR_MIN = 0.7
"""Share of a keyword's syllables that must agree in the near-pinyin step."""
_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)
_NOISE = re.compile(r"[\s,.!?;:，。！？；：、…~～\"'“”‘’()（）\[\]]+")


def simplified(text: str) -> str:
    """``text`` in simplified characters without spaces or punctuation."""
    return _NOISE.sub("", str(_converter().convert(text)))


@functools.cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def match_choice(text: str, keywords: Mapping[str, tuple[str, ...]]) -> str | None:
    """The option ``text`` names, or None (see the module's steps)."""
    heard = simplified(text)
    if not heard:
        return None
    for step in (_by_characters, _by_pinyin, _by_near_pinyin):
        found = step(heard, keywords)
        if found is not None:
            return found
    return None


def _best(scored: list[tuple[float, int, str]]) -> str | None:
    return max(scored)[2] if scored else None


def _by_characters(heard: str, keywords: Mapping[str, tuple[str, ...]]) -> str | None:
    scored = []
    for choice, words in keywords.items():
        for word in words:
            squeezed = simplified(word)
            if squeezed and squeezed in heard:
                scored.append((1.0, len(squeezed), choice))
    return _best(scored)


def _by_pinyin(heard: str, keywords: Mapping[str, tuple[str, ...]]) -> str | None:
    said = toneless(heard)
    scored = []
    for choice, words in keywords.items():
        for word in words:
            sound = toneless(word)
            if sound and _window_score(said, sound, exact=True) == 1.0:
                scored.append((1.0, len(sound), choice))
    return _best(scored)


def _by_near_pinyin(heard: str, keywords: Mapping[str, tuple[str, ...]]) -> str | None:
    said = toneless(heard)
    scored = []
    for choice, words in keywords.items():
        for word in words:
            sound = toneless(word)
            if len(sound) < 2:
                continue
            score = _window_score(said, sound, exact=False)
            if score >= NEAR_MIN:
                scored.append((score, len(sound), choice))
    return _best(scored)


def _window_score(said: list[str], sound: list[str], *, exact: bool) -> float:
    """The best agreement of ``sound`` with any stretch of ``said`` of the same length, 0 to 1."""
    n = len(sound)
    best = 0.0
    for start in range(len(said) - n + 1):
        stretch = said[start : start + n]
        if exact:
            score = 1.0 if stretch == sound else 0.0
        else:
            score = sum(syllable_agreement(a, b) for a, b in zip(stretch, sound, strict=True)) / n
        best = max(best, score)
    return best


def syllable_agreement(a: str, b: str) -> float:
    """1 for the same toneless syllable, 0.5 for the same final or the same initial, else 0."""
    if a == b:
        return 1.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    return 0.5 if (fa == fb or (ia and ia == ib)) else 0.0


def _split(syllable: str) -> tuple[str, str]:
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial) :]
    return "", syllable
