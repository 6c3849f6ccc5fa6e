"""The one place that runs git. Batched: never one process per file or per commit.

Errors carry the command and git's stderr, in a SaikenError the CLI can print.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import subprocess
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

from saiken.errors import SaikenError


class GitError(SaikenError):
    def __init__(self, args: list[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git の実行に失敗しました（git {' '.join(args)}、終了コード {returncode}）:\n{stderr.strip()}")
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr


def run(args: list[str], cwd: Path, *, input: bytes | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> bytes:
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


# --- history: one `git log` for many commits ---------------------------------------------------

ZERO_OID = "0" * 40


class FileChange(NamedTuple):  # a tuple: tens of thousands are made per history read
    """One line of `git log --raw`: status A/M/D (T and others kept as given) and both blob ids."""

    status: str
    old: str  # ZERO_OID when added
    new: str  # ZERO_OID when deleted
    path: str


class LogCommit(NamedTuple):
    oid: str
    parents: tuple[str, ...]
    committed: dt.datetime  # committer date, in the committer's own UTC offset
    author_name: str
    author_email: str
    changes: tuple[FileChange, ...]


_LOG_FORMAT = "%x1e%H %P%x00%cI%x00%an%x00%ae"
_RAW = ["--raw", "--no-renames", "--no-abbrev"]


def log_changes(cwd: Path, pathspecs: Sequence[str], revs: Sequence[str] = ("HEAD",), *,
                extra: Sequence[str] = ()) -> list[LogCommit]:
    """Every commit touching `pathspecs`, oldest first, with its raw file changes – one git process.

    Merges are listed without changes (git's default for --raw); the commits they bring in are
    listed themselves. Renames are shown as a delete and an add.
    """
    return list(iter_log(cwd, revs, extra=extra, pathspecs=pathspecs))


def iter_log(cwd: Path, revs: Sequence[str] = ("HEAD",), *, raw: bool = True, extra: Sequence[str] = (),
             pathspecs: Sequence[str] = (), commits: Sequence[str] | None = None) -> Iterator[LogCommit]:
    """Commits oldest first, parsed while git is still writing (so the caller's work overlaps git's).

    `raw=False`: commit data only, no file changes (cheap). `commits`: exactly these commits, in
    the order given (`git log --no-walk --stdin`), instead of the history of `revs`."""
    walk = ["--no-walk=unsorted", "--stdin"] if commits is not None else ["--reverse", "--topo-order", *revs]
    args = ["log", *(_RAW if raw else []), "-z", f"--format={_LOG_FORMAT}", *extra, *walk,
            "--", *pathspecs]  # no pathspec: all commits
    if commits is not None and not commits:
        return
    err = tempfile.TemporaryFile()  # a file, so git can never block on a full stderr pipe
    proc = subprocess.Popen(["git", *args], cwd=cwd, stdin=subprocess.PIPE if commits is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=err)
    assert proc.stdout is not None
    if commits is not None:
        _feed(proc, "".join(f"{c}\n" for c in commits).encode())
    _widen(proc.stdout.fileno())
    try:
        pending = b""
        while chunk := proc.stdout.read1(_CHUNK):
            parts = (pending + chunk).split(b"\x1e")
            pending = parts.pop()
            yield from (_log_commit(p) for p in parts if p)
        if pending:
            yield _log_commit(pending)
    finally:
        _finish(proc, args, err)


def _log_commit(chunk: bytes) -> LogCommit:
    fields = chunk.split(b"\x00")
    oid, *parents = fields[0].decode().split()
    changes: list[FileChange] = []
    i = 4
    while i + 1 < len(fields):  # ":<mode> <mode> <old> <new> <status>" NUL "<path>" NUL, repeated
        meta = fields[i].lstrip(b"\n")
        if meta[:1] != b":":
            i += 1
            continue
        _, _, old, new, status = meta.decode().split(" ")
        changes.append(FileChange(status[:1], old, new, fields[i + 1].decode("utf-8", "replace")))
        i += 2
    return LogCommit(oid, tuple(parents), dt.datetime.fromisoformat(fields[1].decode()),
                     fields[2].decode("utf-8", "replace"), fields[3].decode("utf-8", "replace"), tuple(changes))


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write all of `data` to the process's stdin from a thread, so that a full stdout pipe never
    blocks our writes (and close stdin at the end)."""
    def feed() -> None:
        try:
            proc.stdin.write(data)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass
    threading.Thread(target=feed, daemon=True).start()


def _finish(proc: subprocess.Popen[bytes], args: list[str], err: IO[bytes]) -> None:
    """Reap a streaming git process; its failure (unless we stopped reading early) is a GitError."""
    stopped = proc.poll() is None and proc.stdout is not None and proc.stdout.read(1) != b""
    if stopped:
        proc.kill()  # the caller stopped early: git's remaining output is not wanted
    if proc.wait() != 0 and not stopped:
        raise GitError(args, proc.returncode, _errors(err))
    err.close()


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


class Batch:
    """One `git cat-file --batch` that is asked for objects while it is answering: the caller
    requests each object as it learns it needs it, and a reader thread hands each answer to
    `on_object(tag, data)` (data None when missing) as git writes it – so git unpacks while the
    caller is still working, and nothing keeps every blob (a file rewritten in every commit).

        with gitio.Batch(root, keep) as batch:
            batch.request(oid, tag)       # any number of times, from one thread
        # here every answer has been handed over
    """

    def __init__(self, cwd: Path, on_object: Callable[[Any, bytes | None], None]) -> None:
        self._args = ["cat-file", "--batch", "--buffer"]
        self._err = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(["git", *self._args], cwd=cwd, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._err)
        self._tags: deque[Any] = deque()
        self._on_object = on_object
        self._failure: BaseException | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def request(self, oid: str, tag: Any) -> None:
        self._tags.append(tag)  # before the request, so the reader always finds it
        try:
            self._proc.stdin.write(f"{oid}\n".encode())  # type: ignore[union-attr]
        except OSError:
            if self._failure is not None:  # the reader failed first: that is the error to report
                raise self._failure from None
            raise

    def _read(self) -> None:
        """Read into one reused buffer, in large chunks: each read releases the GIL (and taking it
        back may wait for the caller's thread), and fresh memory for every chunk costs more than
        the copy itself."""
        out = self._proc.stdout
        assert out is not None
        fd = out.fileno()
        _widen(fd)
        buf = bytearray(2 * _CHUNK)
        start = end = 0  # buf[start:end]: read, not yet handed over
        try:
            while True:
                if len(buf) - end < _CHUNK // 4:  # little room left: move what is pending to the front
                    pending = end - start
                    buf[:pending] = buf[start:end]
                    start, end = 0, pending
                    if len(buf) - end < _CHUNK // 4:  # one object larger than the buffer
                        buf.extend(bytes(len(buf)))
                with memoryview(buf) as view, view[end:] as room:
                    n = os.readv(fd, [room])
                if not n:
                    break
                end += n
                start = self._hand_over(buf, start, end)
            if start < end:
                raise GitError(self._args, -1, "cat-file の出力が途中で終わりました")
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread in close()
            self._failure = exc
            out.close()

    def _hand_over(self, buf: bytearray, pos: int, end: int) -> int:
        """Hand over every whole object in buf[pos:end]; where the first incomplete one starts."""
        with memoryview(buf) as view:
            while (eol := buf.find(b"\n", pos, end)) >= 0:
                header = bytes(view[pos:eol]).split()
                if header[-1] == b"missing":
                    self._on_object(self._tags.popleft(), None)
                    pos = eol + 1
                    continue
                stop = eol + 1 + int(header[-1])
                if stop + 1 > end:
                    break
                self._on_object(self._tags.popleft(), bytes(view[eol + 1:stop]))
                pos = stop + 1
        return pos

    def close(self) -> None:
        try:
            self._proc.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass
        self._reader.join()
        code = self._proc.wait()
        if self._failure is not None:
            raise self._failure
        if code != 0:
            raise GitError(self._args, code, _errors(self._err))

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if exc is None:
            self.close()
            return
        self._proc.kill()
        self._reader.join()
        self._proc.wait()
        self._err.close()


def _errors(err: IO[bytes]) -> str:
    """What a streaming git process wrote to its stderr (a file, so git can never block on it)."""
    with err:
        err.seek(0)
        return err.read().decode("utf-8", "replace")


_CHUNK = 1 << 20
_F_SETPIPE_SZ = 1031  # Linux


def _widen(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB, where the system allows: git writes whole blobs at once."""
    try:
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _CHUNK)
    except (OSError, AttributeError):
        pass


def merge_base(cwd: Path, a: str, b: str) -> str | None:
    out = run(["merge-base", a, b], cwd, check=False).decode().strip()
    return out or None


def file_at(cwd: Path, revs: list[str], path: str) -> list[bytes | None]:
    """The content of `path` at each of `revs` (None where absent), in one git process."""
    return [data for _, data in cat_blobs(cwd, [f"{rev}:{path}" for rev in revs])]


def index_entries(cwd: Path) -> dict[str, str]:
    """path → blob id of every file in the index (stage 0), from one `git ls-files -s`."""
    out = run(["ls-files", "-s", "-z"], cwd)
    entries: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, oid, stage = meta.split(" ")
            if stage == "0" and mode != "160000":
                entries[path] = oid
    return entries


def staged_paths(cwd: Path) -> list[str]:
    """Paths added or modified in the index relative to HEAD (deletions excluded)."""
    out = run(["diff", "--cached", "--name-only", "--no-renames", "-z", "--diff-filter=AMT"], cwd)
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def tree_entries(cwd: Path, treeish: str) -> dict[str, str]:
    """path → blob id of every file in a commit's tree, from one `git ls-tree -r`."""
    out = run(["ls-tree", "-r", "-z", "--full-tree", treeish], cwd)
    entries: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, kind, oid = meta.split(" ")
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


def changed_blobs(cwd: Path, commits: list[list[str]]) -> dict[str, dict[str, str]]:
    """commit → {path: new blob id} of files each commit added or modified (against its first
    parent; a root commit against the empty tree), from one `git diff-tree --stdin`."""
    if not commits:
        return {}
    lines = "".join(f"{c[0]} {c[1]}\n" if len(c) > 1 else f"{c[0]}\n" for c in commits)
    out = run(["diff-tree", "--stdin", "-r", "--root", "-z", "--no-renames", "--diff-filter=AMT"], cwd,
              input=lines.encode())
    result: dict[str, dict[str, str]] = {c[0]: {} for c in commits}
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    current: dict[str, str] | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i].strip("\n")
        if tok.startswith(":"):
            meta = tok[1:].split(" ")
            if current is not None and meta[1] != "160000":
                current[tokens[i + 1]] = meta[3]
            i += 2
            continue
        if tok:
            current = result.setdefault(tok.split()[0], {})
        i += 1
    return result


def parse_commit(raw: bytes) -> tuple[str, str]:
    """(author "Name <email>", message) of a raw commit object."""
    head, _, body = raw.partition(b"\n\n")
    author = ""
    for line in head.split(b"\n"):
        if line.startswith(b"author "):
            ident = line[len(b"author "):].decode("utf-8", "replace")
            author = ident[: ident.rfind(">") + 1] if ">" in ident else ident
    return author, body.decode("utf-8", "replace")
