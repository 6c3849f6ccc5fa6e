"""Checks: one module per check, each holding the repository to named special terms (特記事項).

A check module declares
    ID        the check id used in policies/special-terms.yaml and in every finding
    TERMS     the special-term numbers it enforces (the policy file must list the same)
    SEVERITY  its usual severity ("error" or "warning"; a finding may carry its own)
    TITLE     one Japanese line for staff
and one of two functions over the common input (`saiken.checks.context.CheckInput`):
    check_file(file, inp) -> Iterable[Finding]   looks at one file only; the runner may cache its
                                                 result by (check id, git blob id, policy hash)
    check(inp) -> Iterable[Finding]              looks at the whole set (commit message, names
                                                 from every record, ...)
A check with NORMALISES = True changes the opened record in place (the schema check normalises as
it validates); the runner lets every other check of a file look first.
A check with NEEDS_IDENTITY = True looks only inside records the runner's identities open: run
without a key (the policy site's status page), it cannot find anything, and says so.
A check with SCOPE = "repository" judges the repository's state on a date rather than the files of
a change (evidence due dates); the runner runs it only when asked to (`saiken check --all`).
The runner (`saiken.checks.runner`) is the one code path that every place – `saiken check`,
pre-commit, commit-msg, pre-push, pre-receive – calls.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

from saiken.redaction import has_quotes, shown, view

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)
LABELS = {ERROR: "エラー", WARNING: "警告"}  # how a finding's line starts (JSON keeps the severity itself)

# Order is the order findings are reported in.
CHECK_MODULES = ("rules", "plaintext", "paths", "record_like", "recipients", "schema", "prohibited", "never_collect", "consents",
                 "pii_outside", "author", "remote", "evidence",
                 "textconv_cache")


# Characters that would break a finding's line or change what a terminal shows: C0/C1 controls,
# line and paragraph separators, and the invisible format characters (bidi overrides, zero widths)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_SHELL_PLAIN = re.compile(r"[^\s'\"$`\\;&|<>()*?\[\]{}!#~]+")


def _escape(char: str) -> str:
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: str) -> str:
    """`text` on one line, every control and invisible character written as its escape (\\n, \\x1b,
    \\u200b): a file name with a newline cannot forge a second finding, nor colour a terminal."""
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text) if _UNPRINTABLE.search(text) else text


def unreadable_name(name: str) -> bool:
    """A file or ref name git gave as bytes that are not UTF-8 (decoded with surrogateescape or
    replace): what it spells cannot be read, so a name in another code (Shift_JIS…) would pass."""
    return "\ufffd" in name or any("\udc80" <= ch <= "\udcff" for ch in name)


def shown_name(name: str) -> str:
    """A name that may hold undecodable bytes, printable: those bytes as \\xNN (as git quotes them)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def shell_path(path: str) -> str:
    """A path as it must be typed in a command of a finding's fix: as is when the shell takes it so,
    quoted otherwise, and in bash's $'…' with escapes when it holds a control character."""
    if _SHELL_PLAIN.fullmatch(path) and not path.startswith("-") and not _UNPRINTABLE.search(path):
        return path
    if not _UNPRINTABLE.search(path):
        return shlex.quote(path)
    inner = path.replace("\\", "\\\\").replace("'", "\\'")
    return "$'" + _UNPRINTABLE.sub(lambda m: _escape(m.group()), inner) + "'"


@dataclass(frozen=True)
class FileInput:
    """One file as the checks see it: repository-relative POSIX path and its bytes.

    The bytes come from the work tree, the index or a commit's blob alike; `blob_id` is the git
    object id when known (the cache key for per-file checks)."""

    path: str
    data: bytes
    blob_id: str | None = None
    mode: str = ""  # "" a regular file; SYMLINK or GITLINK: an entry no regular file is (refused by paths)


SYMLINK, GITLINK = "120000", "160000"  # git's modes of a symbolic link and of a submodule's commit


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which check, which terms, where, and what to do about it (Japanese).

    Text of a record repeated in `message`, `where` or `file` is wrapped by
    `saiken.redaction.quoted`; `render` and `as_dict` show it, or hide it where the output is a log."""

    check: str
    terms: tuple[int, ...]
    severity: str
    file: str
    where: str | None
    message: str
    # (case id, category) when a recorded consent of 甲 may lift this finding; None when nothing can
    consent_key: tuple[str, str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}: {self.severity}")
        for name in ("file", "where", "message"):  # one finding, one line, whatever a path holds
            value = getattr(self, name)
            if value is not None and value != printable(value):
                object.__setattr__(self, name, printable(value))

    @property
    def terms_label(self) -> str:
        return "特記事項" + "・".join(str(t) for t in self.terms)

    @property
    def location(self) -> str:
        return shown(self._location)

    @property
    def _location(self) -> str:
        return f"{self.file}:{self.where}" if self.where else self.file

    @property
    def quotes_record(self) -> bool:
        """Whether the message, field path or file repeats text of a record (saiken.redaction)."""
        return any(has_quotes(t) for t in (self.message, self.where, self.file))

    def render(self, redact: bool = False) -> str:
        """One line for staff; `redact` (a log: CI, pre-receive, --redact) hides the record's text."""
        text = f"{LABELS[self.severity]} [{self.check}] {self.terms_label} {self._location} – {self.message}"
        return view(text, redact)

    def as_dict(self, redact: bool = False) -> dict[str, object]:
        return {"check": self.check, "terms": list(self.terms), "severity": self.severity,
                "file": view(self.file, redact), "where": None if self.where is None else view(self.where, redact),
                "message": view(self.message, redact)}


_REGISTRY: dict[str, ModuleType] | None = None


def registry() -> dict[str, ModuleType]:
    """Every check module by its ID (imported on first use, so check modules may import this one)."""
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, ModuleType] = {}
        for name in CHECK_MODULES:
            module = import_module(f"saiken.checks.{name}")
            if module.ID in found:
                raise RuntimeError(f"duplicate check id {module.ID}")
            if not (hasattr(module, "check") or hasattr(module, "check_file")):
                raise RuntimeError(f"check {module.ID} has neither check() nor check_file()")
            found[module.ID] = module
        _REGISTRY = found
    return _REGISTRY


@dataclass(frozen=True)
class FindingMaker:
    """Bound to one check: fills in its id, terms and default severity."""

    check: str
    terms: tuple[int, ...]
    severity: str

    def __call__(self, file: str, where: str | None, message: str, *, severity: str | None = None,
                 terms: tuple[int, ...] | None = None,
                 consent_key: tuple[str, str] | None = None) -> Finding:
        return Finding(self.check, tuple(terms or self.terms), severity or self.severity, file, where,
                       message, consent_key)
