"""git's output read while git is still writing it: one `git log` for many commits, and one
`git cat-file --batch` asked for objects as the caller learns it needs them.

Both overlap git's work with ours (a history of 10,000 commits, a manifest rewritten in each) and
never hold every blob at once. Errors carry the command and git's stderr (gitio.GitError).
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
from typing import IO, Any, Callable, Iterator, NamedTuple, Sequence

from saiken.git.gitio import GitError


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
