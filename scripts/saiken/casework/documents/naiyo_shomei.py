"""内容証明郵便 layout: text on a grid of characters per line × lines per page, and its check.

Counting (DOMAIN.md; Japan Post's rules for horizontal text): every character is one cell –
kana, kanji, digits, Latin letters, punctuation (、。・) and spaces alike – except that a bracket
pair counts as one: the opening bracket takes a cell, its matching closing bracket none. Each line is
counted on its own, so a bracket opened on one line and closed on the next costs a cell on both –
the safe reading of the rule.
The accepted grids are 20×26, 13×40 and 26×20 (characters × lines); saiken uses 20×26.

Paragraphs are wrapped greedily. A run of digits/Latin letters (an amount, an address number, a
registered-mail number) is never split, closing punctuation never starts a line and an opening
bracket never ends one. `check` then verifies the finished lines; text it cannot fit (a run longer
than a line) is refused with the line and the count, never silently squeezed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from saiken.errors import SaikenError

LAYOUTS = {"20x26": (20, 26), "13x40": (13, 40), "26x20": (26, 20)}
DEFAULT_LAYOUT = "20x26"
PAIRS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "［": "］", "[": "]", "｛": "｝", "〈": "〉", "《": "》", "“": "”"}
CLOSERS = set(PAIRS.values())
NO_LINE_START = CLOSERS | set("、。，．,.・：；？！ー々ゝゞっゃゅょァィゥェォッャュョ")
UNBREAKABLE = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ][0-9A-Za-z０-９Ａ-Ｚａ-ｚ,.\-－‐―:/]*[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]|.", re.S)


@dataclass(frozen=True)
class Layout:
    columns: int
    rows: int

    @classmethod
    def named(cls, name: str = DEFAULT_LAYOUT) -> "Layout":
        return cls(*LAYOUTS[name])


def costs(text: str) -> list[int]:
    """Cells per character: 1, except 0 for a closing bracket that matches an opening one."""
    out, stack = [], []
    for ch in text:
        if ch in PAIRS:
            stack.append(PAIRS[ch])
            out.append(1)
        elif stack and ch == stack[-1]:
            stack.pop()
            out.append(0)
        else:
            out.append(1)
    return out


def count(text: str) -> int:
    """The number of cells a line takes (the 字数 the post office counts)."""
    return sum(costs(text))


def _tokens(paragraph: str) -> list[str]:
    """Units never split across lines: runs of digits/letters, closing marks glued to the left,
    opening brackets glued to the right."""
    raw = [m.group(0) for m in UNBREAKABLE.finditer(paragraph)]
    out: list[str] = []
    carry = ""
    for tok in raw:
        if tok in PAIRS:
            carry += tok
            continue
        tok, carry = carry + tok, ""
        if out and tok[0] in NO_LINE_START:
            out[-1] += tok
        else:
            out.append(tok)
    if carry:
        out.append(carry)
    return out


def wrap(paragraph: str, columns: int) -> list[str]:
    """Greedy fill, each line counted on its own (a bracket closed on a later line costs a cell there)."""
    if not paragraph:
        return [""]
    lines, line = [], ""
    for tok in _tokens(paragraph):
        if line and count(line + tok) > columns:
            lines.append(line)
            line = ""
        line += tok
    lines.append(line)
    return lines


def layout(text: str, grid: Layout) -> list[list[str]]:
    """Paragraphs (one per input line) wrapped to the grid and split into pages; checked."""
    lines = [ln for para in text.splitlines() for ln in wrap(para.rstrip(), grid.columns)]
    while lines and not lines[-1]:
        lines.pop()
    check(lines, grid)
    return [lines[i:i + grid.rows] for i in range(0, len(lines), grid.rows)]


def check(lines: list[str], grid: Layout) -> None:
    """Refuse any line longer than the grid allows (the whole text, not only the first problem)."""
    bad = []
    for n, line in enumerate(lines, 1):
        used = count(line)
        if used > grid.columns:
            page, row = divmod(n - 1, grid.rows)
            bad.append(f"  {page + 1}枚目{row + 1}行目: {used}字（上限{grid.columns}字）「{line}」")
    if bad:
        raise SaikenError("内容証明郵便の字数制限（1行" f"{grid.columns}字・1枚{grid.rows}行）を超える行があります:\n"
                          + "\n".join(bad),
                          hint="ひな形 policies/templates/demand-naiyo.txt の該当箇所に改行を入れるか、"
                               "長い英数字の並びを短くしてください。")
