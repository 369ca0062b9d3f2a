"""Finding a word in recognised speech, tolerant to the recogniser. No I/O.

A recogniser writes what it heard in its own way: traditional or simplified characters, 12345 as digits
or as 一二三四五, and homophones (举报 heard as 句报). So a word is found in a text when either

- its characters occur in the text once both are simplified (OpenCC ``t2s``) and stripped of spaces and
  punctuation, or
- its toneless pinyin syllables occur in a row in the text's (digits read one by one, 幺 as 一:
  ``ivr.pinyin_text.toneless``).

Pinyin matching only applies to words of two syllables or more, so that one common syllable does not
match everywhere.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ivr.pinyin_text import toneless

_NOT_WORD = re.compile(
    r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20!-/:-@\[-`{-~，。、；：？！…—“”‘’（）《》]+"
)
_converter: Any = None
_lock = threading.Lock()
MIN_PINYIN_SYLLABLES = 2


def simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC t2s)."""
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(text))


@lru_cache(maxsize=4096)
def _prepared(text: str) -> tuple[str, tuple[str, ...]]:
    plain = _NOT_WORD.sub("", simplified(text)).lower()
    return plain, tuple(toneless(plain))


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a word was found: the word as configured and how (``chars`` or ``pinyin``)."""

    word: str
    how: str


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def find_word(text: str, word: str) -> Hit | None:
    """How ``word`` occurs in ``text`` (characters first, then pinyin), or None."""
    plain_word, word_syllables = _prepared(word)
    if not plain_word:
        return None
    plain_text, text_syllables = _prepared(text)
    if plain_word in plain_text:
        return Hit(word=word, how="chars")
    if len(word_syllables) >= MIN_PINYIN_SYLLABLES and _contains(text_syllables, word_syllables):
        return Hit(word=word, how="pinyin")
    return None


def find_any(text: str, words: tuple[str, ...]) -> Hit | None:
    """The first of ``words`` found in ``text``, or None."""
    for word in words:
        hit = find_word(text, word)
        if hit is not None:
            return hit
    return None
