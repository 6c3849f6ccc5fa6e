"""What every check sees: the files under check, the policy, and the records the runner can open.

`Context` describes where the files come from (a reader for policies/ and ledger/ of the same
tree – the work tree, the index or a pushed commit), whose identities may open records, and the
commit message and author when a hook has them. `CheckInput` adds what the runner prepares once
for all checks: each record opened (decrypted in memory, never written anywhere) and parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from saiken.checks import FileInput, Finding
from saiken.checks.git_texts import GitText
from saiken.checks.text import quick_fold
from saiken.core import crypto, layout, reads, yamlio
from saiken.core.policy import Policy, parse_yaml
from saiken.core.layout import RECORDS_DIR, SUFFIX
from saiken.errors import DecryptFailure, SaikenError

Reader = Callable[[str], "bytes | None"]

LEXICON_FILE = "policies/prohibited-categories.yaml"
PERSONAL_DATA_FILE = "policies/personal-data.yaml"
CONSENTS_FILE = "ledger/consents.yaml"
PATHS_FILE = "policies/paths.yaml"
TERMS_MEMO = "terms_by_content"  # CheckInput.memo: personal-data terms of records opened in this run, by content id
POLICY_FILES = ("policies/handlers.yaml", "policies/information-items.yaml", "policies/contract.yaml",
                "policies/special-terms.yaml", "policies/remotes.yaml", LEXICON_FILE, PERSONAL_DATA_FILE, CONSENTS_FILE,
                PATHS_FILE)


def worktree_reader(root: Path) -> Reader:
    def read(rel: str) -> bytes | None:
        try:
            return (root / rel).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
    return read


def is_rule_file(path: str) -> bool:
    """A file the rules are read from (policies/, the consents of 甲): a check reads it from the
    trusted rules of its Context, never from the change under judgement (saiken.checks.trust)."""
    return path.startswith("policies/") or path == CONSENTS_FILE


def is_record_path(path: str) -> bool:
    return path.startswith(RECORDS_DIR + "/") and path.endswith(SUFFIX)


def case_id_of(path: str) -> str:
    return path.rsplit("/", 1)[-1][: -len(SUFFIX)]


@dataclass
class Context:
    policy: Policy
    read: Reader
    identities: list[crypto.LoadedIdentity] = field(default_factory=list)
    commit_message: str | None = None
    message_committed: bool = False  # the message is of a commit already made (pre-push, --range)
    author: str | None = None
    remote: str | None = None  # the URL a pre-push hook is pushing to (check "remote", term 6)
    # Records to take party names from for pii_outside, beyond the records under check
    # (a commit message is checked against every record the runner can open).
    record_sources: list[FileInput] = field(default_factory=list)
    as_of: dt.date | None = None  # the date evidence is judged on (default: today)
    # what the trusted base says of this commit's own change to the rules (check "rules")
    rule_findings: list[Finding] = field(default_factory=list)
    # what the checks of one run may keep for the next commit of the same range (derived data only)
    shared: dict[str, Any] = field(default_factory=dict)
    # Ref names, tag messages and notes a push sends (pre-push, pre-receive, check --range)
    texts: list[GitText] = field(default_factory=list)


@dataclass
class OpenedRecord:
    """A record file the runner tried to open: its data in memory, or why it did not open."""

    file: FileInput
    case_id: str
    data: Any = None
    text: str | None = None
    error: SaikenError | None = None

    @cached_property
    def folded(self) -> str | None:
        """The decrypted text folded once (saiken.checks.text.quick_fold): every check's first look."""
        return None if self.text is None else quick_fold(self.text)

    @property
    def failure_kind(self) -> str | None:
        if isinstance(self.error, DecryptFailure):
            return self.error.kind
        return "yaml" if self.error is not None else None


def open_record(f: FileInput, identities: list[crypto.LoadedIdentity], max_bytes: int) -> OpenedRecord:
    rec = OpenedRecord(f, case_id_of(f.path))
    reads.opened(rec.case_id, identities)  # the access log's line for this run (saiken.core.reads)
    try:
        plain = crypto.decrypt(f.data, identities, where=f.path, max_size=max_bytes * 2 + 4096)
        rec.text = plain.decode("utf-8")
        rec.data = yamlio.bulk_load(rec.text, where=f.path)
    except UnicodeDecodeError:
        rec.error = SaikenError("記録が UTF-8 のテキストではありません。", where=f.path)
    except SaikenError as exc:
        rec.error = exc
    return rec


@dataclass
class CheckInput:
    """The files under check and the context, with records opened lazily and once: a check that
    needs a record's content asks for it, so a run whose results are all cached decrypts nothing."""

    files: list[FileInput]
    ctx: Context
    memo: dict[str, Any] = field(default_factory=dict)  # what a check derives once per run (lexicon, names)
    cache_dir: Path | None = None  # where checks may keep what they learn between runs (no plaintext)
    _opened: dict[str, OpenedRecord] = field(default_factory=dict)
    _yaml: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def prepare(cls, files: list[FileInput], ctx: Context) -> "CheckInput":
        return cls(files, ctx)

    @property
    def max_bytes(self) -> int:
        return int(self.ctx.policy.items.get("max_record_bytes", 1 << 20))

    def record(self, f: FileInput) -> OpenedRecord | None:
        """The record in `f` opened with the runner's identities; None if `f` is not a record or
        there is no identity. A record that did not open carries the reason in `.error`."""
        if not self.ctx.identities or not is_record_path(f.path):
            return None
        if f.path not in self._opened:
            self._opened[f.path] = open_record(f, self.ctx.identities, self.max_bytes)
        return self._opened[f.path]

    def forget(self, f: FileInput) -> OpenedRecord | None:
        """Drop the opened record of `f` from memory (the runner does, once every check has seen
        it); returns it, or None when it was never opened."""
        return self._opened.pop(f.path, None)

    def raw(self, rel: str) -> bytes | None:
        """A file of the tree under check: the version among the files wins over the tree's –
        except for a file of the rules, which always comes from the Context's (trusted) rules."""
        if is_rule_file(rel):
            return self.ctx.read(rel)
        if "by_path" not in self.memo:
            self.memo["by_path"] = {f.path: f for f in self.files}
        f = self.memo["by_path"].get(rel)
        return f.data if f is not None else self.ctx.read(rel)

    def file_yaml(self, rel: str) -> Any:
        """A policy or ledger file of the tree under check, parsed once; None when absent.

        A file that is not UTF-8, not valid YAML or not a mapping raises SaikenError naming it."""
        if rel not in self._yaml:
            raw = self.raw(rel)
            self._yaml[rel] = None if raw is None else parse_yaml(raw, rel)
        return self._yaml[rel]

    def policy_hash(self) -> str:
        """Hash of everything besides a file itself that a finding may depend on (cache key)."""
        h = hashlib.sha256()
        for rel in POLICY_FILES:
            h.update(rel.encode() + b"\0" + (self.raw(rel) or b"") + b"\0")
        for ident in self.ctx.identities:
            h.update(ident.public.encode() + b"\0")
        if layout.flat_history_accepted():  # a flat path clean under it is not clean otherwise
            h.update(b"flat history accepted\0")
        return h.hexdigest()
