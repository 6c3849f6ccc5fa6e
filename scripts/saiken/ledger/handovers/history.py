"""Git history as the handover record needs it: each commit's state, its handover, and the blobs.

Every commit gets a `Node`, its state as followed along first parents: the handlers file and
records/manifest.yaml blobs, how many records its tree holds, and the handlers file of the
nearest handover on its first-parent line. A node depends only on the commit and its ancestry,
never on the order git lists commits in, so nodes (and the rows made from them) can be kept in
the row cache (handover_cache.py) by commit id. A commit that adds, changes or removes records,
and is not a merge, is a handover: a `Step`.

The history is read in one `git log --raw` (or, with a cache, one `git log` without diffs plus
one `--raw` for the new commits only) while one `git cat-file --batch` already unpacks the blobs
the rows need: each record's new version, the handlers files, and the manifest around the
commit, of which only the changed records' lines are kept (see `Fetch`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from saiken.core import policy
from saiken.git import gitio, gitstream
from saiken.ledger.handovers.recipients import (
    ManifestEntry,
    Recipients,
    Sealed,
    manifest_lines,
    sealed,
)

RECORDS_PREFIX = "records/"
RECORD_SUFFIX = ".yaml.age"
MANIFEST = "records/manifest.yaml"

NEW, UPDATE, DELETE, REKEY = "新規", "更新", "削除", "再暗号化"
_STATUS_KIND = {"A": NEW, "M": UPDATE, "T": UPDATE, "D": DELETE}


def case_id_of(path: str) -> str | None:
    """`records/<case-id>.yaml.age` -> case id; anything else (manifest, sub-folders) -> None."""
    if not path.startswith(RECORDS_PREFIX) or not path.endswith(RECORD_SUFFIX):
        return None
    name = path[len(RECORDS_PREFIX):-len(RECORD_SUFFIX)]
    return name if name and "/" not in name else None


# --- state per commit -----------------------------------------------------------------------------

class Node(NamedTuple):
    handlers: str | None  # policies/handlers.yaml blob as of the commit (None: no such file)
    manifest: str | None  # records/manifest.yaml blob
    present: int          # records in the commit's tree
    last_row: str | None  # handlers blob ("" for none) at the nearest handover on the first-parent
                          # line up to this commit; None when there is no handover before it


ROOT = Node(None, None, 0, None)
Change = tuple[str, str, str]           # (case id, 新規/更新/削除, new blob id)
Computed = tuple[str, dict[str, Recipients]]  # (kind of the row, recipients by case id)


@dataclass(slots=True)
class Step:
    """One handover: what changed, the state around it, and – once read – its kind and recipients."""

    node: Node
    changes: list[Change]
    manifest_before: str | None   # the first parent's manifest blob
    prev_row: str | None          # the first parent's Node.last_row
    computed: Computed | None = None
    only_updates: bool = field(init=False)

    def __post_init__(self) -> None:
        self.only_updates = all(kind == UPDATE for _, kind, _ in self.changes)


def follow(commit: gitstream.LogCommit, base: Node) -> tuple[Node, Step | None]:
    """The node of `commit` from its first parent's and its own changes, and its handover if any."""
    handlers, manifest, present = base.handlers, base.manifest, base.present
    changes: list[Change] = []
    for ch in commit.changes:
        if ch.path == policy.HANDLERS_FILE:
            handlers = None if ch.new == gitio.ZERO_OID else ch.new
        elif ch.path == MANIFEST:
            manifest = None if ch.new == gitio.ZERO_OID else ch.new
        elif (cid := case_id_of(ch.path)) is not None:
            kind = _STATUS_KIND.get(ch.status, UPDATE)
            present += (kind == NEW) - (kind == DELETE)
            changes.append((cid, kind, ch.new))
    if not changes or len(commit.parents) > 1:  # merges are not rows: the commits they bring in are
        return Node(handlers, manifest, present, base.last_row), None
    node = Node(handlers, manifest, present, handlers or "")
    return node, Step(node, changes, base.manifest, base.last_row)


Known = dict[str, tuple[Node, Step | None]]


def commits(root: Path, revs: tuple[str, ...], known: Known, seen: set[str]) -> Iterator[gitstream.LogCommit]:
    """Every commit reachable from `revs`, oldest first, each added to `seen`; file changes only
    for commits not `known`.

    Nothing known: one `git log --raw`. Otherwise one `git log` without diffs (cheap: no tree is
    compared) and one `git log --raw --no-walk` for the commits the cache has not seen."""
    for c in _commits(root, revs, known):
        seen.add(c.oid)
        yield c


def _commits(root: Path, revs: tuple[str, ...], known: Known) -> Iterator[gitstream.LogCommit]:
    extra = ["--diff-merges=first-parent"]
    if not known:
        # The whole history, not path-limited: git then diffs each commit once instead of twice
        # (path limiting diffs for simplification, then again for --raw), about half the time.
        yield from gitstream.iter_log(root, revs, extra=extra)
        return
    listed = list(gitstream.iter_log(root, revs, raw=False))
    new = [c.oid for c in listed if c.oid not in known]
    if len(new) > len(listed) // 2:  # mostly new (a rewritten history): one log of it all is cheaper
        yield from gitstream.iter_log(root, revs, extra=extra)
        return
    diffed = {c.oid: c for c in gitstream.iter_log(root, extra=extra, commits=new)}
    yield from (diffed.get(c.oid, c) for c in listed)


def walk(history: Iterable[gitstream.LogCommit], known: Known, inside: Callable[[dt.date], bool],
         fetch: "Fetch") -> list[tuple[gitstream.LogCommit, Step]]:
    """The handovers dated inside the period, oldest first; `known` gains every new commit's node.
    Each handover's blobs are asked of `fetch` as soon as the commit is read."""
    rows = []
    for c in history:
        if c.oid not in known:
            base = known.get(c.parents[0], (ROOT, None))[0] if c.parents else ROOT
            known[c.oid] = follow(c, base)
        node, step = known[c.oid]
        if step is not None and inside(c.committed.date()):
            fetch.want(step)
            rows.append((c, step))
        fetch.passed(node.manifest)
    return rows


# --- the blobs --------------------------------------------------------------------------------------

@dataclass
class Blobs:
    handlers: dict[str | None, bytes | None] = field(default_factory=lambda: {None: None})
    records: dict[str, Sealed] = field(default_factory=dict)
    manifests: dict[str, dict[str, list[ManifestEntry]]] = field(default_factory=dict)

    def lines(self, manifest: str | None) -> dict[str, list[ManifestEntry]]:
        return self.manifests.get(manifest, {}) if manifest else {}


class Fetch:
    """The blobs the handovers need, asked of one `git cat-file --batch` while history is read.

    A manifest version is read once, keeping the lines of the cases changed by the commit that
    wrote it and by the commits that follow it (whose "before" it is). So it is held back while
    it is still the current commit's manifest; any other is asked for as soon as a commit passes
    it. Only when a commit needs the lines of a version sent already (a branch point) is that
    version read again."""

    def __init__(self, root: Path) -> None:
        self.blobs = Blobs()
        self._batch = gitstream.Batch(root, self._keep)
        self._asked: set[tuple[str, str]] = set()
        self._pending: dict[str, set[str]] = {}
        self._sent: set[str] = set()

    def want(self, step: Step) -> None:
        self._ask("handlers", step.node.handlers)
        if step.computed is not None:
            return
        self._ask("handlers", step.prev_row or None)
        for _, kind, new in step.changes:
            if kind != DELETE:
                self._ask("record", new)
        cases = {cid for cid, _, _ in step.changes}
        self._lines(step.node.manifest, cases)
        if step.only_updates:  # only then does the manifest before tell anything (a new policy)
            self._lines(step.manifest_before, cases)

    def passed(self, current: str | None) -> None:
        for oid in [m for m in self._pending if m != current]:
            self._send(oid)

    def _ask(self, kind: str, oid: str | None) -> None:
        if oid and (kind, oid) not in self._asked:
            self._asked.add((kind, oid))
            self._batch.request(oid, (kind, oid, None))

    def _lines(self, manifest: str | None, cases: set[str]) -> None:
        if not manifest:
            return
        if manifest in self._sent:
            self._batch.request(manifest, ("manifest", manifest, frozenset(cases)))
        else:
            self._pending.setdefault(manifest, set()).update(cases)

    def _send(self, oid: str) -> None:
        self._sent.add(oid)
        self._batch.request(oid, ("manifest", oid, frozenset(self._pending.pop(oid))))

    def _keep(self, tag: tuple[str, str, frozenset[str] | None], blob: bytes | None) -> None:
        """In the reader thread: keep only what the rows use of each blob."""
        kind, oid, cases = tag
        if kind == "handlers":
            self.blobs.handlers[oid] = blob
        elif blob is None:
            return
        elif kind == "record":
            self.blobs.records[oid] = sealed(blob)
        else:
            self.blobs.manifests.setdefault(oid, {}).update(manifest_lines(blob, cases or ()))

    def __enter__(self) -> "Fetch":
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if exc is None:
            self.passed(None)
        self._batch.__exit__(kind, exc, tb)
