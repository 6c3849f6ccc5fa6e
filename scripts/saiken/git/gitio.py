"""The one place that runs git. Batched: never one process per file or per commit (reading git's
output while it is still writing: saiken.git.gitstream).

Errors carry the command and git's stderr, in a SaikenError the CLI can print.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from saiken.errors import SaikenError


class GitError(SaikenError):
    def __init__(self, args: list[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git の実行に失敗しました（git {' '.join(args)}、終了コード {returncode}）:\n{stderr.strip()}")
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr


def run(args: list[str], cwd: Path, *, input: bytes | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> bytes:
    env = {**(os.environ if env is None else env), "GIT_NO_REPLACE_OBJECTS": "1"}  # objects as they are
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=env)
    if check and proc.returncode != 0:
        raise GitError(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def text(args: list[str], cwd: Path, **kw: object) -> str:
    return run(args, cwd, **kw).decode("utf-8", "replace")  # type: ignore[arg-type]


def toplevel(cwd: Path) -> Path:
    return Path(text(["rev-parse", "--show-toplevel"], cwd).strip())


def config_set(cwd: Path, key: str, value: str) -> None:
    run(["config", "--local", key, value], cwd)


def cat_blobs(cwd: Path, object_ids: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """Contents of many objects in one `git cat-file --batch` process; None for a missing one."""
    ids = list(object_ids)
    if not ids:
        return
    out = run(["cat-file", "--batch"], cwd, input="".join(f"{i}\n" for i in ids).encode())
    pos = 0
    for oid in ids:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode()
        pos = end + 1
        if header.endswith(" missing"):
            yield oid, None
            continue
        size = int(header.rsplit(" ", 1)[1])
        yield oid, out[pos:pos + size]
        pos += size + 1


ZERO_OID = "0" * 40


def resolve_commit(cwd: Path, rev: str) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                          cwd=cwd, capture_output=True)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def local_commit_refs(cwd: Path) -> list[tuple[str, str]]:
    """(ref name, commit id) of every local branch and tag naming a commit, and of HEAD."""
    out = text(["for-each-ref", "--format=%(refname) %(objecttype) %(*objecttype) %(objectname) %(*objectname)",
                "refs/heads", "refs/tags"], cwd)
    refs = []
    for line in out.splitlines():
        name, kind, peeled, oid, target = line.split(" ")  # peeled and target: of an annotated tag
        if kind == "commit" or peeled == "commit":
            refs.append((name, target or oid))
    head = resolve_commit(cwd, "HEAD")
    return refs + ([("HEAD", head)] if head else [])


def config_get(cwd: Path, key: str) -> str | None:
    proc = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True)
    value = proc.stdout.decode("utf-8", "replace").strip()
    return value if proc.returncode == 0 and value else None


def committer_email(cwd: Path) -> str | None:
    """The e-mail git will record as committer (config or GIT_COMMITTER_EMAIL), or None if unset."""
    proc = subprocess.run(["git", "var", "GIT_COMMITTER_IDENT"], cwd=cwd, capture_output=True)
    if proc.returncode != 0:
        return None
    ident = proc.stdout.decode("utf-8", "replace")
    start, end = ident.find("<"), ident.find(">")
    return ident[start + 1:end].strip() or None if 0 <= start < end else None


def commit_paths(cwd: Path, paths: Sequence[str], message: str, *, sign: bool) -> str:
    """Stage and commit exactly `paths` (other staged changes stay staged); returns the new commit id."""
    run(["add", "--", *paths], cwd)
    run(["commit", "-q", *(["-S"] if sign else []), "-m", message, "--", *paths], cwd)
    return text(["rev-parse", "HEAD"], cwd).strip()


def is_ancestor(cwd: Path, ancestor: str, descendant: str = "HEAD") -> bool:
    proc = subprocess.run(["git", "merge-base", "--is-ancestor", ancestor, descendant], cwd=cwd,
                          capture_output=True)
    return proc.returncode == 0


def merge_base(cwd: Path, a: str, b: str) -> str | None:
    out = run(["merge-base", a, b], cwd, check=False).decode().strip()
    return out or None


def file_at(cwd: Path, revs: list[str], path: str) -> list[bytes | None]:
    """The content of `path` at each of `revs` (None where absent), in one git process."""
    return [data for _, data in cat_blobs(cwd, [f"{rev}:{path}" for rev in revs])]


SPECIAL_MODES = ("120000", "160000")  # a symbolic link, a submodule's commit


def index_entries(cwd: Path, specials: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """path → blob id of every file in the index (stage 0), from one `git ls-files -s`. Symbolic
    links and submodules also go to `specials` (path → (mode, id)); submodules only there."""
    out = run(["ls-files", "-s", "-z"], cwd)
    entries: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, oid, stage = meta.split(" ")
            if stage == "0" and specials is not None and mode in SPECIAL_MODES:
                specials[path] = (mode, oid)
            if stage == "0" and mode != "160000":
                entries[path] = oid
    return entries


def worktree_blob_ids(cwd: Path, specials: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """path → blob id of each tracked regular file whose work-tree copy git finds unchanged since it
    was staged (so its id need not be computed by reading it).

    Left out, to be read and hashed by the caller: files git reports changed; files marked
    assume-unchanged or skip-worktree (git would not notice their changes); and any file whose
    status changed (ctime) after the index was last written – git's own stat comparison can miss
    a same-size rewrite with its old mtime made within the same second. fsmonitor is not trusted.
    Symbolic links and submodules of the index go to `specials` (path → (mode, id)), as index_entries."""
    careful = ["-c", "core.fsmonitor=false", "-c", "core.trustctime=true", "-c", "core.checkStat=default"]
    index = Path(cwd, run(["rev-parse", "--git-path", "index"], cwd).decode().strip())
    try:
        written = index.stat().st_mtime_ns
    except OSError:
        return {}
    out = run([*careful, "ls-files", "-s", "-v", "-z"], cwd)
    ids: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            tag, mode, oid, stage = meta.split(" ")
            if tag == "H" and stage == "0" and mode in ("100644", "100755"):
                ids[path] = oid
            elif stage == "0" and specials is not None and mode in SPECIAL_MODES:
                specials[path] = (mode, oid)
    changed = run([*careful, "diff-files", "--name-only", "-z"], cwd)
    for path in changed.decode("utf-8", "surrogateescape").split("\0"):
        ids.pop(path, None)
    for path in list(ids):
        try:
            if os.stat(os.path.join(cwd, path)).st_ctime_ns >= written:
                del ids[path]
        except OSError:
            del ids[path]
    return ids


def staged_paths(cwd: Path) -> list[str]:
    """Paths added or modified in the index relative to HEAD (deletions excluded)."""
    out = run(["diff", "--cached", "--name-only", "--no-renames", "-z", "--diff-filter=AMT"], cwd)
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def changed_paths(cwd: Path, paths: Sequence[str]) -> list[str]:
    """Those of `paths` (files) that differ from HEAD in the index or the work tree, or are untracked."""
    out = run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *paths], cwd)
    changed = {entry[3:] for entry in out.decode("utf-8", "surrogateescape").split("\0") if len(entry) > 3}
    return [p for p in paths if p in changed]


def tree_entries(cwd: Path, treeish: str, specials: dict[str, tuple[str, str]] | None = None) -> dict[str, str]:
    """path → blob id of every file in a commit's tree, from one `git ls-tree -r`. Symbolic links
    and submodules also go to `specials` (path → (mode, id)); submodules only there."""
    out = run(["ls-tree", "-r", "-z", "--full-tree", treeish], cwd)
    entries: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, kind, oid = meta.split(" ")
            if specials is not None and mode in SPECIAL_MODES:
                specials[path] = (mode, oid)
            if kind == "blob":
                entries[path] = oid
    return entries


ZERO = "0" * 40


def is_zero(oid: str) -> bool:
    """git's "no object" id (a new or deleted ref in pre-push/pre-receive), any hash length."""
    return set(oid) == {"0"}


def rev_list(cwd: Path, args: list[str]) -> list[list[str]]:
    """Commits oldest first, each as [commit, parent…], from one `git rev-list --parents`."""
    out = text(["rev-list", "--reverse", "--topo-order", "--parents", *args], cwd)
    return [line.split() for line in out.splitlines() if line.strip()]


def tree_changes(cwd: Path, commits: list[list[str]],
                 specials: dict[str, dict[str, tuple[str, str]]] | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """commit → [(status, path, new blob id)] of every file each commit added (A), modified (M),
    changed the type of (T) or deleted (D, blob id of zeros), against its first parent (a root
    commit against the empty tree), from one `git diff-tree --stdin`. Submodules are left out;
    each symbolic link or submodule a commit adds or changes also goes to `specials` (commit →
    path → (mode, id)), for the checks to refuse."""
    if not commits:
        return {}
    lines = "".join(f"{c[0]} {c[1]}\n" if len(c) > 1 else f"{c[0]}\n" for c in commits)
    out = run(["diff-tree", "--stdin", "-r", "--root", "-z", "--no-renames"], cwd, input=lines.encode())
    result: dict[str, list[tuple[str, str, str]]] = {c[0]: [] for c in commits}
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    current: list[tuple[str, str, str]] | None = None
    commit_of = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i].strip("\n")
        if tok.startswith(":"):
            meta = tok[1:].split(" ")  # old mode, new mode, old id, new id, status
            if current is not None and specials is not None and meta[1] in SPECIAL_MODES:
                specials.setdefault(commit_of, {})[tokens[i + 1]] = (meta[1], meta[3])
            if current is not None and "160000" not in (meta[1], meta[0] if meta[1] == "000000" else ""):
                current.append((meta[4][:1], tokens[i + 1], meta[3]))
            i += 2
            continue
        if tok:
            commit_of = tok.split()[0]
            current = result.setdefault(commit_of, [])
        i += 1
    return result


def changed_blobs(cwd: Path, commits: list[list[str]]) -> dict[str, dict[str, str]]:
    """commit → {path: new blob id} of files each commit added or modified (tree_changes without
    the deletions), so a file added and removed again inside a range is seen where it was added."""
    return {c: {path: oid for status, path, oid in items if status in "AMT"}
            for c, items in tree_changes(cwd, commits).items()}


# the headers git itself writes in a commit object (git-commit-tree, git-commit -S, git-merge of a tag)
COMMIT_HEADERS = frozenset({"tree", "parent", "author", "committer", "encoding", "gpgsig", "gpgsig-sha256",
                            "mergetag"})
_NOT_TEXT = frozenset({"tree", "parent", "encoding", "gpgsig", "gpgsig-sha256"})


UNREADABLE = "encoding"  # commit_headers: the message cannot be read as the commit says it is written


def _encoding(head: bytes) -> str:
    for line in head.split(b"\n"):
        if line.startswith(b"encoding "):
            return line[len(b"encoding "):].decode("ascii", "replace").strip()
    return "utf-8"


def _message(head: bytes, body: bytes) -> str | None:
    """The message as git log shows it: in the commit's `encoding` (UTF-8 unless it says otherwise);
    None when it does not read as that (a name in another code would pass unseen as replaced bytes)."""
    try:
        return body.decode(_encoding(head))
    except (LookupError, UnicodeDecodeError):
        return None


def commit_headers(raw: bytes) -> tuple[str, list[str]]:
    """(the text of a raw commit's headers that people write – author and committer "Name <email>"
    without their times, a merged tag's object – and the names of headers git never writes, with
    UNREADABLE when the message does not read in its encoding). None of it is encrypted; `git log`
    shows little of it (an extra header not at all), so it is judged."""
    head, _, body = raw.partition(b"\n\n")
    lines: list[str] = []
    odd: list[str] = []
    name = ""
    for line in head.decode("utf-8", "replace").split("\n"):
        if line.startswith(" "):  # a continuation of the header before
            if name not in _NOT_TEXT:
                lines.append(line[1:])
            continue
        name, _, value = line.partition(" ")
        if name not in COMMIT_HEADERS:
            odd.append(name)
            lines.append(value)
        elif name in ("author", "committer"):
            lines.append(value[: value.rfind(">") + 1] if ">" in value else value)
        elif name not in _NOT_TEXT:
            lines.append(value)
    if _message(head, body) is None:
        odd.append(UNREADABLE)
    return "\n".join(lines), odd


def parse_commit(raw: bytes) -> tuple[str, str]:
    """(author "Name <email>", message) of a raw commit object."""
    head, _, body = raw.partition(b"\n\n")
    author = ""
    for line in head.split(b"\n"):
        if line.startswith(b"author "):
            ident = line[len(b"author "):].decode("utf-8", "replace")
            author = ident[: ident.rfind(">") + 1] if ">" in ident else ident
    message = _message(head, body)
    return author, body.decode("utf-8", "replace") if message is None else message
