"""The row cache of the handover record (確認書): <git dir>/saiken/handovers-cache.

Kept per commit id: its state (handover_history.Node: handlers file and manifest blob ids, how many
records its tree holds) and, for a handover, its changes (case ids, kinds, record blob ids) and,
once read, the row's kind and recipients (stanza types, ssh key tags, handler ids, counts). Nothing
else: no name, no e-mail address, no date (those come from `git log` on every run) and nothing
from inside a record. A commit id stands for everything such a row depends on in the repository
(its tree and all its ancestors); the header names the cache format and saiken's version, so a
new saiken starts afresh. A file that is missing, unreadable or out of shape is ignored and
written anew – the cache only saves time. Mode 0600, replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saiken import __version__, gitio
from saiken.handover_history import Known, Node, Step
from saiken.handover_recipients import Recipients

FOLDER = "saiken"
NAME = "handovers-cache"
# Bump the number whenever what a cached row holds, or how a row is computed, changes.
FORMAT = f"saiken-handovers-cache/1 saiken/{__version__}"


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
        data = json.loads(path.read_bytes())
        known = _decode(data) if data.get("format") == FORMAT else {}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        known = {}
    store = Store(known, path)
    store._loaded = store.counts()
    return store


def save(root: Path, store: Store, seen: set[str]) -> None:
    """Write the cache if this run added to it. Commits no longer reachable from what was read
    (a rewritten history) are dropped once they outnumber those that are."""
    if store.path is None or store.counts() == store._loaded:
        return
    known = store.known
    if len(known) - len(seen) > len(seen):
        known = {oid: v for oid, v in known.items() if oid in seen}
    data = json.dumps(_encode(known), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        store.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.path.parent, prefix=".handovers-")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, store.path)
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- the file's shape: {"format", "blobs": [handlers blob ids], "recipients": [...], "commits": [...]}
# commit: [id, handlers, manifest, present, last_row, step or null]; handlers blob ids (and "")
# as indexes into "blobs"; step: [[[case id, kind, blob], ...], manifest before, prev_row, computed]
# computed: [kind, [[case id, index into "recipients"], ...]] or null.

class _Table:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[Any, int] = {}

    def __call__(self, item: Any) -> int | None:
        if item is None:
            return None
        if item not in self.index:
            self.index[item] = len(self.items)
            self.items.append(item)
        return self.index[item]


def _encode(known: Known) -> dict[str, Any]:
    blobs, recips = _Table(), _Table()
    out = []
    for oid, (node, step) in known.items():
        row = None
        if step is not None:
            computed = None
            if step.computed is not None:
                kind, by_case = step.computed
                computed = [kind, [[cid, recips(r)] for cid, r in by_case.items()]]
            row = [[list(ch) for ch in step.changes], step.manifest_before, blobs(step.prev_row), computed]
        out.append([oid, blobs(node.handlers), node.manifest, node.present, blobs(node.last_row), row])
    return {"format": FORMAT, "blobs": blobs.items,
            "recipients": [[list(r.stanzas), list(r.handler_ids), r.manifest_count, r.manifest_matches, r.error]
                           for r in recips.items],
            "commits": out}


def _decode(data: dict[str, Any]) -> Known:
    blobs = [_text(b) for b in data["blobs"]]
    recips = [Recipients(tuple(map(_text, s)), tuple(map(_text, h)), _opt(n, int), _opt(m, bool), _opt(e, str))
              for s, h, n, m, e in data["recipients"]]

    def blob(index: int | None) -> str | None:
        return None if index is None else blobs[_index(index)]

    known: Known = {}
    for oid, handlers, manifest, present, last_row, row in data["commits"]:
        node = Node(blob(handlers), _opt(manifest, str), int(present), blob(last_row))
        step = None
        if row is not None:
            changes, before, prev_row, computed = row
            step = Step(node, [(_text(c), _text(k), _text(b)) for c, k, b in changes], _opt(before, str),
                        blob(prev_row))
            if computed is not None:
                step.computed = (_text(computed[0]), {_text(c): recips[_index(i)] for c, i in computed[1]})
        known[_text(oid)] = (node, step)
    return known


def _index(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise TypeError(value)
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _opt(value: Any, kind: type) -> Any:
    if value is not None and type(value) is not kind:
        raise TypeError(value)
    return value
