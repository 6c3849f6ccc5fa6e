"""The Git hooks and `saiken check --range`: where the checks meet git.

Every hook ends in the one runner (saiken.checks.runner.run) over FileInputs:
    pre-commit   the staged blobs (only what the commit changes), policies from the index
    commit-msg   the message and the author (`git var GIT_AUTHOR_IDENT`), with the staged blobs
    pre-push     every commit not yet on the remote, one by one, and the remote's URL (term 6)
    pre-receive  every pushed commit, in a bare repository (client hooks can be skipped with
                 --no-verify; this one cannot)
A pushed range is judged by the rules of its trusted base – the protected branch's previous tip,
or a merge base with it (saiken.checks.bases) – and the signed changes since (saiken.checks.trust),
never by rules the push itself brings; saiken.checks.commits walks its commits.

What a push sends beside the files is judged too (pre-push, pre-receive, check --range): the names
of the branches and tags, the messages of annotated tags, and notes (refs/notes/*: each notes
commit's message and the notes it adds) – as text, like a file (saiken.checks.git_texts, judged by
pii_outside by the trusted rules, against the records of the pushed tree).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from saiken import redaction
from saiken.checks import Finding, bases, receipt_pusher
from saiken.checks.commits import CommitReport, check_commits, identities
from saiken.checks.context import Context, is_rule_file
from saiken.checks.git_texts import (HEADERS, NOTE, GitText, commit_texts, local_notes_refs, note_text, pushed_ref_texts,
                                     ref_texts)
from saiken.checks.runner import Report, run
from saiken.checks.sources import index_files, tree_context
from saiken.checks.trust import Rules
from saiken.core.layout import RECORDS_DIR
from saiken.errors import SaikenError
from saiken.git import gitio

__all__ = ["CommitReport", "check_commits", "identities"]  # where the range checks were first

MESSAGE_CHECKS = ("pii_outside", "author")


def author_ident(cwd: Path) -> str:
    """"Name <email>" of the commit being made (env, -c and config, as git itself resolves it)."""
    return _ident(cwd, "AUTHOR")


def _ident(cwd: Path, who: str) -> str:
    ident = gitio.text(["var", f"GIT_{who}_IDENT"], cwd).strip()
    return ident[: ident.rfind(">") + 1] if ">" in ident else ident


# --- client hooks on a commit -------------------------------------------------------------------

def pre_commit(root: Path, cache_dir: Path | None) -> Report:
    files, entries = index_files(root)
    return run(files, tree_context(root, entries, identities(), files), cache_dir=cache_dir)


def commit_msg(root: Path, message: str, cache_dir: Path | None) -> Report:
    files, entries = index_files(root)
    ctx = tree_context(root, entries, identities(), files, commit_message=message, author=author_ident(root))
    ctx.texts = [GitText(HEADERS, "（これから作るコミット）", "\n".join(_ident(root, who) for who in ("AUTHOR", "COMMITTER")),
                         about="new")]
    return run(files, ctx, only=MESSAGE_CHECKS, cache_dir=cache_dir)


HOOK_FIX = "各行の対処のとおりに直してから、もう一度実行してください。"


def finish(report: Report, what: str, echo: Callable[[str], None]) -> None:
    """Show a hook's findings; refuse (SaikenError, exit 1) when any is an error. In CI the
    record's text in them is hidden (saiken.redaction)."""
    redact = redaction.wanted()
    for f in report.findings:
        echo(f.render(redact))
    if redact and any(f.quotes_record for f in report.findings):
        echo("注意: " + redaction.NOTE)
    if report.exit_code:
        raise SaikenError(f"{what}: 特記事項に反する箇所が {len(report.errors)} 件あるため、中止しました。", hint=HOOK_FIX)


def run_pre_commit(echo: Callable[[str], None]) -> None:
    """`saiken hook pre-commit`: the staged content of the repository around the current folder."""
    from saiken.checks.cache import CACHE_DIR
    from saiken.core.records import find_root

    root = find_root()
    finish(pre_commit(root, root / CACHE_DIR), "コミット", echo)


def run_commit_msg(message_file: str | Path, echo: Callable[[str], None]) -> None:
    """`saiken hook commit-msg FILE`: the message in FILE and the author of the commit being made."""
    from saiken.checks.cache import CACHE_DIR
    from saiken.core.records import find_root

    root = find_root()
    try:
        message = Path(message_file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SaikenError("コミットメッセージが UTF-8 ではありません。", where=str(message_file)) from None
    report = commit_msg(root, message, root / CACHE_DIR)
    if _holds_personal_data(report) and _wipe_message(root, Path(message_file)):
        echo(f"注意: 氏名などを含むメッセージを {message_file} から消去しました（コミットしなかったメッセージを"
             "残さないため）。事案番号を使って書き直し、もう一度 git commit を実行してください。")
    finish(report, "コミット", echo)


def _holds_personal_data(report: Report) -> bool:
    from saiken.checks.pii_outside import COMMIT_MESSAGE, ID

    return any(f.check == ID and f.file == COMMIT_MESSAGE for f in report.errors)


def _wipe_message(root: Path, path: Path) -> bool:
    """A refused message stays in .git/COMMIT_EDITMSG (or MERGE_MSG) after git gives up: the name
    that refused it would stay on disk. Only a message file inside the git directory is git's to
    overwrite; a file the user passed by hand is theirs."""
    git_dir = Path(gitio.text(["rev-parse", "--absolute-git-dir"], root).strip()).resolve()
    if not path.resolve().is_relative_to(git_dir):
        return False
    path.write_text("# saiken: 氏名などを含んでいたため、このメッセージは消去しました。\n", encoding="utf-8")
    return True


# --- commit ranges (check --range, pre-push, pre-receive) -----------------------------------------

def range_args(spec: str, cwd: Path) -> list[str]:
    """`OLD..NEW` (or one commit: its whole history) as rev-list arguments; OLD may be git's zero id.
    A name that is no commit in `cwd` is refused here, in Japanese, rather than by git's rev-list."""
    if not spec or spec.startswith("-") or any(ch.isspace() for ch in spec):
        raise SaikenError(f"範囲「{spec}」の形式が正しくありません。", hint="saiken check --range origin/main..HEAD")
    old, sep, new = spec.partition("..")
    for rev in (old, new):
        if rev and not gitio.is_zero(rev) and gitio.resolve_commit(cwd, rev) is None:
            raise SaikenError(f"範囲「{spec}」の「{rev}」というコミット（ブランチ・タグ）が見つかりません。",
                              hint="`git log --oneline` と `git branch -a` で名前を確かめてください"
                                   "（例: saiken check --range origin/main..HEAD）。")
    if not sep:
        return [spec]
    if not old or gitio.is_zero(old):
        return [new or "HEAD", "--not", "--all"] if old else [new or "HEAD"]
    return [f"{old}..{new or 'HEAD'}"]


def range_tip(spec: str) -> str:
    """The newest commit a range names (its records judge the repository's refs)."""
    return spec.partition("..")[2] or (spec if ".." not in spec else "") or "HEAD"


def range_base(spec: str, cwd: Path) -> str | None:
    """The trusted base of `OLD..NEW`: OLD, whose rules judge the range; None when the range has no
    OLD (its own beginning is trusted, as on a first push)."""
    old, sep, _ = spec.partition("..")
    if not sep or not old or gitio.is_zero(old):
        return None
    return gitio.resolve_commit(cwd, old)


def check_remote(cwd: Path, rules: Rules, tip: str, url: str) -> CommitReport | None:
    """The remote a push goes to, against policies/remotes.yaml of the rules in force at the pushed
    tip (term 6). A tree without records/ (saiken's own source) is not a records repository."""
    if not gitio.run(["ls-tree", tip, "--", RECORDS_DIR], cwd).strip():
        return None
    ctx = Context(rules.policy, rules.read)
    ctx.remote = url
    return CommitReport(None, run([], ctx, only=("remote",)))


# --- push hooks -------------------------------------------------------------------------------

def check_push(cwd: Path, side: bases.Side, updates: list[tuple[str, str, str]], cache_dir: Path | None,
               *, url: str | None = None) -> list[CommitReport]:
    """Every (old, new, ref) of one push, each ref from its own trusted base; with `url` (before a
    push) the destination too, against the rules in force at the first pushed tip."""
    plans, refused = bases.plan_push(side, updates)
    out = [CommitReport(None, Report(findings=list(refused)))] if refused else []
    seen: set[str] = set()
    after: dict[str, Rules] = {}
    for plan in plans:
        out += check_commits(cwd, plan.rev_args, base=plan.base, cache_dir=cache_dir, seen=seen, after=after)
    if url is not None and plans:
        tip = plans[0].rev_args[0]
        rules = after.get(tip) or Rules.load_base(cwd, plan_base(plans[0]))
        found = check_remote(cwd, rules, tip, url)
        out[:0] = [found] if found is not None else []
    return out


def plan_base(plan: bases.Plan) -> str:
    """The commit whose rules stand for a plan with nothing to judge (its base, or its tip)."""
    return plan.base or plan.rev_args[0]


def pre_push(cwd: Path, remote: str, url: str, lines: Iterable[str], cache_dir: Path | None) -> list[CommitReport]:
    """git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line."""
    updates, texts, notes = [], [], []
    for p in (line.split() for line in lines):
        if len(p) != 4:
            continue
        if _is_notes(p[0]) or _is_notes(p[2]):
            if not gitio.is_zero(p[1]):
                args = [p[1], "--not", f"--remotes={remote}"]
                notes.append((p[2] if _is_notes(p[2]) else p[0], args))
            continue
        updates.append((p[3], p[1], p[2]))
        if not gitio.is_zero(p[1]):
            texts += pushed_ref_texts(cwd, p[0], p[1], p[2])
    side = bases.Side.remote(cwd, remote)
    return check_push(cwd, side, updates, cache_dir, url=url) + check_sent(cwd, side, updates, texts, notes, cache_dir)


def pre_commit_push_lines(cwd: Path) -> list[str] | None:
    """The pushed refs as far as the pre-commit framework lets a hook know them; None when not
    run by pre-commit.

    pre-commit reads git's stdin itself and describes only the first ref that has new commits
    (PRE_COMMIT_FROM_REF/TO_REF); `git push origin a b` would leave b unchecked. So every local
    branch, tag and HEAD follows that ref, as if pushed too: its commits not yet on the remote are
    checked, and so are the local notes refs (their notes not yet on the remote). A violation on a
    branch that is not being pushed then stops the push as well – it is a violation all the same,
    and the finding names its commit."""
    env = os.environ
    if "PRE_COMMIT_REMOTE_URL" not in env and "PRE_COMMIT_TO_REF" not in env:
        return None
    to_ref = env.get("PRE_COMMIT_TO_REF")
    local_ref = env.get("PRE_COMMIT_LOCAL_BRANCH", "HEAD")
    if not to_ref:  # pushing a whole history from its root commit
        to_ref = gitio.text(["rev-parse", "--verify", local_ref + "^{commit}"], cwd).strip()
    from_ref = env.get("PRE_COMMIT_FROM_REF") or gitio.ZERO
    first = f"{local_ref} {to_ref} {env.get('PRE_COMMIT_REMOTE_BRANCH', '-')} {from_ref}"
    return [first] + [f"{ref} {oid} {ref} {gitio.ZERO}" for ref, oid in gitio.local_commit_refs(cwd) + local_notes_refs(cwd)]


SERVER_CACHE = "saiken-cache"


def pre_receive(cwd: Path, lines: Iterable[str]) -> list[CommitReport]:
    """git's pre-receive stdin: `<old> <new> <ref>` per line; runs in the (bare) receiving repository.

    During pre-receive the refs are not yet moved: the protected branch's tip is still the one
    accepted before. The checks' cache (hashes, and terms encrypted to the server's own key: no
    plaintext) lives in the git directory, next to the objects, so 10,000 records are not opened
    again on every push."""
    git_dir = Path(gitio.text(["rev-parse", "--absolute-git-dir"], cwd).strip())
    cache_dir = git_dir / SERVER_CACHE
    updates, texts, notes = [], [], []
    for p in (line.split() for line in lines):
        if len(p) != 3:
            continue
        if _is_notes(p[2]):
            if not gitio.is_zero(p[1]):
                notes.append((p[2], [p[1], "--not", "--all"]))
            continue
        updates.append((p[0], p[1], p[2]))
        if not gitio.is_zero(p[1]):
            texts += ref_texts(cwd, p[2], p[1])
    side = bases.Side.server(cwd)
    reports = check_push(cwd, side, updates, cache_dir) + check_sent(cwd, side, updates, texts, notes, cache_dir)
    found = receipt_pushers(cwd, updates)
    for r in reports:  # each commit reported once, with these findings added to its own
        if r.commit in found:
            r.report.findings.extend(found.pop(r.commit))
    return reports + [CommitReport(c, Report(findings=f)) for c, f in found.items()]


def receipt_pushers(cwd: Path, updates: list[tuple[str, str, str]]) -> dict[str, list[Finding]]:
    """Behind gitolite: the receipts a push adds come from their receivers (checks.receipt_pusher)."""
    who = receipt_pusher.pusher()
    news = [new for _, new, _ in updates if not gitio.is_zero(new)]
    if who is None or not news:
        return {}
    return receipt_pusher.findings(cwd, gitio.rev_list(cwd, [*news, "--not", "--all"]), who)


# --- names, tag messages and notes (pre-push, pre-receive, check --range) ----------------------------

def _is_notes(ref: str) -> bool:
    return ref.startswith("refs/notes/")


@dataclass(frozen=True)
class TextJudge:
    """What names, tag messages and notes are judged by: the trusted rules (`rules_at`, never a
    commit the push brings once a protected branch exists) and the records of `records_at` (the
    pushed tree: a name may belong to a record the same push adds)."""

    rules_at: str
    records_at: str

    def context(self, cwd: Path, *, commit_message: str | None = None, author: str | None = None) -> Context:
        rules = Rules.load_base(cwd, self.rules_at)
        ctx = tree_context(cwd, gitio.tree_entries(cwd, self.records_at), identities(), [],
                           commit_message=commit_message, author=author)
        tree_read = ctx.read
        ctx.policy = rules.policy
        ctx.read = lambda rel: rules.read(rel) if is_rule_file(rel) else tree_read(rel)
        ctx.message_committed = True
        return ctx


def check_sent(cwd: Path, side: bases.Side, updates: list[tuple[str, str, str]], texts: list[GitText],
               notes: list[tuple[str, list[str]]], cache_dir: Path | None) -> list[CommitReport]:
    """The names and tag messages of a push, and its notes commits, by the trusted rules."""
    if not texts and not notes:
        return []
    pushed = next((c for c in (gitio.resolve_commit(cwd, new) for _, new, ref in updates
                               if not gitio.is_zero(new) and ref.startswith("refs/heads/")) if c), None)
    _, tip = bases.protected_branch(side)
    rules_at = tip or pushed or _any_branch(cwd)
    judge = TextJudge(rules_at, pushed or rules_at)
    out: list[CommitReport] = []
    seen: set[str] = set()
    for ref, rev_args in notes:
        out += check_notes(cwd, ref, rev_args, judge, cache_dir, seen)
    found = check_texts(cwd, texts, judge, cache_dir)
    return out + ([found] if found is not None else [])


def check_texts(cwd: Path, texts: list[GitText], judge: TextJudge, cache_dir: Path | None) -> CommitReport | None:
    """Names and tag messages against the trusted rules and the pushed records."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        return None
    ctx = judge.context(cwd)
    ctx.texts = texts
    return CommitReport(None, run([], ctx, only=("pii_outside",), cache_dir=cache_dir))


def check_notes(cwd: Path, ref: str, rev_args: list[str], judge: TextJudge, cache_dir: Path | None,
                seen: set[str]) -> list[CommitReport]:
    """Each notes commit `rev_args` names: its message and author, and the notes it adds (never as
    files of the tree: a notes tree holds text about objects)."""
    commits = [c for c in gitio.rev_list(cwd, rev_args) if c[0] not in seen]
    seen.update(c[0] for c in commits)
    if not commits:
        return []
    changed = gitio.changed_blobs(cwd, commits)
    objects = dict(gitio.cat_blobs(cwd, [c[0] for c in commits] + [o for p in changed.values() for o in p.values()]))
    out = []
    for c in commits:
        author, message = gitio.parse_commit(objects.get(c[0]) or b"")
        ctx = judge.context(cwd, commit_message=message, author=author)
        ctx.texts = [*commit_texts(c[0], objects.get(c[0]) or b""),
                     *(GitText(NOTE, ref, note_text(objects.get(oid)), about=path.replace("/", ""))
                       for path, oid in sorted(changed.get(c[0], {}).items()))]
        out.append(CommitReport(c[0], run([], ctx, only=MESSAGE_CHECKS, cache_dir=cache_dir)))
    return out


def _any_branch(cwd: Path) -> str:
    """HEAD, else the first branch (a bare server's HEAD may name a branch that was never pushed)."""
    branches = gitio.text(["for-each-ref", "--count=1", "--format=%(refname)", "refs/heads"], cwd).split()
    commit = next((c for c in (gitio.resolve_commit(cwd, r) for r in ("HEAD", *branches)) if c), None)
    if commit is None:
        raise SaikenError("ブランチの名前・タグ・ノートを、記録リポジトリの方針と照らして検査できません"
                          "（照らすコミットがありません）。", hint="先にブランチ（main など）を push してください。")
    return commit


def check_repository_refs(cwd: Path, rules_at: str | None, records_at: str, cache_dir: Path | None) -> list[CommitReport]:
    """`check --range`: every branch and tag name and tag message, and every notes ref's history, by
    the range's trusted base (`rules_at`, else the tip) against the records of the tip."""
    tip = gitio.resolve_commit(cwd, records_at) or _any_branch(cwd)
    judge = TextJudge(rules_at or tip, tip)
    refs = gitio.text(["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags", "refs/notes"], cwd)
    texts: list[GitText] = []
    out: list[CommitReport] = []
    seen: set[str] = set()
    for ref, oid in (line.split(" ") for line in refs.splitlines() if line):
        if _is_notes(ref):
            out += check_notes(cwd, ref, [oid], judge, cache_dir, seen)
        else:
            texts += ref_texts(cwd, ref, oid)
    found = check_texts(cwd, texts, judge, cache_dir)
    return out + ([found] if found is not None else [])


# --- reporting --------------------------------------------------------------------------------

def errors(reports: list[CommitReport]) -> list[Finding]:
    return [f for r in reports for f in r.report.errors]


def render(reports: list[CommitReport], redact: bool = False) -> str:
    """The findings of every commit and a summary; `redact` hides the record's text (a log)."""
    lines = [line for r in reports for line in r.lines(redact)]
    commits = sum(1 for r in reports if r.commit)
    lines.append(f"検査したコミット {commits} 件: エラー {len(errors(reports))} 件、"
                 f"警告 {sum(len(r.report.warnings) for r in reports)} 件")
    if redact and any(f.quotes_record for r in reports for f in r.report.findings):
        lines.append("注意: " + redaction.NOTE)
    return "\n".join(lines)
