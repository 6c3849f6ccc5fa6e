"""The handover record (個人情報データの受渡し確認書) read from git history.

Every commit that adds, changes or removes `records/<xx>/<y>/<case-id>.yaml.age` (or, in history made
before the bucket folders, `records/<case-id>.yaml.age`; saiken.core.layout) is a handover: the author
hands the records of that commit to their recipients. One row per such commit says
  when     the committer date, in the committer's own time zone;
  from     the author (git name and e-mail) and, when the e-mail belongs to a handler in
           policies/handlers.yaml *as of that commit*, the handler id and organisation (甲/乙);
  to       the recipients of each record at that commit, as far as they can be known without a
           key: the age header's stanzas (count, types, ssh key tags – ssh tags are matched to
           handlers' ssh-ed25519 keys), and the record's line in its manifest as of
           that commit (recipient fingerprints, mapped to handler ids through the handlers file
           of that commit – used only when the line's sha256 is this very ciphertext's).
           Anonymous X25519 stanzas cannot be attributed otherwise (age hides them);
  what     case ids from the file names only – never anything from inside a record;
  kind     新規 (added), 更新 (changed), 削除 (removed), or 再暗号化 (re-encrypted), see `kind_of`;
  receipt  the other party's acknowledgement in ledger/receipts.yaml (`saiken ledger receive`).

History is read with one `git log --raw` over all commits while one `git cat-file --batch`
unpacks the blobs – never one process per commit (handover_history.py). Merge commits are not rows:
the commits they bring in are. Rows are kept in a cache in the git directory (handover_cache.py),
so a second run reads only the commits made since.

What can be seen of the recipients is in handover_recipients.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saiken import wareki
from saiken.core import bulk
from saiken.errors import SaikenError
from saiken.git import gitio, gitstream
from saiken.ledger.handovers import cache as handover_cache
from saiken.ledger.handovers.history import (
    DELETE,
    NEW,
    REKEY,
    UPDATE,
    Blobs,
    Fetch,
    Step,
    commits,
    walk,
)
from saiken.ledger.handovers.recipients import (
    HandlerView,
    ManifestEntry,
    Recipients,
    handler_view,
    recipients_of,
)

RECEIPTS_FILE = "ledger/receipts.yaml"
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
    signed: bool | None = None  # as proven from git (saiken.ledger.receipts.prove), never as the file says
    doubt: str | None = None  # why the entry does not prove a receipt (None: committed by the receiver)


@dataclass
class Handover:
    commit: str
    when: dt.datetime
    author_name: str
    author_email: str
    author_handler: str | None
    author_org: str | None
    changes: list[tuple[str, str]]            # (case id, 新規/更新/削除), by case id
    kind: str
    recipients: dict[str, Recipients]         # case id -> recipients, for added/changed records
    handlers: HandlerView
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def case_ids(self) -> list[str]:
        return [c for c, _ in self.changes]

    @property
    def received(self) -> bool:
        return any(r.doubt is None for r in self.receipts)


def kind_of(changes: list[tuple[str, str]], *, handlers_changed: bool, policy_changed: bool,
            records_present: int) -> str:
    """What happened in one commit.

    再暗号化 when the commit only changes existing records (none added or removed) and either
      (a) for every changed record, the commit replaces its manifest line and the
          new line's policy (recipient-set hash) differs from the old line's, or
      (b) the set of active handlers' public keys at this commit differs from the set at the
          previous handover on its first-parent line, and the commit changes at least
          REKEY_MIN_RECORDS records or every record in its tree.
    Both depend only on the commit and its ancestry, so a row can be cached by commit id.
    Otherwise 新規 / 更新 / 削除, joined with 「・」 when a commit mixes them (新規・削除 is a rename).
    """
    seen = {kind for _, kind in changes}
    kinds = [k for k in (NEW, UPDATE, DELETE) if k in seen]
    if kinds == [UPDATE]:
        many = len(changes) >= REKEY_MIN_RECORDS or len(changes) >= records_present
        if policy_changed or (handlers_changed and many):
            return REKEY
    return "・".join(kinds)


def _policy_changed(step: Step, now: dict[str, list[ManifestEntry]], before: dict[str, list[ManifestEntry]]) -> bool:
    """Every changed record's manifest line names a policy different from its line before."""
    if not step.only_updates:
        return False
    for cid, _, _, _ in step.changes:
        after = {e.policy for e in now.get(cid, ()) if e.policy}
        earlier = {e.policy for e in before.get(cid, ()) if e.policy}
        if not after or not earlier or after & earlier:
            return False
    return True


@bulk.no_gc
def read_history(root: Path, revs: tuple[str, ...] = ("HEAD",), *, start: dt.date | None = None,
                 end: dt.date | None = None, cache: bool = True) -> list[Handover]:
    """Handovers reachable from `revs` dated in [start, end], oldest first. Dates are commit
    dates in the committer's time zone.

    Rows outside the period are not read (but every commit's state is: what counts as 再暗号化
    depends on earlier commits). `cache`: read and update the row cache in the git directory;
    without it, everything is read from git and nothing is written.
    """
    if gitio.resolve_commit(root, revs[0]) is None:
        if gitio.run(["rev-parse", "--git-dir"], root, check=False) == b"":
            raise SaikenError("Git リポジトリではないため、受渡しの履歴がありません。", where=str(root),
                              hint="記録リポジトリ（git clone したフォルダ）で実行してください。")
        return []  # a repository without commits has no handovers yet
    store = handover_cache.load(root) if cache else handover_cache.Store.empty()
    known = store.known

    def inside(day: dt.date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    seen: set[str] = set()
    with Fetch(root) as fetch:
        steps = walk(commits(root, revs, known, seen), known, inside, fetch)
    views: dict[str | None, HandlerView] = {}
    memo: dict[Any, Recipients] = {}  # the views live as long as this: their ids stay theirs
    rows = [_row(c, step, views, fetch.blobs, memo) for c, step in steps]
    if cache:
        handover_cache.save(root, store, seen)
    return rows


def _view(views: dict[str | None, HandlerView], blobs: Blobs, oid: str | None) -> HandlerView:
    if oid not in views:
        views[oid] = handler_view(blobs.handlers.get(oid))
    return views[oid]


def _row(c: gitstream.LogCommit, step: Step, views: dict[str | None, HandlerView], blobs: Blobs,
         memo: dict[Any, Recipients]) -> Handover:
    handlers = _view(views, blobs, step.node.handlers)
    if step.computed is None:
        step.computed = _compute(step, handlers, views, blobs, memo)
    kind, recipients = step.computed
    author = handlers.by_email.get(c.author_email.strip().lower())
    return Handover(
        commit=c.oid, when=c.committed, author_name=c.author_name, author_email=c.author_email,
        author_handler=author, author_org=handlers.organisation.get(author) if author else None,
        changes=[(cid, k) for cid, k, _, _ in step.changes], kind=kind, recipients=recipients, handlers=handlers)


def _compute(step: Step, handlers: HandlerView, views: dict[str | None, HandlerView], blobs: Blobs,
             memo: dict[Any, Recipients]) -> tuple[str, dict[str, Recipients]]:
    """The part of a row that needs blobs – what the cache keeps."""
    changed = step.prev_row is not None and _view(views, blobs, step.prev_row or None).active_keys != handlers.active_keys
    now, before = _lines(step, blobs, 1), _lines(step, blobs, 0)
    pairs = [(cid, k) for cid, k, _, _ in step.changes]
    kind = kind_of(pairs, handlers_changed=changed, records_present=step.node.present,
                   policy_changed=_policy_changed(step, now, before))
    return kind, {cid: recipients_of(blobs.records.get(new), handlers, now.get(cid), memo)
                  for cid, k, new, _ in step.changes if k != DELETE}


def _lines(step: Step, blobs: Blobs, which: int) -> dict[str, list[ManifestEntry]]:
    """The changed records' manifest lines before (`which` 0) or after (1) the commit, each from
    the manifest its record's layout puts it in."""
    out: dict[str, list[ManifestEntry]] = {}
    for cid, _, _, path in step.changes:
        found = blobs.lines(step.manifests.get(path, (None, None))[which]).get(cid)
        if found:
            out[cid] = found
    return out


# --- period ------------------------------------------------------------------------------------

def fiscal_year_range(year: int) -> tuple[dt.date, dt.date]:
    """年度: April of `year` to March of the next year."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def fiscal_year_label(year: int) -> str:
    return f"{year}年度（{wareki.fiscal_year_label(year)}）"
