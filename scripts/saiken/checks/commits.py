"""Every commit of a range, each judged by the rules in force after its parent (saiken.checks.trust).

`saiken check --range`, pre-push, pre-receive and CI all come here. The files a commit added or
changed, its message and its author go through the one runner; the rules come from the trusted
base and the signed changes since (never from the commit itself); the data the checks read besides
(the records' bucket manifests, the records whose names a message must not hold) from the commit's tree.

A range is read with one rev-list, one diff-tree and one cat-file for all its commits. Each
commit's tree is its first parent's plus its own changes – one `git ls-tree` only for a parent
outside the range –, so a file added and removed again inside one push is still seen in the commit
that added it, and 100 commits of a repository of 10,000 records are not 100 listings of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from saiken.checks import FileInput
from saiken.checks.context import Context, is_record_path, is_rule_file
from saiken.checks.git_texts import GitText, commit_texts
from saiken.checks.runner import Report, run
from saiken.checks.sources import lazy_files, with_modes
from saiken.checks.trust import Rules, RuleWalk
from saiken.core import crypto
from saiken.errors import SaikenError
from saiken.git import gitio


@dataclass
class CommitReport:
    """The findings of one commit (or of the push itself: commit None)."""

    commit: str | None
    report: Report

    def lines(self, redact: bool = False) -> list[str]:
        label = f"コミット {self.commit[:10]}: " if self.commit else ""
        return [label + f.render(redact) for f in self.report.findings]


_LOADED: dict[str, list[crypto.LoadedIdentity]] = {}


def identities() -> list[crypto.LoadedIdentity]:
    """The runner's identities when it has any; checks without them still look at what they can.
    Loaded once per process (a push judges commits, names and notes: one passphrase prompt)."""
    if not os.environ.get(crypto.ENV_IDENTITY) and not crypto.default_identity_path().exists():
        return []
    where = os.environ.get(crypto.ENV_IDENTITY, "")
    if where not in _LOADED:
        _LOADED[where] = crypto.load_identities()
    return _LOADED[where]


class Trees:
    """path → blob id of each commit's tree: its first parent's tree plus its changes. A tree is
    let go once every child of its commit in the range has been seen."""

    def __init__(self, cwd: Path, commits: list[list[str]], changes: dict[str, list[tuple[str, str, str]]]) -> None:
        self.cwd, self.changes = cwd, changes
        self.parents = {c[0]: c[1:] for c in commits}
        self.waiting = {c[0]: 0 for c in commits}  # children in the range not yet seen
        for c in commits:
            for p in c[1:]:
                if p in self.waiting:
                    self.waiting[p] += 1
        self._trees: dict[str, dict[str, str]] = {}

    def of(self, commit: str) -> dict[str, str]:
        tree = self._trees.get(commit)
        if tree is None:
            if commit not in self.parents:
                tree = gitio.tree_entries(self.cwd, commit)
            else:
                parents = self.parents[commit]
                tree = dict(self.of(parents[0])) if parents else {}
                for status, path, oid in self.changes.get(commit, []):
                    if status == "D":
                        tree.pop(path, None)
                    else:
                        tree[path] = oid
            self._trees[commit] = tree
        return tree

    def seen(self, commit: str) -> None:
        for p in self.parents.get(commit, []):
            if p in self.waiting:
                self.waiting[p] -= 1
                if self.waiting[p] == 0:
                    self._trees.pop(p, None)

    def outside_parents(self) -> list[str]:
        return list(dict.fromkeys(p for ps in self.parents.values() for p in ps if p not in self.parents))


def check_commits(cwd: Path, rev_args: list[str], *, base: str | None = None, cache_dir: Path | None = None,
                  seen: set[str] | None = None, after: dict[str, Rules] | None = None) -> list[CommitReport]:
    """Check every commit `git rev-list rev_args` names, oldest first, from the trusted `base`
    (None: the range's own beginning – its root commit, or the parent of its first commit – as on
    a first push). `after` (the rules in force after each commit) may be shared by the ranges of
    one push; commits in `seen` were checked already and are left out."""
    commits = gitio.rev_list(cwd, rev_args)
    if not commits:
        return []
    specials: dict[str, dict[str, tuple[str, str]]] = {}  # symbolic links and submodules, refused
    changes = gitio.tree_changes(cwd, commits, specials)
    base_rules = Rules.load_base(cwd, base or _beginning(commits))
    walk = RuleWalk(cwd, base_rules, after)
    walk.prepare(changes)
    todo = {c[0] for c in commits if seen is None or c[0] not in seen}
    if seen is not None:
        seen.update(todo)
    changed = {c: {p: oid for status, p, oid in items if status != "D"} for c, items in changes.items()}
    objects = _Objects(cwd, [c[0] for c in commits if c[0] in todo], changed)
    trees = Trees(cwd, commits, changes)
    ids = identities()
    sources = _record_sources(cwd, trees, changed) if ids else []
    shared: dict[str, object] = {}
    out = []
    for c in commits:
        verdict = walk.judge(c[0], c[1:], changes[c[0]], trees.of)
        if c[0] in todo:
            author, message, files, headers = objects.of(c[0])
            if c[0] in specials:
                added = specials[c[0]]
                files = with_modes(files, added, sorted({*(f.path for f in files), *added}))
            ctx = Context(verdict.rules.policy, _reader(cwd, verdict.rules, trees.of(c[0])), ids,
                          commit_message=message, message_committed=True, author=author,
                          record_sources=sources, rule_findings=verdict.findings, shared=shared, texts=headers)
            out.append(CommitReport(c[0], run(files, ctx, cache_dir=cache_dir)))
        trees.seen(c[0])
    return out


class _Objects:
    """The commit objects and changed files of the commits to check, read a few commits at a time
    (one `git cat-file` each): files rewritten in many commits (a rekey rewrites every record and
    bucket manifest) are not held 100 times at once."""

    STEP = 16

    def __init__(self, cwd: Path, commits: list[str], changed: dict[str, dict[str, str]]) -> None:
        self.cwd, self.commits, self.changed = cwd, commits, changed
        self.data: dict[str, bytes | None] = {}
        self.next = 0

    def of(self, commit: str) -> tuple[str, str, list[FileInput], list[GitText]]:
        """(author, message, files it added or changed, its header texts) of one commit."""
        if commit not in self.data:
            self.data.clear()
            chunk = self.commits[self.commits.index(commit):][: self.STEP]
            wanted = chunk + sorted({oid for c in chunk for oid in self.changed[c].values()})
            self.data.update(gitio.cat_blobs(self.cwd, wanted))
        raw = self.data.get(commit)
        if raw is None:
            raise SaikenError(f"コミット {commit} を読めません。", hint="git fsck で確認してください。")
        author, message = gitio.parse_commit(raw)
        files = [FileInput(p, self.data[oid] or b"", oid) for p, oid in sorted(self.changed[commit].items())
                 if self.data.get(oid) is not None]
        return author, message, files, commit_texts(commit, raw)


def _beginning(commits: list[list[str]]) -> str:
    """With no base given: the first commit itself when it is a root, else its first parent."""
    first = commits[0]
    return first[1] if len(first) > 1 else first[0]


def _reader(cwd: Path, rules: Rules, tree: dict[str, str]):  # type: ignore[no-untyped-def]
    """Files by path: the rules from the trusted rules, anything else from the commit's tree."""
    def read(rel: str) -> bytes | None:
        if is_rule_file(rel):
            return rules.read(rel)
        oid = tree.get(rel)
        return None if oid is None else dict(gitio.cat_blobs(cwd, [oid])).get(oid)
    return read


def _record_sources(cwd: Path, trees: Trees, changed: dict[str, dict[str, str]]) -> list[FileInput]:
    """Every record a commit message of the range must not name a party of: those of the trees the
    range starts from and every record the range adds or changes (read only if a check asks)."""
    before: dict[tuple[str, str], None] = {}
    for parent in trees.outside_parents():
        before.update(((p, oid), None) for p, oid in trees.of(parent).items() if is_record_path(p))
    new: dict[tuple[str, str], None] = {}
    for paths in changed.values():
        new.update(((p, oid), None) for p, oid in paths.items() if is_record_path(p) and (p, oid) not in before)
    # two batches: opening the range's few new records must not read the 10,000 it started from
    return lazy_files(cwd, list(before)) + lazy_files(cwd, list(new))
