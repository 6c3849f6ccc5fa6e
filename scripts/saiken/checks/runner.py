"""The one code path that runs the checks, wherever they are run from.

    files = worktree_files(root, all_files=True)            # or the index, or a commit's blobs
    report = run(files, Context(policy, read, identities, commit_message=..., author=...))
    report.exit_code  # 1 on any error-level finding

The input is a list of FileInput (path + bytes), so the same run serves `saiken check` on the
work tree, pre-commit on staged blobs and pre-receive on pushed commits in a bare repository.

A result cache can slot in at `_run_per_file`: a per-file check's findings depend only on the
file's bytes (its git blob id) and on `Context.policy_hash()`. Such a cache must hold no plaintext,
so it should store only "blob X is clean under policy hash P for check C" and recompute otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable

from saiken import gitio
from saiken.checks import ERROR, WARNING, FileInput, Finding, registry
from saiken.checks.consents import valid_consents
from saiken.checks.context import CheckInput, Context, worktree_reader
from saiken.errors import SaikenError
from saiken.policy import Policy
from saiken.records import RECORDS_DIR, SUFFIX


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    lifted: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, consent id)
    notes: list[str] = field(default_factory=list)  # what was not checked, and why
    files: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def run(files: list[FileInput], ctx: Context, *, only: Iterable[str] | None = None) -> Report:
    checks = registry()
    wanted = list(only) if only else list(checks)
    unknown = [c for c in wanted if c not in checks]
    if unknown:
        raise SaikenError(f"検査 ID「{', '.join(unknown)}」はありません。", hint=f"使える検査: {', '.join(checks)}")
    inp = CheckInput.prepare(files, ctx)
    found: list[Finding] = []
    for cid in wanted:
        module = checks[cid]
        found.extend(_run_per_file(module, inp) if hasattr(module, "check_file") else module.check(inp))
    report = Report(files=len(files), notes=_notes(files, ctx, inp))
    consents = valid_consents(inp)
    for f in dict.fromkeys(found):  # drop duplicates, keep order
        consent = consents.get(f.consent_key) if f.consent_key else None
        if consent:
            report.lifted.append((f, consent))
        else:
            report.findings.append(f)
    return report


def _run_per_file(module: ModuleType, inp: CheckInput) -> list[Finding]:
    out: list[Finding] = []
    for f in inp.files:
        out.extend(module.check_file(f, inp))
    return out


def _notes(files: list[FileInput], ctx: Context, inp: CheckInput) -> list[str]:
    records = [f for f in files if f.path.startswith(RECORDS_DIR + "/") and f.path.endswith(SUFFIX)]
    if records and not ctx.identities:
        return ["鍵が設定されていないため、記録の内容（特記事項3・5）と記録から取った氏名等の検査"
                "（特記事項2・7）は行いませんでした。SAIKEN_IDENTITY に鍵ファイルを指定すると検査します。"]
    unopened = sum(1 for rec in inp.opened.values() if rec.data is None)
    if records and unopened:
        return [f"{unopened} 件の記録はお手元の鍵で開けなかったため、内容を検査していません。"]
    return []


# --- the work tree as input ------------------------------------------------------------------

def worktree_context(root: Path, identities: list, files: list[FileInput], *,  # type: ignore[type-arg]
                     commit_message: str | None = None, author: str | None = None) -> Context:
    """Context for the work tree at `root`: its policy, and every record there as a name source
    (the records among `files` are reused rather than read twice)."""
    given = {f.path: f for f in files}
    records = [given.get(p) or _read_file(root, p) for p in _record_paths(root)]
    return Context(Policy.load(root), worktree_reader(root), identities, commit_message=commit_message,
                   author=author, record_sources=[r for r in records if r is not None])


def worktree_files(root: Path, paths: list[str] | None = None) -> list[FileInput]:
    """The files named (relative to root), or with paths=None every file git tracks or would add."""
    rels = _all_paths(root) if paths is None else [_relative(root, p) for p in paths]
    files = []
    for rel in rels:
        f = _read_file(root, rel)
        if f is None and paths is not None:
            raise SaikenError("ファイルがありません。", where=rel, hint="`saiken check --all` で全体を検査できます。")
        if f is not None:
            files.append(f)
    return files


def _relative(root: Path, path: str) -> str:
    full = (Path.cwd() / path).resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise SaikenError("記録リポジトリの外のファイルです。", where=path) from None


def _read_file(root: Path, rel: str) -> FileInput | None:
    path = root / rel
    if not path.is_file():
        return None
    return FileInput(rel, path.read_bytes())


def _all_paths(root: Path) -> list[str]:
    if (root / ".git").exists():
        out = gitio.run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root)
        return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(root).parts)


def _record_paths(root: Path) -> list[str]:
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        return []
    return sorted(f"{RECORDS_DIR}/{p.name}" for p in folder.glob(f"*{SUFFIX}"))
