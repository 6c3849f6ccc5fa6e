"""The Git hooks and `saiken check --range`: where the checks meet git.

Every hook ends in the one runner (saiken.checks.runner.run) over FileInputs:
    pre-commit   the staged blobs (only what the commit changes), policies from the index
    commit-msg   the message and the author (`git var GIT_AUTHOR_IDENT`), with the staged blobs
    pre-push     every commit not yet on the remote, one by one, and the remote's URL (term 6)
    pre-receive  every pushed commit, in a bare repository: files, message, author and the
                 policies all come from the pushed commits themselves (client hooks can be
                 skipped with --no-verify; this one cannot)
A commit range is read with one rev-list, one diff-tree and one cat-file for all commits (plus
one ls-tree per commit for its policies), so a file added and removed again inside one push is
still seen in the commit that added it.

What a push sends beside the files is judged too (pre-push, pre-receive, check --range): the names
of the branches and tags, the messages of annotated tags, and notes (refs/notes/*: each notes
commit's message and the notes it adds) – as text, like a file (saiken.checks.git_texts, judged by
pii_outside against the records of one tree of the push).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from saiken import redaction
from saiken.checks import FileInput, Finding
from saiken.checks.git_texts import NOTE, GitText, local_notes_refs, note_text, pushed_ref_texts, ref_texts
from saiken.checks.runner import Report, run
from saiken.checks.sources import index_files, tree_context
from saiken.core import crypto
from saiken.core.records import RECORDS_DIR
from saiken.errors import SaikenError
from saiken.git import gitio

MESSAGE_CHECKS = ("pii_outside", "author")


@dataclass
class CommitReport:
    """The findings of one commit (or of the push itself: commit None)."""

    commit: str | None
    report: Report

    def lines(self, redact: bool = False) -> list[str]:
        label = f"コミット {self.commit[:10]}: " if self.commit else ""
        return [label + f.render(redact) for f in self.report.findings]


_LOADED: dict[str, list[crypto.LoadedIdentity]] = {}


def identities() -> list[crypto.LoadedIdentity]:
    """The runner's identities when it has any; checks without them still look at what they can.
    Loaded once per process (a push judges commits, names and notes: one passphrase prompt)."""
    if not os.environ.get(crypto.ENV_IDENTITY) and not crypto.default_identity_path().exists():
        return []
    where = os.environ.get(crypto.ENV_IDENTITY, "")
    if where not in _LOADED:
        _LOADED[where] = crypto.load_identities()
    return _LOADED[where]


def author_ident(cwd: Path) -> str:
    """"Name <email>" of the commit being made (env, -c and config, as git itself resolves it)."""
    ident = gitio.text(["var", "GIT_AUTHOR_IDENT"], cwd).strip()
    return ident[: ident.rfind(">") + 1] if ">" in ident else ident


# --- client hooks on a commit -------------------------------------------------------------------

def pre_commit(root: Path, cache_dir: Path | None) -> Report:
    files, entries = index_files(root)
    return run(files, tree_context(root, entries, identities(), files), cache_dir=cache_dir)


def commit_msg(root: Path, message: str, cache_dir: Path | None) -> Report:
    files, entries = index_files(root)
    ctx = tree_context(root, entries, identities(), files, commit_message=message, author=author_ident(root))
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

def check_commits(cwd: Path, rev_args: list[str], *, cache_dir: Path | None = None,
                  seen: set[str] | None = None) -> list[CommitReport]:
    """Check every commit `git rev-list rev_args` names: the files it added or changed, its message
    and author, against the policies of its own tree."""
    commits = [c for c in gitio.rev_list(cwd, rev_args) if seen is None or c[0] not in seen]
    if seen is not None:
        seen.update(c[0] for c in commits)
    changed = gitio.changed_blobs(cwd, commits)
    wanted = [c[0] for c in commits] + sorted({oid for paths in changed.values() for oid in paths.values()})
    objects = dict(gitio.cat_blobs(cwd, wanted))
    ids = identities()
    out = []
    for c in commits:
        raw = objects.get(c[0])
        if raw is None:
            raise SaikenError(f"コミット {c[0]} を読めません。", hint="git fsck で確認してください。")
        author, message = gitio.parse_commit(raw)
        files = [FileInput(p, objects[oid], oid) for p, oid in sorted(changed.get(c[0], {}).items())
                 if objects.get(oid) is not None]
        ctx = tree_context(cwd, gitio.tree_entries(cwd, c[0]), ids, files, commit_message=message, author=author)
        ctx.message_committed = True
        out.append(CommitReport(c[0], run(files, ctx, cache_dir=cache_dir)))
    return out


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
    """The newest commit a range names (its policies and records judge the repository's refs)."""
    return spec.partition("..")[2] or (spec if ".." not in spec else "") or "HEAD"


def check_remote(cwd: Path, tip: str, url: str) -> CommitReport | None:
    """The remote a push goes to, against policies/remotes.yaml of the pushed tip (term 6).
    A tree without records/ (saiken's own source) is not a records repository: not judged."""
    entries = gitio.tree_entries(cwd, tip)
    if not any(p.startswith(RECORDS_DIR + "/") for p in entries):
        return None
    ctx = tree_context(cwd, entries, [], [])
    ctx.remote = url
    return CommitReport(None, run([], ctx, only=("remote",)))


# --- push hooks -------------------------------------------------------------------------------

def pre_push(cwd: Path, remote: str, url: str, lines: Iterable[str], cache_dir: Path | None) -> list[CommitReport]:
    """git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line."""
    out: list[CommitReport] = []
    seen: set[str] = set()
    texts: list[GitText] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or gitio.is_zero(parts[1]):
            continue  # a deletion pushes no content
        local_sha, remote_sha = parts[1], parts[3]
        args = [local_sha, "--not", f"--remotes={remote}"]
        if not gitio.is_zero(remote_sha) and _exists(cwd, remote_sha):
            args.append(remote_sha)
        if _is_notes(parts[0]) or _is_notes(parts[2]):
            out += check_notes(cwd, parts[2] if _is_notes(parts[2]) else parts[0], args, "HEAD", cache_dir, seen)
            continue
        if not out:
            found = check_remote(cwd, local_sha, url)
            if found is not None:
                out.append(found)
        out += check_commits(cwd, args, cache_dir=cache_dir, seen=seen)
        texts += pushed_ref_texts(cwd, parts[0], local_sha, parts[2])
    found = check_texts(cwd, texts, "HEAD", cache_dir)
    return out + ([found] if found is not None else [])


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

    During pre-receive the refs are not yet moved, so `--not --all` leaves exactly the new commits.
    The checks' cache (hashes, and terms encrypted to the server's own key: no plaintext) lives in
    the git directory, next to the objects, so 10,000 records are not opened again on every push."""
    out: list[CommitReport] = []
    seen: set[str] = set()
    git_dir = Path(gitio.text(["rev-parse", "--absolute-git-dir"], cwd).strip())
    cache_dir = git_dir / SERVER_CACHE
    updates = [parts for parts in (line.split() for line in lines) if len(parts) == 3 and not gitio.is_zero(parts[1])]
    # names and notes are judged against the records of the first branch pushed (or the server's HEAD)
    base = next((new for _, new, ref in updates if not _is_notes(ref) and gitio.resolve_commit(cwd, new)), "HEAD")
    texts: list[GitText] = []
    for _, new, ref in updates:
        if _is_notes(ref):
            out += check_notes(cwd, ref, [new, "--not", "--all"], base, cache_dir, seen)
            continue
        out += check_commits(cwd, [new, "--not", "--all"], seen=seen, cache_dir=cache_dir)
        texts += ref_texts(cwd, ref, new)
    found = check_texts(cwd, texts, base, cache_dir)
    return out + ([found] if found is not None else [])


def _exists(cwd: Path, oid: str) -> bool:
    proc = subprocess.run(["git", "cat-file", "-e", oid + "^{commit}"], cwd=cwd, capture_output=True)
    return proc.returncode == 0


# --- names, tag messages and notes (pre-push, pre-receive, check --range) ----------------------------

def _is_notes(ref: str) -> bool:
    return ref.startswith("refs/notes/")


def check_texts(cwd: Path, texts: list[GitText], base: str, cache_dir: Path | None) -> CommitReport | None:
    """Names and tag messages against the records and policies of the commit `base`."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        return None
    ctx = tree_context(cwd, _base_entries(cwd, base), identities(), [])
    ctx.message_committed = True
    ctx.texts = texts
    return CommitReport(None, run([], ctx, only=("pii_outside",), cache_dir=cache_dir))


def check_notes(cwd: Path, ref: str, rev_args: list[str], base: str, cache_dir: Path | None,
                seen: set[str]) -> list[CommitReport]:
    """Each notes commit `rev_args` names: its message and author, and the notes it adds (never as
    files of the tree: a notes tree holds text about objects), against the records of `base`."""
    commits = [c for c in gitio.rev_list(cwd, rev_args) if c[0] not in seen]
    seen.update(c[0] for c in commits)
    if not commits:
        return []
    changed = gitio.changed_blobs(cwd, commits)
    objects = dict(gitio.cat_blobs(cwd, [c[0] for c in commits] + [o for p in changed.values() for o in p.values()]))
    entries, ids, out = _base_entries(cwd, base), identities(), []
    for c in commits:
        author, message = gitio.parse_commit(objects.get(c[0]) or b"")
        ctx = tree_context(cwd, entries, ids, [], commit_message=message, author=author)
        ctx.message_committed = True
        ctx.texts = [GitText(NOTE, ref, note_text(objects.get(oid)), about=path.replace("/", ""))
                     for path, oid in sorted(changed.get(c[0], {}).items())]
        out.append(CommitReport(c[0], run([], ctx, only=MESSAGE_CHECKS, cache_dir=cache_dir)))
    return out


def _base_entries(cwd: Path, base: str) -> dict[str, str]:
    """The tree whose records and policies names and notes are judged by: `base`, else HEAD, else
    the first branch (a bare server's HEAD may name a branch that was never pushed)."""
    branches = gitio.text(["for-each-ref", "--count=1", "--format=%(refname)", "refs/heads"], cwd).split()
    commit = next((c for c in (gitio.resolve_commit(cwd, r) for r in (base, "HEAD", *branches)) if c), None)
    if commit is None:
        raise SaikenError("ブランチの名前・タグ・ノートを、記録リポジトリの方針と照らして検査できません"
                          "（照らすコミットがありません）。", hint="先にブランチ（main など）を push してください。")
    return gitio.tree_entries(cwd, commit)


def check_repository_refs(cwd: Path, base: str, cache_dir: Path | None) -> list[CommitReport]:
    """`check --range`: every branch and tag name and tag message, and every notes ref's history."""
    refs = gitio.text(["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags", "refs/notes"], cwd)
    texts: list[GitText] = []
    out: list[CommitReport] = []
    seen: set[str] = set()
    for ref, oid in (line.split(" ") for line in refs.splitlines() if line):
        if _is_notes(ref):
            out += check_notes(cwd, ref, [oid], base, cache_dir, seen)
        else:
            texts += ref_texts(cwd, ref, oid)
    found = check_texts(cwd, texts, base, cache_dir)
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
