"""The one place that runs git. Batched: never one process per file or per commit.

Errors carry the command and git's stderr, in a SaikenError the CLI can print.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterable, Iterator

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
