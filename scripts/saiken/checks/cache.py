"""Remembering which inputs were clean, so an unchanged repository is checked in well under a second.

Only clean results are kept: "check C found nothing in content X under policy hash P". A finding
is always recomputed (its message may quote a record, and a cache must hold no plaintext). Keys are
SHA-256 over the check id and the file's content id (its git blob id when known, else a hash of its
bytes – ciphertext for records), so the cache file holds hashes and nothing else. One file per policy
hash (`Context.policy_hash`, which covers the policies, the consents, the identities and saiken's
version) and per version of the checking code itself (`code_digest`: an upgrade that checks more,
with the version number unchanged, must not trust what the old code found clean): a change to any
of them starts from an empty cache.

The file lives in `.saiken-cache/`, mode 0600, in a folder that ignores itself (its own .gitignore
says `*`), so `git add -A` never stages it even in a repository whose .gitignore forgot it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from saiken import __version__
from saiken.checks import FileInput

CACHE_DIR = ".saiken-cache"
FORMAT = "2"  # 2: records in bucket folders (a flat path once clean is refused now)
_KEEP_FILES = 4  # older policy hashes are removed


def make_folder(folder: Path) -> None:
    """The cache folder, 0700, with a .gitignore that keeps all of it out of git."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# saiken の検査キャッシュ: コミットしません\n*\n", encoding="utf-8")


@functools.cache
def code_digest() -> str:
    """SHA-256 of the code that decides what a check finds: every module of saiken.checks and
    saiken.core (and the checks' data files), by path and bytes. About 2 ms, once per process."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for folder in ("checks", "core"):
        for path in sorted((package / folder).rglob("*")):
            if path.suffix in (".py", ".yaml") and path.is_file():
                h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def content_id(f: FileInput) -> str:
    return f.blob_id or hashlib.sha256(f.data).hexdigest()


def key(check_id: str, *parts: str) -> str:
    h = hashlib.sha256(check_id.encode())
    for part in parts:
        h.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


class ResultCache:
    def __init__(self, folder: Path, policy_hash: str) -> None:
        self.folder = folder
        name = hashlib.sha256(f"{FORMAT}\0{__version__}\0{code_digest()}\0{policy_hash}".encode()).hexdigest()[:24]
        self.path = folder / f"clean-{name}.txt"
        self.clean: set[str] = set()
        self.new: list[str] = []
        try:
            self.clean = set(self.path.read_text(encoding="ascii").split())
        except (FileNotFoundError, UnicodeDecodeError):
            pass

    def is_clean(self, k: str) -> bool:
        return k in self.clean

    def mark_clean(self, k: str) -> None:
        if k not in self.clean:
            self.clean.add(k)
            self.new.append(k)

    def save(self) -> None:
        if not self.new:
            return
        try:
            make_folder(self.folder)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as fh:
                fh.write("".join(k + "\n" for k in self.new))
            self.new = []
            self._prune()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune(self) -> None:
        files = sorted(self.folder.glob("clean-*.txt"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[_KEEP_FILES:]:
            old.unlink(missing_ok=True)
