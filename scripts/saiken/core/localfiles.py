"""The repository's local folder `.saiken/`: what one machine keeps about its own use of the records.

Never committed (the folder carries a `.gitignore` of `*`, and the skeleton's .gitignore names it):
    access.log   who opened which cases (saiken.ledger.accesslog)
    outputs      every file saiken wrote that holds personal data outside records/ – a document
                 (`saiken doc`) or a media package (`saiken export medium`) – as its absolute path
                 and sha256, one per line. `saiken erase --as 乙` reads it to find copies written
                 with --out outside the repository (ledger/exports.yaml names files, not folders).
Neither holds personal data: case ids, handler ids, paths saiken chose (case id, kind, date).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FOLDER = ".saiken"
OUTPUTS = f"{FOLDER}/outputs"


def folder(root: Path) -> Path:
    """`.saiken/` of `root`, made private and git-ignored if it is not there yet."""
    path = root / FOLDER
    if not path.is_dir():
        path.mkdir(mode=0o700)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# saiken のローカルな記録（既定ではコミットしません）\n*\n", encoding="utf-8")
    return path


def note_output(root: Path, path: Path, data: bytes) -> None:
    """Remember a file with personal data that saiken wrote, for erase to find it again."""
    line = f"{path.resolve()}\t{hashlib.sha256(data).hexdigest()}\n"
    fd = os.open(folder(root) / "outputs", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def outputs(root: Path) -> list[tuple[Path, str]]:
    """(absolute path, sha256) of every output noted, oldest first."""
    path = root / OUTPUTS
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, _, digest = line.rpartition("\t")
        if name and digest:
            out.append((Path(name), digest))
    return out
