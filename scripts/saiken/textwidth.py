"""Terminal widths of Japanese text: full-width characters take two columns."""

from __future__ import annotations

import re
import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """Left-aligned in `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def rpad(text: str, columns: int) -> str:
    """Right-aligned in `columns` terminal columns."""
    return " " * max(0, columns - width(text)) + text


# Japanese line breaking (禁則): no line starts with closing brackets, small kana or punctuation, and
# none ends with an opening bracket. A break is best after punctuation or at a space; between two
# other Japanese characters only when no such place is near; never inside a word of ASCII letters.
_NO_START = set("、。，．,.)）」』〕】〉》ー・：；？！ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
_NO_END = set("(（「『〔【〈《")
_AFTER = set("、。，）」』〕】・")
# a number keeps its unit on its line (30 日, 1 件), and a short `command` stays whole: one token each
_TOKENS = re.compile(r"`[^`\n]{1,40}`|\d+ (?=[^\x00-\x7f])| +|[\x21-\x7e]+|.", re.S)


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _breakable(before: str, after: str) -> bool:
    if after[0] in _NO_START or before[-1] in _NO_END:
        return False
    if after[0] in _NO_END and before[-1].isascii() and before[-1] != " ":
        return False  # an English word keeps its gloss: negotiation-report（交渉記録報告書）
    return not (before[-1].isascii() and after[0].isascii() and " " not in (before[-1], after[0]))


def _hiragana(c: str) -> bool:
    return "\u3041" <= c <= "\u309f"


def _good(before: str, after: str) -> bool:
    """A natural place: after punctuation, at a space, before an opening bracket, or where hiragana
    (a particle or an ending) meets the next word – usually the end of a phrase (文節)."""
    return (before[-1] in _AFTER or before == " " or after == " " or after[0] in _NO_END
            or (_hiragana(before[-1]) and not _hiragana(after[0]) and after[0] not in _NO_START))


def wrap(text: str, columns: int) -> list[str]:
    """One paragraph as lines of at most `columns` terminal columns (a single longer word stays whole)."""
    lines: list[str] = []
    line: list[str] = []
    for token in _tokens(text):
        if line and width("".join(line) + token) > columns and token != " ":
            cut = _cut(line, token, columns)
            lines.append("".join(line[:cut]).rstrip())
            line = line[cut:]
            while line and line[0] == " ":
                line.pop(0)
        if token == " " and not line:
            continue
        line.append(token)
    if line:
        lines.append("".join(line).rstrip())
    return lines


def _cut(line: list[str], nxt: str, columns: int) -> int:
    """Where to end the line: the last good place in its second half, else the last allowed place."""
    ends = [*line[1:], nxt]
    allowed = [i + 1 for i in range(len(line)) if _breakable(line[i], ends[i])]
    if not allowed:
        return len(line)
    good = [i for i in allowed if _good(line[i - 1], ends[i - 1]) and width("".join(line[:i])) >= columns // 2]
    return (good or allowed)[-1]
