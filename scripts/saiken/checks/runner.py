"""The one code path that runs the checks, wherever they are run from.

    files = sources.worktree_files(root)        # or sources.index_files(root), sources.commit_files(...)
    report = run(files, sources.worktree_context(root, identities, files), repository=True)
    report.exit_code  # 1 on any error-level finding

The input is a list of FileInput (path + bytes), so the same run serves `saiken check` on the
work tree, pre-commit on staged blobs and pre-receive on pushed commits in a bare repository.

With a cache folder, results that were clean are not recomputed (saiken.checks.cache): a per-file
check's result depends only on the file's path and bytes (its git blob id) and on
`CheckInput.policy_hash()`; a whole-set check may name its own key (`cache_key(inp)`). The cache
holds only hashes of clean inputs, never plaintext and never a finding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable

from saiken.checks import ERROR, WARNING, FileInput, Finding, registry
from saiken.checks.cache import ResultCache, content_id
from saiken.checks.cache import key as cache_key
from saiken.checks.consents import valid_consents
from saiken.checks.context import CheckInput, Context
from saiken.errors import SaikenError
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


def run(files: list[FileInput], ctx: Context, *, only: Iterable[str] | None = None,
        cache_dir: Path | None = None, repository: bool = False) -> Report:
    """Run the checks (all, or `only`) over `files`; with `cache_dir`, skip what was clean before.

    `repository`: `files` is the whole repository, so repository-level checks (SCOPE) run too."""
    checks = registry()
    wanted = list(only) if only else [c for c, m in checks.items()
                                      if repository or getattr(m, "SCOPE", "files") != "repository"]
    unknown = [c for c in wanted if c not in checks]
    if unknown:
        raise SaikenError(f"検査 ID「{', '.join(unknown)}」はありません。", hint=f"使える検査: {', '.join(checks)}")
    inp = CheckInput.prepare(files, ctx)
    inp.cache_dir = cache_dir
    cache = ResultCache(cache_dir, inp.policy_hash()) if cache_dir is not None else None
    found: list[Finding] = []
    for cid in wanted:
        module = checks[cid]
        found.extend(_run_per_file(module, inp, cache) if hasattr(module, "check_file")
                     else _run_whole(module, inp, cache))
    if cache is not None:
        cache.save()
    report = Report(files=len(files), notes=_notes(files, ctx, inp))
    consents = valid_consents(inp)
    for f in dict.fromkeys(found):  # drop duplicates, keep order
        consent = consents.get(f.consent_key) if f.consent_key else None
        if consent:
            report.lifted.append((f, consent))
        else:
            report.findings.append(f)
    return report


def check_worktree(root: Path, identities: list, *, paths: list[str] | None = None,  # type: ignore[type-arg]
                   only: Iterable[str] | None = None, as_of: dt.date | None = None, cache_dir: Path | None = None,
                   commit_message: str | None = None) -> Report:
    """The work tree's files (all when `paths` is None, and then the repository-level checks too)
    against the terms: what `saiken check [FILES] / --all` and the site's status page both run."""
    from saiken.checks.sources import worktree_context, worktree_files

    files = worktree_files(root, paths)
    ctx = worktree_context(root, identities, files, commit_message=commit_message)
    ctx.as_of = as_of
    return run(files, ctx, only=only, cache_dir=cache_dir, repository=paths is None)


def _run_per_file(module: ModuleType, inp: CheckInput, cache: ResultCache | None) -> list[Finding]:
    out: list[Finding] = []
    for f in inp.files:
        k = cache_key(module.ID, f.path, content_id(f)) if cache is not None else ""
        if cache is not None and cache.is_clean(k):
            continue
        found = list(module.check_file(f, inp))
        if cache is not None and not found:
            cache.mark_clean(k)
        out.extend(found)
    return out


def _run_whole(module: ModuleType, inp: CheckInput, cache: ResultCache | None) -> list[Finding]:
    """A check over the whole set; cached only when the module can name what its result depends on."""
    k = module.cache_key(inp) if cache is not None and hasattr(module, "cache_key") else None
    if cache is not None and k is not None and cache.is_clean(k):
        return []
    found = list(module.check(inp))
    if cache is not None and k is not None and not found:
        cache.mark_clean(k)
    return found


def _notes(files: list[FileInput], ctx: Context, inp: CheckInput) -> list[str]:
    records = [f for f in files if f.path.startswith(RECORDS_DIR + "/") and f.path.endswith(SUFFIX)]
    if records and not ctx.identities:
        return ["鍵が設定されていないため、記録の内容（特記事項3・5）と記録から取った氏名等の検査"
                "（特記事項2・7）は行いませんでした。SAIKEN_IDENTITY に鍵ファイルを指定すると検査します。"]
    unopened = sum(1 for rec in inp.opened.values() if rec.data is None)
    if records and unopened:
        return [f"{unopened} 件の記録はお手元の鍵で開けなかったため、内容を検査していません。"]
    return []
