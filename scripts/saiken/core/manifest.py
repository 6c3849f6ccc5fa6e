"""records/<xx>/<y>/manifest.yaml: the writer's cleartext claim of who each record is encrypted to.

age hides X25519 recipients (a stanza names no key), so a file alone cannot say whose keys it
was written for. Every write therefore also records, per case id, the SHA-256 of the ciphertext,
the fingerprints of the recipients it was encrypted to, and the hash of that recipient set. The
manifest holds no personal data: opaque ids, hashes of public keys, hashes of ciphertext.

One manifest per bucket folder (saiken.core.layout), holding the lines of that folder's records
only, so writing one record rewrites a manifest of about n/4,096 lines, not one of n. One line per
record, sorted by id, so that `merge=union` (records/*/*/manifest.yaml, set by `saiken git-setup`)
merges two branches that each added records:

    C-AB12CD34: {sha256: <64 hex>, recipients: [<16 hex>, ...], policy: <16 hex>}

It is a claim, not a proof: the sha256 ties an entry to one exact file, and `saiken recipients`
compares what the header shows (stanza count, ssh key tags) with it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from saiken.core import crypto, layout
from saiken.core.files import atomic_write
from saiken.core.policy import recipient_fingerprint, recipients_hash

GITATTRIBUTES_LINE = f"{layout.MANIFEST_GLOB} merge=union"
HEADER = (
    "# 宛先台帳（自動生成・手で編集しないでください）: 事案番号ごとに、暗号文の SHA-256、\n"
    "# 暗号化した宛先の公開鍵指紋、宛先集合のハッシュ。個人情報は含みません。`saiken recipients` で照合します。\n"
)
_LINE = re.compile(
    r"^(?P<id>[A-Z0-9][A-Z0-9-]{2,31}): \{sha256: (?P<sha>[0-9a-f]{64}), "
    r"recipients: \[(?P<fps>[0-9a-f]{16}(?:, [0-9a-f]{16})*)?\], policy: (?P<policy>[0-9a-f]{16})\}$"
)


@dataclass(frozen=True, slots=True)
class Entry:
    sha256: str
    recipients: tuple[str, ...]
    policy: str

    def line(self, case_id: str) -> str:
        return (f"{case_id}: {{sha256: {self.sha256}, recipients: [{', '.join(self.recipients)}], "
                f"policy: {self.policy}}}")


@dataclass
class Manifest:
    """Entries by case id. A union merge can leave two lines for one id: all are kept, and
    `entry_for` picks the one describing the file as it is."""

    entries: dict[str, list[Entry]]
    problems: list[str]  # lines that could not be read, as "line N: ..." (Japanese)

    def entry_for(self, case_id: str, sha256: str | None = None) -> Entry | None:
        found = self.entries.get(case_id) or []
        if sha256 is not None:
            for entry in found:
                if entry.sha256 == sha256:
                    return entry
        return found[-1] if found else None

    def set(self, case_id: str, entry: Entry) -> None:
        self.entries[case_id] = [entry]

    def text(self, keep: Iterable[str] | None = None) -> str:
        ids = sorted(self.entries if keep is None else set(keep) & set(self.entries))
        # Two claims for one id (left by a union merge) are both kept until a write settles it.
        return HEADER + "".join(e.line(i) + "\n" for i in ids for e in dict.fromkeys(self.entries[i]))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(ciphertext: bytes, recipients: list[crypto.RecipientKey]) -> Entry:
    return Entry(sha256(ciphertext), *_recipient_set(tuple(r.text for r in recipients)))


@functools.lru_cache(maxsize=64)
def _recipient_set(keys: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    # One shared tuple and hash per recipient set: 10,000 entries then cost little more than their ids.
    return tuple(sorted(recipient_fingerprint(k) for k in keys)), recipients_hash(list(keys))


def parse(text: str, only: set[str] | None = None) -> Manifest:
    """The manifest's entries (all, or those of the case ids in `only`: a commit's few records
    need not pay for reading 10,000 lines)."""
    entries: dict[str, list[Entry]] = {}
    problems: list[str] = []
    shared_fps: dict[str, tuple[str, ...]] = {}  # equal recipient lists and hashes share one object
    shared_policy: dict[str, str] = {}
    lines = enumerate(text.splitlines(), 1) if only is None else _lines_of(text, only)
    for n, line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(f"{n} 行目を読めません（{line[:40]}）")
            continue
        fps = shared_fps.setdefault(m["fps"] or "", tuple(m["fps"].split(", ")) if m["fps"] else ())
        policy = shared_policy.setdefault(m["policy"], m["policy"])
        entries.setdefault(m["id"], []).append(Entry(m["sha"], fps, policy))
    return Manifest(entries, problems)


def _lines_of(text: str, ids: set[str]) -> list[tuple[int, str]]:
    """(line number, line) of every line for one of `ids`, found by searching the text rather than
    splitting it: each commit of a push reads a manifest of 10,000 lines for a record or two."""
    padded = "\n" + text
    found: list[tuple[int, str]] = []
    for cid in ids:
        needle = f"\n{cid}:"
        pos = padded.find(needle)
        while pos >= 0:
            end = padded.find("\n", pos + 1)
            line = padded[pos + 1:end if end >= 0 else len(padded)].rstrip("\r")
            found.append((padded.count("\n", 0, pos + 1), line))
            pos = padded.find(needle, pos + 1)
    return sorted(found)


def load(root: Path) -> Manifest:
    """Every bucket manifest of the work tree, as one (for `saiken recipients` and `rekey`, which
    look at every record anyway)."""
    merged = Manifest({}, [])
    for path in layout.manifest_files(root):
        part = parse(path.read_text(encoding="utf-8"))
        for case_id, found in part.entries.items():
            merged.entries.setdefault(case_id, []).extend(found)
        rel = path.relative_to(root).as_posix()
        merged.problems.extend(f"{rel}: {p}" for p in part.problems)
    return merged


def load_bucket(root: Path, case_id: str) -> Manifest:
    """The manifest of the bucket that holds `case_id`'s line."""
    try:
        return parse(layout.manifest_path(root, case_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Manifest({}, [])


def save(root: Path, manifest: Manifest, keep: Iterable[str] | None = None) -> None:
    """Write each bucket's manifest with the lines of its case ids (those in `keep`, if given). A
    bucket that has no line left keeps a manifest only if it had one."""
    ids = set(manifest.entries) if keep is None else set(keep) & set(manifest.entries)
    by_bucket: dict[str, list[str]] = {}
    for case_id in ids:
        by_bucket.setdefault(layout.bucket(case_id), []).append(case_id)
    present = {layout.folder_bucket(p.parent) for p in layout.manifest_files(root)}
    for b in sorted(set(by_bucket) | present):
        _save_one(layout.manifest_path(root, of_bucket=b), manifest.text(by_bucket.get(b, ())))


def _save_one(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        if not path.parent.is_dir():
            return  # no records folder, nothing to describe
    atomic_write(path, data)


def record_written(root: Path, case_id: str, ciphertext: bytes, recipients: list[crypto.RecipientKey]) -> None:
    """The hook every record write calls: replace this record's line in its bucket's manifest."""
    manifest = load_bucket(root, case_id)
    manifest.set(case_id, entry(ciphertext, recipients))
    _save_one(layout.manifest_path(root, case_id), manifest.text())
