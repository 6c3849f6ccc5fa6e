"""The row cache of the handover record (確認書): <git dir>/saiken/handovers-cache.

Kept per commit id: its state (handover_history.Node: handlers file blob id, how many records its
tree holds) and, for a handover, its changes (case ids, kinds, record blob ids, the manifest of each
line) and the manifest versions around it, and,
once read, the row's kind and recipients (stanza types, ssh key tags, handler ids, counts). Nothing
else: no name, no e-mail address, no date (those come from `git log` on every run) and nothing
from inside a record. A commit id stands for everything such a row depends on in the repository
(its tree and all its ancestors). The first line names the cache format and saiken's version (a
new saiken starts afresh) and the SHA-256 of the rest: a file that is missing, cut short, damaged
or of another format is ignored and written anew – the cache only saves time. Mode 0600, replaced
atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saiken import __version__
from saiken.git import gitio
from saiken.ledger.handovers.history import Known, Node, Step
from saiken.ledger.handovers.recipients import Recipients

FOLDER = "saiken"
NAME = "handovers-cache"
# Bump the number whenever what a cached row holds, or how a row is computed, changes.
FORMAT = f"saiken-handovers-cache/2 saiken/{__version__}"  # 2: both record layouts, per-bucket manifests


@dataclass
class Store:
    known: Known = field(default_factory=dict)
    path: Path | None = None
    _loaded: tuple[int, int] = (0, 0)  # (commits, computed rows) when loaded: unchanged, not written

    @classmethod
    def empty(cls) -> "Store":
        return cls()

    def counts(self) -> tuple[int, int]:
        return len(self.known), sum(1 for _, s in self.known.values() if s is not None and s.computed)


def cache_path(root: Path) -> Path:
    common = gitio.text(["rev-parse", "--git-common-dir"], root).strip()  # shared by worktrees
    return (root / common).resolve() / FOLDER / NAME


def load(root: Path) -> Store:
    path = cache_path(root)
    try:
        known = _decode(_payload(path.read_bytes()))
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        known = {}
    store = Store(known, path)
    store._loaded = store.counts()
    return store


def _payload(raw: bytes) -> Any:
    """The cache's content, if its header names this format and its checksum holds (so a cut or
    damaged file is never half read)."""
    head, _, body = raw.partition(b"\n")
    header = json.loads(head)
    if header.get("format") != FORMAT or header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise ValueError("not this cache")
    return json.loads(body)


def save(root: Path, store: Store, seen: set[str]) -> None:
    """Write the cache if this run added to it. Commits no longer reachable from what was read
    (a rewritten history) are dropped once they outnumber those that are."""
    if store.path is None or store.counts() == store._loaded:
        return
    known = store.known
    if len(known) - len(seen) > len(seen):
        known = {oid: v for oid, v in known.items() if oid in seen}
    body = json.dumps(_encode(known), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head = json.dumps({"format": FORMAT, "sha256": hashlib.sha256(body).hexdigest()}).encode("ascii")
    try:
        store.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.path.parent, prefix=".handovers-")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(head + b"\n" + body)
        os.replace(tmp, store.path)
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- the content: {"blobs": [handlers blob ids], "recipients": [...], "commits": [...]}
# commit: [id, handlers, present, last_row, step or null], handlers blob ids (and "") as indexes
# into "blobs"; step: [[[case id, kind, blob, manifest path], ...], [[manifest path, version before,
# version after], ...], prev_row, computed];
# computed: [kind, [[case id, index into "recipients"], ...]] or null. The checksum in the header
# vouches for the shape, so reading it back checks no field (a damaged file never gets this far).

def _encode(known: Known) -> dict[str, Any]:
    blobs: dict[str | None, int | None] = {None: None}
    recips: dict[Recipients, int] = {}
    seen: dict[int, int] = {}  # id() -> index: rows share Recipients objects, hashing one is dearer

    def recip(r: Recipients) -> int:
        if id(r) not in seen:
            seen[id(r)] = recips.setdefault(r, len(recips))
        return seen[id(r)]

    out = []
    for oid, (node, step) in known.items():
        row = None
        if step is not None:
            computed = None
            if step.computed is not None:
                kind, by_case = step.computed
                computed = [kind, [[cid, recip(r)] for cid, r in by_case.items()]]
            row = [step.changes, [[p, b, a] for p, (b, a) in step.manifests.items()],
                   blobs.setdefault(step.prev_row, len(blobs) - 1), computed]
        out.append([oid, blobs.setdefault(node.handlers, len(blobs) - 1), node.present,
                    blobs.setdefault(node.last_row, len(blobs) - 1), row])
    return {"blobs": [b for b in blobs if b is not None],
            "recipients": [[r.stanzas, r.handler_ids, r.manifest_count, r.manifest_matches, r.error] for r in recips],
            "commits": out}


def _decode(data: dict[str, Any]) -> Known:
    blobs: list[str | None] = data["blobs"]
    recips = [Recipients(tuple(s), tuple(h), n, m, e) for s, h, n, m, e in data["recipients"]]
    known: Known = {}
    for oid, handlers, present, last_row, row in data["commits"]:
        node = Node(None if handlers is None else blobs[handlers], present,
                    None if last_row is None else blobs[last_row])
        step = None
        if row is not None:
            changes, manifests, prev_row, computed = row
            step = Step(node, [tuple(c) for c in changes], {p: (b, a) for p, b, a in manifests},
                        None if prev_row is None else blobs[prev_row])
            if computed is not None:
                step.computed = (computed[0], {c: recips[i] for c, i in computed[1]})
        known[oid] = (node, step)
    return known
