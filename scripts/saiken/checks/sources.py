"""Where the files under check come from: the work tree, the index, or a commit's tree.

Each source gives the same thing – a list of FileInput (path, bytes, git blob id) and a Context
whose reader serves policies/ and ledger/ from that same state – so `saiken check`, the pre-commit
hook (index) and the pre-receive hook (pushed commits, bare repository) share one runner. Blobs
are read with one `git cat-file --batch` per call, never one process per file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from saiken.checks import SYMLINK, FileInput
from saiken.checks.cache import CACHE_DIR
from saiken.checks.context import POLICY_FILES, Context, Reader, is_record_path, worktree_reader
from saiken.core import crypto, layout, policy
from saiken.core.policy import Policy
from saiken.errors import SaikenError
from saiken.git import gitio

# --- the work tree ---------------------------------------------------------------------------------

def worktree_context(root: Path, identities: list, files: list[FileInput], *,  # type: ignore[type-arg]
                     commit_message: str | None = None, author: str | None = None) -> Context:
    """Context for the work tree at `root`: its policy, and every record there as a name source
    (the records among `files` are reused rather than read twice)."""
    given = {f.path: f for f in files}
    records = [given.get(p) or _read_file(root, p) for p in _record_paths(root)]
    return Context(Policy.load(root), worktree_reader(root), identities, commit_message=commit_message,
                   author=author, record_sources=[r for r in records if r is not None])


def worktree_files(root: Path, paths: list[str] | None = None) -> list[FileInput]:
    """The files named (relative to root), or with paths=None every file git tracks or would add.

    A file git finds unchanged since it was staged is read only when a check asks for its bytes
    (its blob id comes from the index): a second `check --all` over 10,000 records answered from
    the cache then reads none of them, and a first one reads them in the forked workers."""
    rels = _all_paths(root) if paths is None else [_relative(root, p) for p in paths]
    specials: dict[str, tuple[str, str]] = {}  # symbolic links and submodules of the index
    known = gitio.worktree_blob_ids(root, specials) if (root / ".git").exists() else {}
    files: list[FileInput] = []
    for rel in rels:
        oid = known.get(rel)
        if oid is not None:  # (a file removed from the work tree is one git reports changed)
            files.append(_WorkTreeFile(root, rel, oid))
            continue
        full = os.path.join(root, rel)
        if os.path.islink(full) or rel in specials:
            # never followed: a link to a key or to /dev/zero is not read (the paths check refuses it)
            link = os.path.islink(full)
            target = os.fsencode(os.readlink(full)) if link else b""
            files.append(FileInput(rel, target, blob_id=git_blob_id(target), mode=SYMLINK if link else specials[rel][0]))
            continue
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
        raise SaikenError("記録リポジトリの外のファイルです。", where=path,
                          hint="記録リポジトリの中のファイルを指定してください（別のリポジトリなら `saiken -C フォルダ check ファイル`）。") from None


def _read_bytes(root: Path, rel: str) -> bytes | None:
    try:
        with open(os.path.join(root, rel), "rb") as fh:  # plain open: 10,000 files, no pathlib
            return fh.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _read_file(root: Path, rel: str) -> FileInput | None:
    data = _read_bytes(root, rel)
    return None if data is None else FileInput(rel, data, blob_id=git_blob_id(data))


class _WorkTreeFile(FileInput):
    """A FileInput for a work-tree file git reports unchanged since staged: the blob id from the
    index, the bytes read from disk on first use (and kept)."""

    def __init__(self, root: Path, path: str, blob_id: str) -> None:  # noqa: D107 - frozen dataclass
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "blob_id", blob_id)
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_bytes", None)

    @property  # type: ignore[override]
    def data(self) -> bytes:  # noqa: D102
        if self._bytes is None:  # type: ignore[has-type]
            # removed since it was listed: checked as empty
            object.__setattr__(self, "_bytes", _read_bytes(self._root, self.path) or b"")  # type: ignore[attr-defined]
        return self._bytes  # type: ignore[has-type, no-any-return]


def git_blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (so work tree, index and history share cache keys)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's own id


def _all_paths(root: Path) -> list[str]:
    if (root / ".git").exists():
        out = gitio.run(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root)
        return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0")
                       if p and not p.startswith(CACHE_DIR + "/")})
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not {".git", CACHE_DIR} & set(p.relative_to(root).parts))


def _record_paths(root: Path) -> list[str]:
    return layout.record_rels(root)


# --- the index (what a commit would record) and commits ---------------------------------------

def _blobs(cwd: Path, entries: dict[str, str], paths: list[str]) -> list[FileInput]:
    wanted = [(p, entries[p]) for p in paths if p in entries]
    data = dict(gitio.cat_blobs(cwd, [oid for _, oid in wanted]))
    out = []
    for p, oid in wanted:
        blob = data.get(oid)
        if blob is not None:
            out.append(FileInput(p, blob, blob_id=oid))
    return out


class _Batch:
    """Blobs read together on first use: one `git cat-file --batch` for all of them, or none at all
    when every check that needs them is answered from its cache by blob id."""

    def __init__(self, cwd: Path, oids: list[str]) -> None:
        self.cwd, self.oids, self.data = cwd, oids, None  # type: tuple[Path, list[str], dict[str, bytes | None] | None]

    def get(self, oid: str) -> bytes:
        if self.data is None:
            self.data = dict(gitio.cat_blobs(self.cwd, self.oids))
        return self.data.get(oid) or b""


class _LazyFile(FileInput):
    """A FileInput whose bytes are read (with all others of its batch) only when asked for."""

    def __init__(self, path: str, blob_id: str, batch: _Batch) -> None:  # noqa: D107 - frozen dataclass
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "blob_id", blob_id)
        object.__setattr__(self, "_batch", batch)

    @property  # type: ignore[override]
    def data(self) -> bytes:  # noqa: D102
        return self._batch.get(self.blob_id)  # type: ignore[attr-defined, arg-type]


def lazy_blobs(cwd: Path, entries: dict[str, str], paths: list[str]) -> list[FileInput]:
    return lazy_files(cwd, [(p, entries[p]) for p in paths if p in entries])


def lazy_files(cwd: Path, wanted: list[tuple[str, str]]) -> list[FileInput]:
    """FileInputs for (path, blob id) pairs, all read in one batch when the first is asked for."""
    batch = _Batch(cwd, [oid for _, oid in wanted])
    return [_LazyFile(p, oid, batch) for p, oid in wanted]


def _blob_reader(cwd: Path, entries: dict[str, str]) -> Reader:
    """Files of the tree by path. The first read fetches every policy file and the consents in one
    `git cat-file` (the checks read most of them); any other file on its own, or several in one
    `git cat-file` through `read.prefetch(paths)` (the bucket manifests of a commit's records)."""
    read_once: dict[str, bytes | None] = {}

    def fetch(rels: list[str]) -> None:
        want = [p for p in dict.fromkeys(rels) if p in entries and p not in read_once]
        if want:
            blobs = dict(gitio.cat_blobs(cwd, [entries[p] for p in want]))
            read_once.update((p, blobs.get(entries[p])) for p in want)

    def read(rel: str) -> bytes | None:
        if rel not in entries:
            return None
        if not read_once:
            fetch([p for p in POLICY_FILES if p in entries])
        if rel not in read_once:
            fetch([rel])
        return read_once[rel]
    read.prefetch = fetch  # type: ignore[attr-defined]
    return read


def policy_from_reader(read: Reader, root: Path) -> Policy:
    """The policy as stored in a tree that is not on disk (the index, a pushed commit)."""
    def load(rel: str, default: Any = None) -> Any:
        raw = read(rel)
        if raw is None:
            if default is not None:
                return default
            raise SaikenError("ポリシーファイルがありません。", where=rel)
        return policy.parse_yaml(raw, rel, default)
    handlers = policy.handlers_from_data(load(policy.HANDLERS_FILE))
    return Policy(root, handlers, load(policy.ITEMS_FILE), load(policy.CONTRACT_FILE, {}))


def tree_context(cwd: Path, entries: dict[str, str], identities: list[crypto.LoadedIdentity],
                 files: list[FileInput], *, commit_message: str | None = None,
                 author: str | None = None) -> Context:
    """Context for a tree given as path → blob id: policy, reader and record sources all from it."""
    read = _blob_reader(cwd, entries)
    given = {f.path: f for f in files}
    rest = [p for p in entries if is_record_path(p) and p not in given]
    sources = [f for f in files if is_record_path(f.path)] + (lazy_blobs(cwd, entries, rest) if identities else [])
    return Context(policy_from_reader(read, cwd), read, identities, commit_message=commit_message,
                   author=author, record_sources=sources)


def index_files(root: Path, *, all_files: bool = False) -> tuple[list[FileInput], dict[str, str]]:
    """The staged versions of the files a commit would change (or of every file in the index);
    a symbolic link or submodule among them comes with its mode, for the paths check to refuse."""
    specials: dict[str, tuple[str, str]] = {}
    entries = gitio.index_entries(root, specials)
    paths = sorted({*entries, *specials}) if all_files else gitio.staged_paths(root)
    return with_modes(_blobs(root, entries, paths), specials, paths), entries


def commit_files(cwd: Path, commit: str, *, paths: list[str] | None = None) -> tuple[list[FileInput], dict[str, str]]:
    """Files of a commit's tree (all, or the `paths` it changed); works in a bare repository."""
    specials: dict[str, tuple[str, str]] = {}
    entries = gitio.tree_entries(cwd, commit, specials)
    wanted = sorted({*entries, *specials}) if paths is None else paths
    return with_modes(_blobs(cwd, entries, wanted), specials, wanted), entries


def with_modes(files: list[FileInput], specials: dict[str, tuple[str, str]], paths: list[str]) -> list[FileInput]:
    """`files` with each symbolic link marked as one, and each submodule among `paths` added (it has
    no content here: its id names a commit of another repository)."""
    if not specials:
        return files
    out = [replace(f, mode=specials[f.path][0]) if f.path in specials else f for f in files]
    have = {f.path for f in out}
    out += [FileInput(p, b"", None, mode=specials[p][0]) for p in paths if p in specials and p not in have]
    return sorted(out, key=lambda f: f.path)
