"""Text folding for matching words in Japanese free text, with a map back to the original.

Folding: NFKC (全角英数 → 半角, 半角カナ → 全角), lower case, katakana → hiragana, the long-vowel
mark (ー), whitespace and every invisible character dropped – each format character (Unicode Cf:
U+200B, U+2060, U+00AD, U+200C, bidi controls, …) and each default-ignorable code point (variation
selectors, Hangul fillers, tags) – and a voicing mark (゛゜) left next to a kana joined to it. So
「ゼンカ」「ｾﾞﾝｶ」「ぜん か」「ぜ\u200bんか」 all fold to 「ぜんか」, and the lexicon word folds the same
way. This is the one folding every check matches with (names in file names, refs and messages,
lexicon words in records): `quick_fold` says whether a text matches, `fold` gives the same text with
the index of the original character each folded one came from, so a message can quote the original
text around a match. `normalise` is the part that keeps the text's shape (NFKC, invisibles dropped;
spaces, line breaks and case kept) for the number patterns.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_DROP = {"\u30fc", "\uff70", "〜", "~"}  # long-vowel marks and wave dashes written as lengthening
_COMBINING = {"\u3099", "\u309a"}  # (han)dakuten left over from half-width kana
_KATA_FIRST, _KATA_LAST = 0x30A1, 0x30F6
# Invisible characters: every Unicode Cf (format) character – as of Unicode 15 – and the other
# default-ignorable code points (Default_Ignorable_Code_Point), plus the braille blank, which shows
# as nothing too. Written out as ranges: a scan over all code points would cost a hook's start-up.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = frozenset(chr(c) for a, b in _INVISIBLE_RANGES for c in range(a, b + 1))
_BMP_INVISIBLE_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in _INVISIBLE_RANGES if b <= 0xFFFF)
# Whether a text may hold one: an invisible of the BMP, or any character beyond it (one range: the
# regex engine tests a long list of astral ranges slowly, for every character)
_MAYBE_INVISIBLE = re.compile(f"[{_BMP_INVISIBLE_CLASS}\U00010000-\U0010ffff]")


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
        if c in _INVISIBLE:
            continue
        for n in unicodedata.normalize("NFKC", c).lower():
            if n in _COMBINING and chars:
                joined = unicodedata.normalize("NFC", chars[-1] + n)
                if len(joined) == 1:  # が from か and ゛; a mark that joins nothing stays a character
                    chars[-1] = joined
                    continue
            if n in _DROP or n in _INVISIBLE or n.isspace():
                continue
            chars.append(_hira(n))
            index.append(i)
    return Folded(text, "".join(chars), tuple(index))


_INVISIBLE_TABLE = {ord(c): None for c in _INVISIBLE}
_TABLE = {**{c: c - 0x60 for c in range(_KATA_FIRST, _KATA_LAST + 1)}, **{ord(c): None for c in _DROP},
          **_INVISIBLE_TABLE}


# Runs to translate: katakana, lengthening marks, invisibles, and any character beyond the BMP
_TO_TRANSLATE = re.compile("[\u30a1-\u30f6" + "".join(sorted(_DROP)) + _BMP_INVISIBLE_CLASS + "\U00010000-\U0010ffff]+")


def _translate(run: re.Match[str]) -> str:
    return run.group().translate(_TABLE)


def quick_fold(text: str) -> str:
    """The folded text without the index map: whole-string NFKC, then katakana, long-vowel and
    invisible runs translated (found by one regex: str.translate over a whole record costs more
    than the rest), whitespace dropped, and voicing marks joined to the kana now next to them.

    Used to decide whether a text matches at all; `fold` then locates the match for the message."""
    if text.isascii():  # file names, most of a ledger: as `fold` does them
        return "".join(text.lower().replace("~", "").split())
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = folded.translate(_TABLE) if len(folded) < 200 else _TO_TRANSLATE.sub(_translate, folded)
    folded = "".join(folded.split())
    if "\u3099" in folded or "\u309a" in folded:  # a mark that was parted from its kana by a space
        folded = unicodedata.normalize("NFC", folded)
    return folded


def normalise(text: str) -> str:
    """NFKC with every invisible character dropped; spaces, line breaks and case kept (for patterns
    that read digits and their separators: 1234\u200b5678 is 12345678)."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_INVISIBLE_TABLE) if not text.isascii() and _MAYBE_INVISIBLE.search(text) else text


@functools.lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """A short text folded (names, addresses, phone numbers; the same ones recur across records,
    so the results are remembered)."""
    if word.isascii():  # dates, phone numbers, e-mail: NFKC changes nothing, only "~" is dropped
        return "".join(word.lower().replace("~", "").split())
    return quick_fold(word)


def words_pattern(words: set[str]) -> re.Pattern[str] | None:
    """A regex that finds any of `words`, as a trie (か(?:いご|ん…)): at each place of a text the
    engine follows one branch per character rather than trying every word – with the kana readings,
    whose first characters are everywhere in Japanese text, a flat alternation was twice as slow."""
    if not words:
        return None
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return re.compile(_trie_regex(trie))


def _trie_regex(node: dict[str, dict]) -> str:
    branches = [re.escape(c) + _trie_regex(node[c]) for c in sorted(k for k in node if k)]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body  # a word may end here: the rest is optional
