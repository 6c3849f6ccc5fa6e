"""The council report as a neutral document: a list of blocks that the Markdown, DOCX and PDF
writers render the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# A table cell: paragraphs (str) and unnumbered lists (list[str]; the seed writes numbers as text).
Cell = list[Union[str, list[str]]]


@dataclass
class Block:
    """One piece of the document: kind is title | heading | para | table | pagebreak | image."""

    kind: str
    text: str = ""
    rows: list[tuple[str, Cell]] = field(default_factory=list)
