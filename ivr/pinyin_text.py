"""Chinese prompt text as tone-numbered pinyin, read the way a hotline reads it. No I/O.

espeak-ng's Mandarin voice for Chinese characters (``cmn``) reads them with English letter rules on
Debian 12, so prompts are spoken by the pinyin voice (``cmn-latn-pinyin``) from syllables such as
``zhuan3 ren2 gong1``. Characters become pinyin with pypinyin's phrase dictionary (polyphones by
context: 重要 zhong4, 重新 chong2, 还有 hai2) and its tone sandhi for 一 and 不 (不要 bu2 yao4).

Numbers written with digits are read as a hotline reads them:

- three or more digits, or any run starting with 0, are a service number, order number or phone
  number: digit by digit with 1 as yao (12345 yao1 er4 san1 si4 wu3, 110 yao1 yao1 ling2);
- one or two digits are a key or a count: 按1 an4 yi1, 15秒 shi2 wu3 miao3, and a lone 2 before a
  measure word is liang3 (2分钟 liang3 fen1 zhong1) unless it is an ordinal (第2位 di4 er4 wei4).

Counts written in characters (您前面还有两位, 约三分钟) stay as written. Punctuation becomes a pause
(``,`` inside a sentence, ``.`` at its end); # and * are 井号 and 星号; other symbols are dropped, so
nothing in a prompt can look like a command-line option. Latin words are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher

from pypinyin import Style, lazy_pinyin

DIGIT_SYLLABLES = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
YAO = "yao1"
LIANG = "liang3"
MEASURE_WORDS = ("位", "个", "分钟", "秒", "小时", "天", "次", "名", "件", "条", "周", "年")
"""Words after which a lone 2 is read liang3."""
_KEYS = {"#": "jing3", "＃": "jing3", "*": "xing1", "＊": "xing1"}
_PIECE = re.compile(
    r"(?P<digits>[0-9]+)|(?P<han>[\u3400-\u4dbf\u4e00-\u9fff]+)|(?P<latin>[A-Za-z]+)"
    r"|(?P<stop>[。！？.!?]+)|(?P<pause>[，、；：,;:（）()《》〈〉“”‘’\"'—…～~]+)|(?P<key>[#＃*＊])"
)
_SYLLABLE = re.compile(r"^[a-z]+[1-5]$")


def speakable(text: str) -> str:
    """``text`` as the pinyin line espeak-ng's ``cmn-latn-pinyin`` voice reads."""
    line = ""
    for token in _tokens(text):
        if token in (",", "."):
            line = line.rstrip() + token + " " if line else ""
        else:
            line += token + " "
    return line.strip()


def syllables(text: str) -> list[str]:
    """The tone-numbered pinyin syllables ``text`` is spoken as (no pauses, no Latin words)."""
    return [t for t in _tokens(text) if _SYLLABLE.match(t)]


def toneless(text: str) -> list[str]:
    """Syllables without tones, yao read as yi: what two readings of a text share."""
    return ["yi" if s[:-1] == "yao" else s[:-1] for s in syllables(text)]


def pinyin_similarity(heard: str, written: str) -> float:
    """How close two texts sound, 0 to 1: the matching ratio of their toneless syllables."""
    a, b = toneless(heard), toneless(written)
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _tokens(text: str) -> Iterator[str]:
    for piece in _PIECE.finditer(text):
        kind, value = piece.lastgroup, piece.group()
        if kind == "digits":
            ordinal = text[: piece.start()].endswith("第")
            yield from _number(value, following=text[piece.end() :], ordinal=ordinal)
        elif kind == "han":
            yield from _han(value)
        elif kind == "latin":
            yield value
        elif kind == "stop":
            yield "."
        elif kind == "pause":
            yield ","
        else:
            yield _KEYS[value]
            if not text[piece.end() :].startswith("号"):
                yield "hao4"


def _han(run: str) -> list[str]:
    return lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True, errors="ignore")


def _number(digits: str, *, following: str, ordinal: bool) -> list[str]:
    if len(digits) >= 3 or (digits.startswith("0") and len(digits) > 1):
        return [YAO if d == "1" else DIGIT_SYLLABLES[int(d)] for d in digits]
    n = int(digits)
    if n == 2 and not ordinal and following.startswith(MEASURE_WORDS):
        return [LIANG]
    if n < 10:
        return [DIGIT_SYLLABLES[n]]
    tens, units = divmod(n, 10)
    words = [] if tens == 1 else [DIGIT_SYLLABLES[tens]]
    return [*words, "shi2", *([DIGIT_SYLLABLES[units]] if units else [])]
