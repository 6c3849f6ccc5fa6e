"""The handover record (個人情報データの受渡し確認書) read from git history.

Every commit that adds, changes or removes `records/<case-id>.yaml.age` is a handover: the author
hands the records of that commit to their recipients. One row per such commit says
  when     the committer date, in the committer's own time zone;
  from     the author (git name and e-mail) and, when the e-mail belongs to a handler in
           policies/handlers.yaml *as of that commit*, the handler id and organisation (甲/乙);
  to       the recipients of each record at that commit, as far as they can be known without a
           key: the age header's stanzas (count, types, ssh key tags – ssh tags are matched to
           handlers' ssh-ed25519 keys), and the record's line in records/manifest.yaml as of
           that commit (recipient fingerprints, mapped to handler ids through the handlers file
           of that commit – used only when the line's sha256 is this very ciphertext's).
           Anonymous X25519 stanzas cannot be attributed otherwise (age hides them);
  what     case ids from the file names only – never anything from inside a record;
  kind     新規 (added), 更新 (changed), 削除 (removed), or 再暗号化 (re-encrypted), see `kind_of`;
  receipt  the other party's acknowledgement in ledger/receipts.yaml (`saiken ledger receive`).

History is read with one `git log --raw` over all commits and one streaming `git cat-file
--batch` for the blobs – never one process per commit. Merge commits are not rows: the commits
they bring in are.

What can be seen of the recipients is in handover_recipients.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from saiken import gitio, policy
from saiken.errors import SaikenError
from saiken.handover_recipients import (HandlerView, ManifestEntry, Recipients, Sealed, handler_view,
                                        manifest_lines, recipients_of, sealed)

RECORDS_PREFIX = "records/"
RECORD_SUFFIX = ".yaml.age"
MANIFEST = "records/manifest.yaml"
RECEIPTS_FILE = "ledger/receipts.yaml"

NEW, UPDATE, DELETE, REKEY = "新規", "更新", "削除", "再暗号化"
_STATUS_KIND = {"A": NEW, "M": UPDATE, "T": UPDATE, "D": DELETE}
# A commit changing at least this many records after the handler set changed is a re-encryption
# even when other records exist (a rekey may be split over several commits).
REKEY_MIN_RECORDS = 2


# --- the handover rows ------------------------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    commit: str
    receiver: str
    date: dt.date
    method: str
    signed: bool | None = None


@dataclass
class Handover:
    commit: str
    when: dt.datetime
    author_name: str
    author_email: str
    author_handler: str | None
    author_org: str | None
    changes: list[tuple[str, str]]            # (case id, 新規/更新/削除), in path order
    kind: str
    recipients: dict[str, Recipients]         # case id -> recipients, for added/changed records
    handlers: HandlerView
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def case_ids(self) -> list[str]:
        return [c for c, _ in self.changes]

    @property
    def received(self) -> bool:
        return bool(self.receipts)


def case_id_of(path: str) -> str | None:
    """`records/<case-id>.yaml.age` -> case id; anything else (manifest, sub-folders) -> None."""
    if not path.startswith(RECORDS_PREFIX) or not path.endswith(RECORD_SUFFIX):
        return None
    name = path[len(RECORDS_PREFIX):-len(RECORD_SUFFIX)]
    return name if name and "/" not in name else None


def kind_of(changes: list[tuple[str, str]], *, handlers_changed: bool, policy_changed: bool,
            records_present: int) -> str:
    """What happened in one commit.

    再暗号化 when the commit only changes existing records (none added or removed) and either
      (a) for every changed record, the commit replaces its records/manifest.yaml line and the
          new line's policy (recipient-set hash) differs from the old line's, or
      (b) the set of active handlers' public keys at this commit differs from the set at the
          previous handover row, and the commit changes at least REKEY_MIN_RECORDS records or
          every record present.
    Otherwise 新規 / 更新 / 削除, joined with 「・」 when a commit mixes them (新規・削除 is a rename).
    """
    kinds = [k for k in (NEW, UPDATE, DELETE) if any(kind == k for _, kind in changes)]
    if kinds == [UPDATE]:
        many = len(changes) >= REKEY_MIN_RECORDS or len(changes) >= records_present
        if policy_changed or (handlers_changed and many):
            return REKEY
    return "・".join(kinds)


def _changes_of(commit: gitio.LogCommit) -> list[tuple[str, str, str]]:
    out = []
    for ch in commit.changes:
        cid = case_id_of(ch.path)
        if cid is not None:
            out.append((cid, _STATUS_KIND.get(ch.status, UPDATE), ch.new))
    return out


State = tuple[str | None, str | None]  # (handlers file blob, manifest blob) as of a commit


def _follow(state: State, commit: gitio.LogCommit) -> State:
    """The state after `commit`, from its first parent's and its own changes."""
    handlers, manifest = state
    for ch in commit.changes:
        if ch.path == policy.HANDLERS_FILE:
            handlers = None if ch.new == gitio.ZERO_OID else ch.new
        elif ch.path == MANIFEST:
            manifest = None if ch.new == gitio.ZERO_OID else ch.new
    return handlers, manifest


def _policy_changed(changes: list[tuple[str, str, str]], now: dict[str, list[ManifestEntry]],
                    before: dict[str, list[ManifestEntry]]) -> bool:
    """Every changed record's manifest line names a policy different from its line before."""
    def policies(entries: dict[str, list[ManifestEntry]], cid: str) -> set[str]:
        return {e.policy for e in entries.get(cid, []) if e.policy}

    return bool(changes) and all(
        policies(now, cid) and policies(before, cid) and not policies(now, cid) & policies(before, cid)
        for cid, _, _ in changes)


@dataclass
class _Step:
    commit: gitio.LogCommit
    changes: list[tuple[str, str, str]]
    state: State
    manifest_before: str | None
    inside: bool


def read_history(root: Path, revs: tuple[str, ...] = ("HEAD",), *, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[Handover]:
    """Handovers reachable from `revs` dated in [start, end], oldest first. Dates are commit
    dates in the committer's time zone.

    One `git log --raw` over all commits, then one `git cat-file --batch` streaming the blobs the
    rows in the period need: each record's new version, and the manifest before and after the
    commit, of which only the changed records' lines are kept. Earlier commits are still read
    (what counts as 再暗号化 depends on them). The handlers file and manifest as of any commit
    follow from its first parent's plus its own changes (parents come first in the log); merges
    are diffed against their first parent for that, but are not rows themselves.
    """
    if gitio.resolve_commit(root, revs[0]) is None:
        if gitio.run(["rev-parse", "--git-dir"], root, check=False) == b"":
            raise SaikenError("Git リポジトリではないため、受渡しの履歴がありません。", where=str(root),
                              hint="記録リポジトリ（git clone したフォルダ）で実行してください。")
        return []  # a repository without commits has no handovers yet
    steps = _steps(root, revs, start, end)
    handler_blobs, records, manifests = _read_blobs(root, steps)
    views: dict[str | None, HandlerView] = {None: HandlerView()}
    rows: list[Handover] = []
    present: set[str] = set()
    previous_keys: frozenset[str] | None = None
    for step in steps:
        handlers_oid, manifest_oid = step.state
        if handlers_oid not in views:
            views[handlers_oid] = handler_view(handler_blobs.get(handlers_oid))
        handlers = views[handlers_oid]
        for cid, kind, _ in step.changes:
            (present.discard if kind == DELETE else present.add)(cid)
        handlers_changed = previous_keys is not None and handlers.active_keys != previous_keys
        previous_keys = handlers.active_keys
        if step.inside:
            now = manifests.get(manifest_oid, {}) if manifest_oid else {}
            before = manifests.get(step.manifest_before, {}) if step.manifest_before else {}
            rows.append(_row(step, handlers, records, now, before, handlers_changed=handlers_changed,
                             present=len(present)))
    return rows


def _steps(root: Path, revs: tuple[str, ...], start: dt.date | None, end: dt.date | None) -> list[_Step]:
    # The whole history, not path-limited: git then diffs each commit once instead of twice
    # (path limiting diffs for simplification, then again for --raw), about half the time.
    state: dict[str, State] = {}
    steps: list[_Step] = []
    for c in gitio.log_changes(root, [], revs, extra=["--diff-merges=first-parent"]):
        before = state.get(c.parents[0], (None, None)) if c.parents else (None, None)
        after = state[c.oid] = _follow(before, c)
        changes = _changes_of(c)
        if changes and len(c.parents) <= 1:
            day = c.committed.date()
            inside = (start is None or day >= start) and (end is None or day <= end)
            steps.append(_Step(c, changes, after, before[1], inside))
    return steps


def _read_blobs(root: Path, steps: list[_Step]) -> tuple[
        dict[str, bytes | None], dict[str, Sealed], dict[str, dict[str, list[ManifestEntry]]]]:
    """Handlers files whole; records as Sealed; manifests as the lines of the cases wanted."""
    handler_ids = {s.state[0] for s in steps if s.state[0]}
    record_ids: set[str] = set()
    manifest_cases: dict[str, set[str]] = {}
    for s in steps:
        if not s.inside:
            continue
        record_ids.update(new for _, kind, new in s.changes if kind != DELETE)
        for oid in (s.state[1], s.manifest_before):
            if oid:
                manifest_cases.setdefault(oid, set()).update(cid for cid, _, _ in s.changes)
    handler_blobs: dict[str, bytes | None] = {}
    records: dict[str, Sealed] = {}
    manifests: dict[str, dict[str, list[ManifestEntry]]] = {}
    wanted = sorted(handler_ids | record_ids | set(manifest_cases))
    for oid, blob in gitio.stream_blobs(root, wanted):
        if oid in handler_ids:
            handler_blobs[oid] = blob
        if blob is not None and oid in record_ids:
            records[oid] = sealed(blob)
        if blob is not None and oid in manifest_cases:
            manifests[oid] = manifest_lines(blob, manifest_cases[oid])
    return handler_blobs, records, manifests


def _row(step: _Step, handlers: HandlerView, records: dict[str, Sealed],
         now: dict[str, list[ManifestEntry]], before: dict[str, list[ManifestEntry]], *,
         handlers_changed: bool, present: int) -> Handover:
    c, changes = step.commit, step.changes
    pairs = [(cid, kind) for cid, kind, _ in changes]
    author = handlers.by_email.get(c.author_email.strip().lower())
    return Handover(
        commit=c.oid, when=c.committed, author_name=c.author_name, author_email=c.author_email,
        author_handler=author, author_org=handlers.organisation.get(author) if author else None,
        changes=pairs,
        kind=kind_of(pairs, handlers_changed=handlers_changed, records_present=present,
                     policy_changed=all(k == UPDATE for _, k in pairs) and _policy_changed(changes, now, before)),
        recipients={cid: recipients_of(records.get(new), handlers, now.get(cid))
                    for cid, kind, new in changes if kind != DELETE},
        handlers=handlers)


# --- period ------------------------------------------------------------------------------------

def fiscal_year_range(year: int) -> tuple[dt.date, dt.date]:
    """年度: April of `year` to March of the next year."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def fiscal_year_label(year: int) -> str:
    if year >= 2019:
        n = year - 2018
        return f"{year}年度（令和{'元' if n == 1 else n}年度）"
    n = year - 1988
    return f"{year}年度（平成{'元' if n == 1 else n}年度）"
