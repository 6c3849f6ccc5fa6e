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

Per-file checks run file by file (each record decrypted and parsed once, for every check), in
forked workers when there are many files (`SAIKEN_PARALLEL_MIN`, 400 by default); whole-set checks
run after them, in the parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Iterable

from saiken.checks import ERROR, WARNING, FileInput, Finding, registry, unreadable_name
from saiken.checks.cache import ResultCache, content_id
from saiken.checks.cache import key as cache_key
from saiken.checks.consents import valid_consents
from saiken.checks.context import TERMS_MEMO, CheckInput, Context
from saiken.checks.pii_terms import record_terms, term_entries
from saiken.core import bulk
from saiken.core.layout import RECORDS_DIR, SUFFIX
from saiken.errors import SaikenError
from saiken.redaction import has_quotes, shown


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


def _readable_names(files: list[FileInput]) -> tuple[list[FileInput], list[Finding]]:
    """The files whose names read as UTF-8, and a refusal for each other one (checked no further:
    a name in another code cannot be judged, and no check could print it)."""
    from saiken.checks import paths

    good = [f for f in files if not unreadable_name(f.path)]
    return good, [paths.unreadable(f.path) for f in files if unreadable_name(f.path)]


@bulk.no_gc
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
    files, unreadable = _readable_names(files)
    inp = CheckInput.prepare(files, ctx)
    inp.cache_dir = cache_dir
    if repository:
        read_every_policy(inp, [f.path for f in files if f.path.startswith("policies/") and f.path.endswith(".yaml")])
    cache = ResultCache(cache_dir, inp.policy_hash()) if cache_dir is not None else None
    per_file = [(n, checks[c]) for n, c in enumerate(wanted) if hasattr(checks[c], "check_file")]
    # a check that normalises the opened record in place (NORMALISES) looks last; findings are
    # reported in the order of `wanted` all the same
    per_file.sort(key=lambda pm: bool(getattr(pm[1], "NORMALISES", False)))
    done = _per_file_phase(per_file, inp, cache, want_terms="pii_outside" in wanted and bool(ctx.identities))
    if cache is not None:
        for k in done.clean:
            cache.mark_clean(k)
    inp.memo[TERMS_MEMO] = done.terms  # pii_outside takes these instead of opening the records again
    by_check: dict[int, list[Finding]] = {}
    for pos, _, finding in sorted(done.findings, key=lambda t: (t[0], t[1])):
        by_check.setdefault(pos, []).append(finding)
    found: list[Finding] = list(unreadable)
    for n, cid in enumerate(wanted):
        module = checks[cid]
        found.extend(by_check.get(n, []) if hasattr(module, "check_file") else _run_whole(module, inp, cache))
    if cache is not None:
        cache.save()
    report = Report(files=len(files), notes=_notes(files, ctx, done.unopened))
    consents = valid_consents(inp)
    for f in dict.fromkeys(_masked_files(found)):  # drop duplicates, keep order
        consent = consents.get(f.consent_key) if f.consent_key else None
        if consent:
            report.lifted.append((f, consent))
        else:
            report.findings.append(f)
    return report


def read_every_policy(inp: CheckInput, paths: list[str]) -> None:
    """Read every policy file (`paths`) now, also those the checks read only when they need them
    (the push destinations at a push, the incident deadlines once there is an incident): a file
    broken by hand is named today – by a whole-repository run, and when new rules are let in
    (saiken.checks.trust) – not at the moment it is relied on."""
    from saiken.checks import evidence, remote

    for path in paths:
        inp.file_yaml(path)  # raises SaikenError naming a file that is not UTF-8 YAML mapping
    remote.patterns(inp)
    rules = inp.file_yaml(evidence.INCIDENT_RULES)
    for wrongful in (False, True):
        evidence.incident_days(rules, wrongful)


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


@dataclass
class _Done:
    """What the per-file checks of some files gave: findings as (check position, file index,
    finding), cache keys found clean, the personal-data terms of the records opened on the way
    (by content id, for pii_outside) and how many records did not open."""

    findings: list[tuple[int, int, Finding]] = field(default_factory=list)
    clean: list[str] = field(default_factory=list)
    terms: dict[str, list[list[object]]] = field(default_factory=dict)
    unopened: int = 0

    def add(self, other: "_Done") -> None:
        self.findings += other.findings
        self.clean += other.clean
        self.terms.update(other.terms)
        self.unopened += other.unopened


def _per_file_phase(per_file: list[tuple[int, ModuleType]], inp: CheckInput, cache: ResultCache | None,
                    want_terms: bool) -> _Done:
    """Every per-file check on every file, file by file: a record is decrypted and parsed once,
    all checks look at it, its search terms are taken if pii_outside will need them, and it is
    dropped before the next file (10,000 records are never all in memory at once). Many files are
    spread over forked workers (saiken.core.bulk.in_chunks)."""
    todo = [i for i, f in enumerate(inp.files)
            if cache is None or not all(cache.is_clean(_key(m, f)) for _, m in per_file)]
    done = _Done()
    for part in bulk.in_chunks(lambda indices: _work_on(per_file, inp, cache, want_terms, indices), todo):
        done.add(part)
    return done


def _key(module: ModuleType, f: FileInput) -> str:
    # a symbolic link whose target reads like a clean file's content has that file's blob id
    return cache_key(module.ID, f.path, content_id(f), *([f.mode] if f.mode else []))


def _work_on(per_file: list[tuple[int, ModuleType]], inp: CheckInput, cache: ResultCache | None,
             want_terms: bool, indices: list[int]) -> _Done:
    done = _Done()
    for i in indices:
        f = inp.files[i]
        for pos, module in per_file:
            k = _key(module, f) if cache is not None else ""
            if cache is not None and cache.is_clean(k):
                continue
            found = list(module.check_file(f, inp))
            if cache is not None and not found:
                done.clean.append(k)
            done.findings.extend((pos, i, finding) for finding in found)
        rec = inp.forget(f)
        if rec is None:
            continue
        if rec.data is None:
            done.unopened += 1
        elif want_terms:
            done.terms[content_id(f)] = term_entries(record_terms(rec.data, rec.case_id))
    return done


def _masked_files(found: list[Finding]) -> list[Finding]:
    """A file whose name holds a party's name (pii_outside quotes it in the path) is named the same
    way in every finding about it, so a log hides the name in all of them (saiken.redaction)."""
    masked = {shown(f.file): f.file for f in found if has_quotes(f.file)}
    if not masked:
        return found
    return [replace(f, file=masked[f.file], message=f.message.replace(f.file, masked[f.file]))
            if f.file in masked else f for f in found]


def _run_whole(module: ModuleType, inp: CheckInput, cache: ResultCache | None) -> list[Finding]:
    """A check over the whole set; cached only when the module can name what its result depends on."""
    k = module.cache_key(inp) if cache is not None and hasattr(module, "cache_key") else None
    if cache is not None and k is not None and cache.is_clean(k):
        return []
    found = list(module.check(inp))
    if cache is not None and k is not None and not found:
        cache.mark_clean(k)
    return found


def _notes(files: list[FileInput], ctx: Context, unopened: int) -> list[str]:
    records = [f for f in files if f.path.startswith(RECORDS_DIR + "/") and f.path.endswith(SUFFIX)]
    if records and not ctx.identities:
        return ["鍵が設定されていないため、記録の内容（特記事項3・5）と記録から取った氏名等の検査"
                "（特記事項2・7）は行いませんでした。SAIKEN_IDENTITY に鍵ファイルを指定すると検査します。"]
    if records and unopened:
        return [f"{unopened} 件の記録はお手元の鍵で開けなかったため、内容を検査していません。"]
    return []
