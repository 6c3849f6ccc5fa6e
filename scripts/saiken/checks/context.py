"""What every check sees: the files under check, the policy, and the records the runner can open.

`Context` describes where the files come from (a reader for policies/ and ledger/ of the same
tree – the work tree, the index or a pushed commit), whose identities may open records, and the
commit message and author when a hook has them. `CheckInput` adds what the runner prepares once
for all checks: each record opened (decrypted in memory, never written anywhere) and parsed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from saiken import crypto, yamlio
from saiken.checks import FileInput
from saiken.errors import DecryptFailure, SaikenError
from saiken.policy import Policy
from saiken.records import RECORDS_DIR, SUFFIX

Reader = Callable[[str], "bytes | None"]

LEXICON_FILE = "policies/prohibited-categories.yaml"
PERSONAL_DATA_FILE = "policies/personal-data.yaml"
CONSENTS_FILE = "ledger/consents.yaml"


def worktree_reader(root: Path) -> Reader:
    def read(rel: str) -> bytes | None:
        try:
            return (root / rel).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
    return read


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
    author: str | None = None
    # Records to take party names from for pii_outside, beyond the records under check
    # (a commit message is checked against every record the runner can open).
    record_sources: list[FileInput] = field(default_factory=list)

    def policy_hash(self) -> str:
        """Hash of what a per-file finding may depend on besides the file (for a result cache)."""
        h = hashlib.sha256()
        for rel in ("policies/handlers.yaml", "policies/information-items.yaml", LEXICON_FILE,
                    PERSONAL_DATA_FILE, CONSENTS_FILE):
            h.update(rel.encode() + b"\0" + (self.read(rel) or b"") + b"\0")
        for ident in self.identities:
            h.update(ident.public.encode())
        return h.hexdigest()


@dataclass
class OpenedRecord:
    """A record file the runner tried to open: its data in memory, or why it did not open."""

    file: FileInput
    case_id: str
    data: Any = None
    text: str | None = None
    error: SaikenError | None = None

    @property
    def failure_kind(self) -> str | None:
        if isinstance(self.error, DecryptFailure):
            return self.error.kind
        return "yaml" if self.error is not None else None


def open_record(f: FileInput, identities: list[crypto.LoadedIdentity], max_bytes: int) -> OpenedRecord:
    rec = OpenedRecord(f, case_id_of(f.path))
    try:
        plain = crypto.decrypt(f.data, identities, where=f.path, max_size=max_bytes * 2 + 4096)
        rec.text = plain.decode("utf-8")
        rec.data = yamlio.fast_load(rec.text, where=f.path)
    except UnicodeDecodeError:
        rec.error = SaikenError("記録が UTF-8 のテキストではありません。", where=f.path)
    except SaikenError as exc:
        rec.error = exc
    return rec


@dataclass
class CheckInput:
    files: list[FileInput]
    ctx: Context
    opened: dict[str, OpenedRecord] = field(default_factory=dict)  # records under check, by path
    sources: list[OpenedRecord] = field(default_factory=list)      # every record opened (for PII)
    _yaml: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def prepare(cls, files: list[FileInput], ctx: Context) -> "CheckInput":
        inp = cls(files, ctx)
        if not ctx.identities:
            return inp
        max_bytes = int(ctx.policy.items.get("max_record_bytes", 1 << 20))
        for f in files:
            if is_record_path(f.path):
                rec = open_record(f, ctx.identities, max_bytes)
                inp.opened[f.path] = rec
                if rec.data is not None:
                    inp.sources.append(rec)
        for f in ctx.record_sources:  # the rest of the repository, for names only
            if is_record_path(f.path) and f.path not in inp.opened:
                rec = open_record(f, ctx.identities, max_bytes)
                if rec.data is not None:
                    inp.sources.append(rec)
        return inp

    def file_yaml(self, rel: str) -> Any:
        """A policy or ledger file of the tree under check, parsed once; None when absent.

        A file that is not valid YAML raises SaikenError naming it."""
        if rel not in self._yaml:
            for f in self.files:  # the version under check wins over the tree's
                if f.path == rel:
                    raw: bytes | None = f.data
                    break
            else:
                raw = self.ctx.read(rel)
            self._yaml[rel] = None if raw is None else yamlio.fast_load(
                raw.decode("utf-8", "replace"), where=rel, allow_aliases=True)
        return self._yaml[rel]
