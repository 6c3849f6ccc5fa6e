"""Live status of each special term and protective measure, for the site's 特記事項と遵守状況 page.

When the site is built, saiken's check runner – the same code path as `saiken check --all` – runs
over the work tree **with no identity**, so no record is decrypted and nothing personal can reach
the page, and the ledger's evidence due dates (`saiken.checks.evidence.findings`) are added. Per term:

    red    an error-level finding names the term, or evidence the term asks for is overdue
    amber  a warning names the term, or evidence is due and not recorded yet
    green  otherwise

Only check ids, severities, counts and top-level folders (or the fixed names of ledger/ and policy
files) are kept: never a finding's message, another file name or a case id, since a message may
quote what it found and a file name may itself be the problem (a name in a file name).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from saiken.checks import ERROR, evidence, registry
from saiken.checks.cache import CACHE_DIR
from saiken.checks.context import POLICY_FILES
from saiken.checks.runner import check_worktree
from saiken.core import layout
from saiken.errors import SaikenError
from saiken.git import gitio
from saiken.wareki import wareki

GREEN, AMBER, RED = 0, 1, 2


@dataclass(frozen=True)
class Line:
    level: int
    text: str
    file: str | None = None      # the evidence file a line is about (not shown beyond `text`)


@dataclass
class Status:
    computed_at: dt.datetime
    as_of: dt.date
    commit: str | None                    # HEAD's short id, when a git repository
    changed: bool                         # uncommitted changes in the work tree
    files: int                            # files the checks looked at
    by_term: dict[int, list[Line]] = field(default_factory=dict)
    by_check: dict[str, list[Line]] = field(default_factory=dict)
    unchecked: set[str] = field(default_factory=set)   # checks that need a key, so found nothing here
    failed: str | None = None             # why the checks could not run at all

    def lines(self, terms: list[int], checks: list[str]) -> list[Line]:
        out = [line for t in terms for line in self.by_term.get(t, [])]
        out += [line for c in checks for line in self.by_check.get(c, []) if line not in out]
        return list(dict.fromkeys(out))


def where(path: str) -> str:
    """Where a finding is: an evidence or policy file saiken names itself, else no finer than the
    top-level folder (any other file name may itself be the problem, a name in a file name)."""
    known = {evidence.rel(name) for name in evidence.FILES} | set(POLICY_FILES)
    if path in known:
        return f"`{path}`"
    return f"{path.split('/', 1)[0]}/" if "/" in path else "リポジトリ直下"


def _git_state(root: Path) -> tuple[str | None, bool]:
    if not (root / ".git").exists():
        return None, False
    try:
        head = gitio.text(["rev-parse", "--short", "HEAD"], root).strip() or None
    except SaikenError:
        head = None
    try:
        changed = bool(gitio.text(["status", "--porcelain", "--untracked-files=normal"], root).strip())
    except SaikenError:
        changed = False
    return head, changed


def compute(root: Path, as_of: dt.date | None = None, now: dt.datetime | None = None) -> Status:
    now = now or dt.datetime.now().astimezone()
    as_of = as_of or now.date()
    commit, changed = _git_state(root)
    status = Status(now, as_of, commit, changed, 0)
    try:
        report = check_worktree(root, [], as_of=as_of, cache_dir=root / CACHE_DIR)
    except SaikenError as exc:
        status.failed = exc.message
        return status
    status.files = report.files
    due: dict[int, list[Line]] = {}
    try:
        missing_evidence = evidence.findings(root, as_of)
    except SaikenError:
        missing_evidence = []   # a ledger file saiken cannot read: the evidence check reports it, as an error
    for missing in missing_evidence:
        line = due_line(missing.file, missing.due, as_of)
        for term in missing.terms:
            if line not in due.setdefault(term, []):
                due[term].append(line)
    counts = Counter((f.check, f.severity, where(f.file), f.terms) for f in report.findings)
    for (check, severity, place, terms), n in sorted(counts.items()):
        line = Line(RED if severity == ERROR else AMBER,
                    f"`{check}` {'エラー' if severity == ERROR else '警告'} {n}件（{place}）", place.strip("`"))
        for term in terms:
            # the evidence check's reminder says what the due line below says, with less: show one
            if not any(d.file == line.file and d.level >= line.level for d in due.get(term, [])):
                status.by_term.setdefault(term, []).append(line)
        status.by_check.setdefault(check, []).append(line)
    for term, lines in due.items():
        status.by_term.setdefault(term, []).extend(lines)
    has_records = bool(layout.record_rels(root) or layout.old_layout_files(root))
    if has_records:
        status.unchecked = {cid for cid, m in registry().items() if getattr(m, "NEEDS_IDENTITY", False)}
    return status


def due_line(rel: str, due: dt.date | None, as_of: dt.date) -> Line:
    """Evidence in `rel` due on `due` and not recorded: red once overdue, amber until then. No due
    date (a ledger file that cannot be read, an entry without a valid date): red, to be fixed."""
    if due is None:
        return Line(RED, f"要修正: {_what(rel)}（`{rel}` を読めないか、日付のない記載があります）", rel)
    overdue = due < as_of
    return Line(RED if overdue else AMBER, f"{'期限切れ' if overdue else '未記録'}: {_what(rel)}"
                f"（`{rel}`、期限 {wareki(due)}）", rel)


def _what(rel: str) -> str:
    name = rel.removeprefix("ledger/").removesuffix(".yaml")
    if rel.startswith("ledger/") and name in evidence.FILES:
        return evidence.FILES[name][1]
    return {"policies/handlers.yaml": "取扱者の指定", "records/": "記録"}.get(rel, rel)
