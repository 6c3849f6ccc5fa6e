"""Documents (PDF, Japanese): 督促状, 催告書, 保証債務履行請求書, 合意書, 交渉記録報告書.

Flow, one way: records/ → a kind's module builds the template data → render.compile_pdf (Typst,
in memory) → export writes the PDF to out/ (git-ignored, mode 0600) and appends the export to
ledger/exports.yaml (and its path to the local .saiken/outputs, which `saiken erase` reads). Every check runs before the first byte is written, so bad input leaves
neither a PDF nor a ledger line.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from saiken.casework.documents import exportlog
from saiken.core import localfiles

DEFAULT_OUT = "out"


@dataclass(frozen=True)
class Kind:
    name: str        # the document's Japanese name (command name)
    alias: str       # English alias, also used in file names
    template: str    # policies/templates/<template>
    purpose: str     # default purpose for the export log


KINDS = {k.name: k for k in (
    Kind("督促状", "dunning", "dunning.typ", "督促状の送付"),
    Kind("催告書", "demand", "demand.typ", "催告書の送付"),
    Kind("保証債務履行請求書", "guarantor-demand", "guarantor-demand.typ", "保証債務履行請求書の送付"),
    Kind("合意書", "agreement", "agreement.typ", "合意書の送付（書留）"),
    Kind("交渉記録報告書", "negotiation-report", "negotiation-report.typ", "区への交渉記録の報告"),
)}
ALIASES = {k.alias: k.name for k in KINDS.values()}


def file_name(stem: str, kind: Kind, on: dt.date) -> str:
    """Case id (or 'all') + kind + date: never a name (特記事項 / DESIGN: no names in paths)."""
    return f"{stem}_{kind.alias}_{on.isoformat()}.pdf"


def _free_path(folder: Path, name: str) -> Path:
    path = folder / name
    n = 2
    while path.exists():
        path = folder / name.replace(".pdf", f"-{n}.pdf")
        n += 1
    return path


def export(root: Path, out_dir: Path, name: str, pdf: bytes, log_entry: dict[str, object]) -> Path:
    """Write the PDF (0600, never overwriting an earlier copy) and log it; undo the file if logging fails."""
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _free_path(out_dir, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
        os.chmod(path, 0o600)
        exportlog.append(root, {**log_entry, "file": path.name, "sha256": exportlog.sha256(pdf)})
        localfiles.note_output(root, path, pdf)  # where it went, for `saiken erase` (never committed)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
