"""Git history as the handover record needs it: each commit's state, its handover, and the blobs.

Every commit gets a `Node`, its state as followed along first parents: the handlers file blob, how
many records its tree holds, and the handlers file of the nearest handover on its first-parent
line. A node depends only on the commit and its ancestry, never on the order git lists commits in,
so nodes (and the rows made from them) can be kept in the row cache (handover_cache.py) by commit
id. A commit that adds, changes or removes records, and is not a merge, is a handover: a `Step`.

Records are read in both layouts (saiken.core.layout): the flat one of older history
(`records/<id>.yaml.age`, one `records/manifest.yaml`) and the bucket folders
(`records/<xx>/<y>/<id>.yaml.age`, `records/<xx>/<y>/manifest.yaml`). A record moved from one to the other
unchanged (`saiken records migrate`) is no handover. Each step names, for each manifest its
records' lines live in, the version before and after the commit – the blob ids of the commit's own
diff, or `<commit>:<path>` when the commit left that manifest as it was – so a commit costs the
manifests of the buckets it touched, never a manifest of every record.

The history is read in one `git log --raw` (or, with a cache, one `git log` without diffs plus
one `--raw` for the new commits only) while one `git cat-file --batch` already unpacks the blobs
the rows need: each record's new version, the handlers files, and the lines of the changed
records in the manifests around the commit (see `Fetch`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from saiken.core import layout, policy
from saiken.git import gitio, gitstream
from saiken.ledger.handovers.recipients import (
    ManifestEntry,
    Recipients,
    Sealed,
    manifest_lines,
    sealed,
)

NEW, UPDATE, DELETE, REKEY = "新規", "更新", "削除", "再暗号化"
_STATUS_KIND = {"A": NEW, "M": UPDATE, "T": UPDATE, "D": DELETE}


def case_id_of(path: str) -> str | None:
    """A record path in either layout -> case id; anything else (manifests, other files) -> None."""
    return layout.any_case_id(path)


# --- state per commit -----------------------------------------------------------------------------

class Node(NamedTuple):
    handlers: str | None  # policies/handlers.yaml blob as of the commit (None: no such file)
    present: int          # records in the commit's tree
    last_row: str | None  # handlers blob ("" for none) at the nearest handover on the first-parent
                          # line up to this commit; None when there is no handover before it


ROOT = Node(None, 0, None)
Change = tuple[str, str, str, str]      # (case id, 新規/更新/削除, new blob id, the manifest of its line)
Computed = tuple[str, dict[str, Recipients]]  # (kind of the row, recipients by case id)
# A manifest version as cat-file is asked for it: a blob id, `<commit>:<path>`, or None (no file)
Version = str | None


@dataclass(slots=True)
class Step:
    """One handover: what changed, the state around it, and – once read – its kind and recipients."""

    node: Node
    changes: list[Change]
    manifests: dict[str, tuple[Version, Version]]  # manifest path -> (version before, after)
    prev_row: str | None          # the first parent's Node.last_row
    computed: Computed | None = None
    only_updates: bool = field(init=False)

    def __post_init__(self) -> None:
        self.only_updates = all(kind == UPDATE for _, kind, _, _ in self.changes)


def _blob(oid: str) -> str | None:
    return None if oid == gitio.ZERO_OID else oid


def follow(commit: gitstream.LogCommit, base: Node) -> tuple[Node, Step | None]:
    """The node of `commit` from its first parent's and its own changes, and its handover if any."""
    handlers, present = base.handlers, base.present
    manifests: dict[str, tuple[Version, Version]] = {}
    by_case: dict[str, list[gitstream.FileChange]] = {}
    for ch in commit.changes:
        if ch.path == policy.HANDLERS_FILE:
            handlers = _blob(ch.new)
        elif layout.is_any_manifest(ch.path):
            manifests[ch.path] = (_blob(ch.old), _blob(ch.new))
        elif (cid := case_id_of(ch.path)) is not None:
            by_case.setdefault(cid, []).append(ch)
    changes: list[Change] = []
    for cid in sorted(by_case):  # by case id, whatever folders the records are in
        got = _change(by_case[cid])
        if got is None:
            continue  # moved unchanged (another layout, another folder): nothing handed over
        kind, new, path = got
        present += (kind == NEW) - (kind == DELETE)
        changes.append((cid, kind, new, layout.manifest_for(path)))
    if not changes or len(commit.parents) > 1:  # merges are not rows: the commits they bring in are
        return Node(handlers, present, base.last_row), None
    around = {}
    for _, _, _, path in changes:
        if path not in around:
            same = f"{commit.oid}:{path}"  # left as it was by the commit: before = after
            around[path] = manifests.get(path, (same, same))
    node = Node(handlers, present, handlers or "")
    return node, Step(node, changes, around, base.last_row)


def _change(chs: list[gitstream.FileChange]) -> tuple[str, str, str] | None:
    """(kind, new blob, path) of one case's file changes in a commit, None for a pure move. One
    change is what it says; a removal at one path and an addition at another is a move – no change
    when the bytes are the same, else an update."""
    if len(chs) == 1:
        ch = chs[0]
        return _STATUS_KIND.get(ch.status, UPDATE), ch.new, ch.path
    gone = [c for c in chs if c.status == "D"]
    kept = [c for c in chs if c.status != "D"]
    if not kept:
        return DELETE, gitio.ZERO_OID, gone[-1].path
    if not gone:
        return _STATUS_KIND.get(kept[-1].status, UPDATE), kept[-1].new, kept[-1].path
    if {c.old for c in gone} == {c.new for c in kept}:
        return None
    return UPDATE, kept[-1].new, kept[-1].path


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
        step = known[c.oid][1]
        if step is not None and inside(c.committed.date()):
            fetch.want(step)
            rows.append((c, step))
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

    A manifest version is asked for the lines of the cases the commit changed (in a bucket
    manifest: a 4,096th of the records, about 24 lines at 100,000); `manifest_lines` finds them
    by id without reading the other lines."""

    def __init__(self, root: Path) -> None:
        self.blobs = Blobs()
        self._batch = gitstream.Batch(root, self._keep)
        self._asked: set[tuple[str, str]] = set()
        self._lines_asked: set[tuple[str, frozenset[str]]] = set()

    def want(self, step: Step) -> None:
        self._ask("handlers", step.node.handlers)
        if step.computed is not None:
            return
        self._ask("handlers", step.prev_row or None)
        for _, kind, new, _ in step.changes:
            if kind != DELETE:
                self._ask("record", new)
        for path, (before, now) in step.manifests.items():
            cases = frozenset(cid for cid, _, _, p in step.changes if p == path)
            self._lines(now, cases)
            if step.only_updates:  # only then does the manifest before tell anything (a new policy)
                self._lines(before, cases)

    def _ask(self, kind: str, oid: str | None) -> None:
        if oid and (kind, oid) not in self._asked:
            self._asked.add((kind, oid))
            self._batch.request(oid, (kind, oid, None))

    def _lines(self, version: Version, cases: frozenset[str]) -> None:
        if version and (version, cases) not in self._lines_asked:
            self._lines_asked.add((version, cases))
            self._batch.request(version, ("manifest", version, cases))

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
        self._batch.__exit__(kind, exc, tb)
