"""Terminal widths of Japanese text: full-width characters take two columns."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """Left-aligned in `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def rpad(text: str, columns: int) -> str:
    """Right-aligned in `columns` terminal columns."""
    return " " * max(0, columns - width(text)) + text
