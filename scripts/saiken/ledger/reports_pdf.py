"""PDF copies of the PII-free reports (取扱者指定報告, 取扱状況報告, 事故報告書, 消去証明書).

The reports are written as Markdown first (readable in git and on the site); this turns that small
Markdown subset – `#`/`##` headings, `- ` items, `|` tables, paragraphs – into blocks for one Typst
template, policies/templates/evidence-report.typ, compiled by saiken.casework.documents.render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from saiken.core.files import atomic_write
from saiken.errors import SaikenError, os_reason

TEMPLATE = "evidence-report.typ"


def _plain(text: str) -> str:
    return text.replace("`", "").strip()


def _row(line: str) -> list[str]:
    return [_plain(c) for c in line.strip().strip("|").split("|")]


def blocks(markdown: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in markdown.splitlines():
        if not line.strip():
            continue
        if line.startswith("## "):
            out.append({"kind": "h2", "text": _plain(line[3:])})
        elif line.startswith("# "):
            out.append({"kind": "h1", "text": _plain(line[2:])})
        elif line.startswith("- "):
            out.append({"kind": "li", "text": _plain(line[2:])})
        elif line.startswith("|"):
            if set(line.replace("|", "").strip()) <= {"-", ":"}:
                continue  # the header separator
            if not out or out[-1]["kind"] != "table":
                out.append({"kind": "table", "rows": []})
            out[-1]["rows"].append(_row(line))
        else:
            out.append({"kind": "p", "text": _plain(line)})
    for b in out:  # Typst needs every row as wide as the header
        if b["kind"] == "table":
            width = len(b["rows"][0])
            b["rows"] = [(r + [""] * width)[:width] for r in b["rows"]]
    return out


def write_pdf(root: Path, markdown: str, out: Path) -> Path:
    from saiken.casework.documents.render import compile_pdf

    pdf = compile_pdf(root, TEMPLATE, {"blocks": blocks(markdown)})
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, pdf)
    except OSError as exc:
        raise SaikenError(f"書き込めません（{os_reason(exc)}）。", where=str(out)) from None
    return out
