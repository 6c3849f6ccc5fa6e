"""The handover record (個人情報データの受渡し確認書) read from git history.

Every commit that adds, changes or removes `records/<case-id>.yaml.age` is a handover: the author
hands the records of that commit to their recipients. One row per such commit says
  when     the committer date, in the committer's own time zone;
  from     the author (git name and e-mail) and, when the e-mail belongs to a handler in
           policies/handlers.yaml *as of that commit*, the handler id and organisation (甲/乙);
  to       the recipients of each record at that commit, as far as they can be known without a
           key: the age header's stanzas (count, types, ssh key tags – ssh tags are matched to
           handlers' ssh-ed25519 keys), and the lines of records/manifest.yaml written in that
           commit (recipient fingerprints, mapped to handler ids through the handlers file of
           that commit; the line's sha256 says whether it describes this very ciphertext).
           Anonymous X25519 stanzas cannot be attributed otherwise (age hides them);
  what     case ids from the file names only – never anything from inside a record;
  kind     新規 (added), 更新 (changed), 削除 (removed), or 再暗号化 (re-encrypted), see `kind_of`;
  receipt  the other party's acknowledgement in ledger/receipts.yaml (`saiken ledger receive`).

History is read with one `git log --raw` over all commits, one `git log -p` of the manifest, and
one `git cat-file --batch` for the blobs – never one process per commit. Merge commits are not
rows: the commits they bring in are.

records/manifest.yaml (written with every record, see `saiken rekey`) has one line per record:
    C-AB12CD34: {sha256: <64 hex>, recipients: [<16 hex>, ...], policy: <16 hex>}
Fingerprints are `policy.recipient_fingerprint(public key)`, policy is the recipient-set hash.
Only the lines a commit adds or removes are read, so a manifest rewritten in every commit costs
its changed lines, not its whole size.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from saiken import agefile, gitio, policy, yamlio
from saiken.errors import DecryptFailure, SaikenError

RECORDS_PREFIX = "records/"
RECORD_SUFFIX = ".yaml.age"
MANIFEST = "records/manifest.yaml"
RECEIPTS_FILE = "ledger/receipts.yaml"

NEW, UPDATE, DELETE, REKEY = "新規", "更新", "削除", "再暗号化"
_STATUS_KIND = {"A": NEW, "M": UPDATE, "T": UPDATE, "D": DELETE}
# A commit changing at least this many records after the handler set changed is a re-encryption
# even when other records exist (a rekey may be split over several commits).
REKEY_MIN_RECORDS = 2


# --- the handlers file and the manifest as they were at one commit ---------------------------

@dataclass(frozen=True)
class HandlerView:
    """policies/handlers.yaml at one commit, reduced to what the handover record needs (no names)."""

    by_email: dict[str, str] = field(default_factory=dict)          # e-mail (lower case) -> id
    organisation: dict[str, str] = field(default_factory=dict)      # id -> 甲/乙
    by_fingerprint: dict[str, str] = field(default_factory=dict)    # key fingerprint -> id
    by_ssh_tag: dict[str, str] = field(default_factory=dict)        # age ssh stanza tag -> id
    active_keys: frozenset[str] = frozenset()

    def label(self, handler_id: str) -> str:
        org = self.organisation.get(handler_id)
        return f"{handler_id}（{org}）" if org else handler_id


def _key_text(raw: Any) -> str:
    words = " ".join(str(raw or "").split()).split(" ")
    return " ".join(words[:2]) if words[0].startswith("ssh-") else words[0]


def handler_view(blob: bytes | None) -> HandlerView:
    """Parse a historical handlers file leniently: a broken old file must not stop the report."""
    if blob is None:
        return HandlerView()
    try:
        data = yamlio.fast_load(blob.decode("utf-8", "replace"), allow_aliases=True)
    except SaikenError:
        return HandlerView()
    entries = data.get("handlers") if isinstance(data, dict) else None
    by_email: dict[str, str] = {}
    organisation: dict[str, str] = {}
    by_fingerprint: dict[str, str] = {}
    by_ssh_tag: dict[str, str] = {}
    active: set[str] = set()
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict) or not e.get("id"):
            continue
        hid, key = str(e["id"]), _key_text(e.get("public_key"))
        organisation[hid] = str(e.get("organisation") or "")
        if e.get("email"):
            by_email[str(e["email"]).strip().lower()] = hid
        if not key:
            continue
        by_fingerprint[policy.recipient_fingerprint(key)] = hid
        tag = _ssh_tag(key)
        if tag:
            by_ssh_tag[tag] = hid
        if e.get("active", True):
            active.add(key)
    return HandlerView(by_email, organisation, by_fingerprint, by_ssh_tag, frozenset(active))


def _ssh_tag(key: str) -> str | None:
    if not key.startswith("ssh-ed25519 "):
        return None
    try:
        return agefile.ssh_key_tag(base64.b64decode(key.split(" ")[1], validate=True))
    except (binascii.Error, ValueError):
        return None


# --- records/manifest.yaml lines --------------------------------------------------------------

@dataclass(frozen=True)
class ManifestEntry:
    sha256: str | None
    recipients: tuple[str, ...]
    policy: str | None


_MANIFEST_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*): \{(.*)\}\s*$")
_SHA = re.compile(r"\bsha256: ([0-9a-f]{64})")
_FPS = re.compile(r"\brecipients: \[([^\]]*)\]")
_POLICY = re.compile(r"\bpolicy: ([0-9A-Za-z]+)")


def manifest_entries(lines: Iterable[str]) -> dict[str, list[ManifestEntry]]:
    """Manifest lines by case id (a union merge can leave two lines for one id; both kept)."""
    out: dict[str, list[ManifestEntry]] = {}
    for line in lines:
        m = _MANIFEST_LINE.match(line)
        if not m:
            continue
        body = m[2]
        sha, fps, pol = _SHA.search(body), _FPS.search(body), _POLICY.search(body)
        recipients = tuple(f.strip() for f in fps[1].split(",") if f.strip()) if fps else ()
        out.setdefault(m[1], []).append(ManifestEntry(sha[1] if sha else None, recipients,
                                                      pol[1] if pol else None))
    return out


def manifest_lines(blob: bytes, case_ids: Iterable[str]) -> dict[str, list[ManifestEntry]]:
    """The lines of these case ids in one manifest version, found without reading the rest."""
    lines: list[str] = []
    for cid in case_ids:
        key = cid.encode() + b": "
        pos = 0 if blob.startswith(key) else blob.find(b"\n" + key) + 1
        while pos > 0 or (pos == 0 and blob.startswith(key)):
            eol = blob.find(b"\n", pos)
            lines.append(blob[pos:eol if eol >= 0 else len(blob)].decode("utf-8", "replace"))
            if eol < 0:
                break
            pos = blob.find(b"\n" + key, eol) + 1
            if pos == 0:
                break
    return manifest_entries(lines)


def pick_entry(entries: list[ManifestEntry] | None, sha256: str) -> ManifestEntry | None:
    """The entry describing this ciphertext if there is one, else the last one written."""
    if not entries:
        return None
    return next((e for e in entries if e.sha256 == sha256), entries[-1])


# --- recipients of one record -----------------------------------------------------------------

@dataclass(frozen=True)
class Recipients:
    """What can be known about one record's recipients without decrypting it."""

    stanzas: tuple[str, ...]        # agefile.Stanza.describe() of each stanza
    handler_ids: tuple[str, ...]    # attributed through the manifest or ssh key tags
    manifest_count: int | None      # recipients in the manifest line written with this record
    manifest_matches: bool | None   # whether that line's sha256 is this ciphertext's
    error: str | None = None

    def describe(self, handlers: HandlerView) -> str:
        if self.error:
            return f"（{self.error}）"
        parts = [handlers.label(h) for h in self.handler_ids]
        counts: dict[str, int] = {}
        for s in self.stanzas:
            counts[s.split("(")[0]] = counts.get(s.split("(")[0], 0) + 1
        stanza_text = "・".join(f"{t}×{n}" for t, n in counts.items())
        text = "、".join(parts) if parts else "暗号文からは特定不可"
        if parts and len(self.stanzas) > len(parts):
            text += f" ほか特定できない宛先 {len(self.stanzas) - len(parts)} 件"
        active = len(handlers.active_keys)
        same = "一致" if active == len(self.stanzas) else "不一致"
        text += f" ［{stanza_text}、宛先数は当時の有効な取扱者 {active} 名と{same}］"
        if self.manifest_matches is False:
            text += " ※マニフェストの sha256 がこの暗号文と一致しません"
        elif self.manifest_count is not None and self.manifest_count != len(self.stanzas):
            text += " ※マニフェストと宛先数が一致しません"
        return text


def stanzas_of(blob: bytes) -> tuple[agefile.Stanza, ...]:
    """The stanzas' types and arguments, read quickly from a binary header (bodies left out).

    The ledger only reports: strict validation of every header is agefile.parse's job in the
    checks. Stanza bodies are base64, so a line starting with "-> " is always a stanza line.
    Armored files go through agefile.parse.
    """
    if agefile.looks_armored(blob):
        return agefile.parse(blob)[0].stanzas
    end = blob.find(b"\n--- ")
    if not blob.startswith(agefile.VERSION_LINE + b"\n") or end < 0:
        raise DecryptFailure("header", "age 形式ではありません。")
    out = []
    pos = blob.find(b"\n-> ", 0, end + 1)
    while pos >= 0:
        eol = blob.find(b"\n", pos + 4)
        kind, *args = blob[pos + 4:eol].decode("ascii", "replace").split(" ")
        out.append(agefile.Stanza(kind, tuple(args), b""))
        pos = blob.find(b"\n-> ", eol, end + 1)
    return tuple(out)


@dataclass(frozen=True)
class Sealed:
    """What the ledger keeps of one record blob: its stanzas (None if not age) and its sha256."""

    stanzas: tuple[agefile.Stanza, ...] | None
    sha256: str


def sealed(blob: bytes) -> Sealed:
    try:
        stanzas: tuple[agefile.Stanza, ...] | None = stanzas_of(blob)
    except DecryptFailure:
        stanzas = None
    return Sealed(stanzas, hashlib.sha256(blob).hexdigest())


def recipients_of(record: Sealed | None, handlers: HandlerView,
                  written: list[ManifestEntry] | None) -> Recipients:
    """`written`: the record's lines in the manifest of the same commit."""
    if record is None:
        return Recipients((), (), None, None, "暗号文を読めません")
    if record.stanzas is None:
        return Recipients((), (), None, None, "age 形式ではありません")
    ids: list[str] = []
    entry = pick_entry(written, record.sha256)
    matches = None if entry is None or entry.sha256 is None else entry.sha256 == record.sha256
    listed = entry.recipients if entry and matches is not False else None  # a stale line names nobody
    for fp in listed or ():
        ids.append(handlers.by_fingerprint.get(fp, f"不明な鍵 {fp[:8]}"))
    for s in record.stanzas:
        if s.type == "ssh-ed25519" and s.args and s.args[0] in handlers.by_ssh_tag:
            ids.append(handlers.by_ssh_tag[s.args[0]])
    # rage adds a random "*-grease" stanza to exercise parsers; it is nobody's recipient.
    real = [s for s in record.stanzas if not s.type.endswith("-grease")]
    return Recipients(tuple(s.describe() for s in real), tuple(sorted(set(ids))),
                      None if listed is None else len(listed), matches)


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
        kind=kind_of(pairs, handlers_changed=handlers_changed,
                     policy_changed=_policy_changed(changes, now, before), records_present=present),
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
