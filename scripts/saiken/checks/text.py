"""Text folding for matching words in Japanese free text, with a map back to the original.

Folding: NFKC (全角英数 → 半角, 半角カナ → 全角), lower case, katakana → hiragana, the long-vowel
mark (ー) and whitespace dropped. So 「ゼンカ」「ｾﾞﾝｶ」「ぜん か」 all fold to 「ぜんか」, and the
lexicon word folds the same way. Every folded character remembers the index of the original
character it came from, so a message can quote the original text around a match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_DROP = {"\u30fc", "\uff70", "〜", "~"}  # long-vowel marks and wave dashes written as lengthening
_COMBINING = {"\u3099", "\u309a"}  # (han)dakuten left over from half-width kana
_KATA_FIRST, _KATA_LAST = 0x30A1, 0x30F6


def _hira(c: str) -> str:
    return chr(ord(c) - 0x60) if _KATA_FIRST <= ord(c) <= _KATA_LAST else c


@dataclass(frozen=True)
class Folded:
    original: str
    text: str
    index: tuple[int, ...]  # index[i]: position in `original` of folded character i

    def find_all(self, needle: str) -> list[tuple[int, int]]:
        """Spans (start, end) in the ORIGINAL text where the folded needle occurs."""
        out: list[tuple[int, int]] = []
        if not needle:
            return out
        at = self.text.find(needle)
        while at >= 0:
            out.append((self.index[at], self.index[at + len(needle) - 1] + 1))
            at = self.text.find(needle, at + 1)
        return out

    def window(self, start: int, end: int, width: int = 12) -> str:
        """The original text around a span, on one line, with the span in 【】."""
        left = self.original[max(0, start - width):start]
        right = self.original[end:end + width]
        text = ("…" if start > width else "") + left + "【" + self.original[start:end] + "】" + right + \
            ("…" if end + width < len(self.original) else "")
        return " ".join(text.split())


def fold(text: str) -> Folded:
    if text.isascii():  # file names, most of a ledger: NFKC changes nothing, only lower case and drops
        kept = [i for i, c in enumerate(text) if not (c.isspace() or c == "~")]
        return Folded(text, "".join(text[i] for i in kept).lower(), tuple(kept))
    chars: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        for n in unicodedata.normalize("NFKC", c).lower():
            if n in _COMBINING and chars:
                chars[-1] = unicodedata.normalize("NFC", chars[-1] + n)
                continue
            if n in _DROP or n.isspace():
                continue
            chars.append(_hira(n))
            index.append(i)
    return Folded(text, "".join(chars), tuple(index))


_TABLE = {**{c: c - 0x60 for c in range(_KATA_FIRST, _KATA_LAST + 1)}, **{ord(c): None for c in _DROP}}


_TO_TRANSLATE = re.compile("[\u30a1-\u30f6" + "".join(sorted(_DROP)) + "]+")


def _translate(run: re.Match[str]) -> str:
    return run.group().translate(_TABLE)


def quick_fold(text: str) -> str:
    """The folded text without the index map: whole-string NFKC, then katakana and long-vowel runs
    translated (found by one regex: str.translate over a whole record costs more than the rest).

    Used to decide whether a text matches at all; `fold` then locates the match for the message."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = folded.translate(_TABLE) if len(folded) < 200 else _TO_TRANSLATE.sub(_translate, folded)
    return "".join(folded.split())


@functools.lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """A short text folded (names, addresses, phone numbers; the same ones recur across records,
    so the results are remembered)."""
    if word.isascii():  # dates, phone numbers, e-mail: NFKC changes nothing, only "~" is dropped
        return "".join(word.lower().replace("~", "").split())
    return quick_fold(word)
