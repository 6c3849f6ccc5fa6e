"""Every copy of the records' personal data that saiken can find on 乙's machine (`saiken erase --as 乙`).

Erasure at the contract end is complete only if no copy is left that 乙 could still read. Besides
the records' working copy and 乙's keys, copies are made on the way:
    文書                 PDFs and media packages: out/, every path saiken noted when it wrote one
                         elsewhere (.saiken/outputs), and any file in the work tree whose sha256 is
                         an export's (ledger/exports.yaml: a PDF moved or copied by hand)
    個人情報を含むファイル  an untracked, ignored or changed file in the work tree holding a party's
                         name, address, phone … (the search terms and the rule of pii_outside)
    検査のキャッシュ       .saiken-cache/ (search terms encrypted to 乙's keys)
    差分のキャッシュ       a textconv cache in .git (saiken.git.textconv_cache)
    一時フォルダ          plaintext folders of `case edit` (core.plaintext); one whose saiken still
                         runs cannot be removed from here
    鍵                   every identity file whose public key is a 乙 handler's: SAIKEN_IDENTITY,
                         ~/.config/saiken/, the repository's .identities/, ~/.ssh/, and any file in
                         the work tree holding a secret key
A copy that saiken cannot remove carries `blocking` (why): erase then refuses before destroying
anything. What is shown is a path (and the kind), never content.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from saiken.casework.documents import DEFAULT_OUT
from saiken.checks.cache import CACHE_DIR
from saiken.checks.pii_outside import party_data_found
from saiken.checks.pii_terms import TermIndex
from saiken.checks.text import fold
from saiken.core import agefile, crypto, localfiles, plaintext, sshkey
from saiken.core.policy import Policy
from saiken.core.layout import RECORDS_DIR
from saiken.errors import SaikenError
from saiken.git import gitio, textconv_cache
from saiken.ledger import evidence
from saiken.ledger.accesslog import key_of

WORKING_COPY, DOCUMENT, PERSONAL_FILE, CHECK_CACHE, TEXTCONV, SCRATCH, KEY = (
    "記録の作業用複製", "文書", "個人情報を含むファイル", "検査のキャッシュ", "差分のキャッシュ", "一時フォルダ", "鍵")
MAX_SCAN_BYTES = 32 << 20
_KEY_MARKERS = (b"AGE-SECRET-KEY-1", b"-----BEGIN OPENSSH PRIVATE KEY-----")
_NOT_KEYS = ("known_hosts", "config", "authorized_keys", "environment")


@dataclass(frozen=True)
class Copy:
    kind: str
    shown: str  # repository-relative path, absolute path, or a git ref / setting
    target: Path | None = None  # the file or folder to shred; None: a git ref or setting
    blocking: str | None = None  # why saiken cannot remove it (erase refuses)

    def line(self) -> str:
        return f"{self.kind}: {self.shown}" + (f"（{self.blocking}）" if self.blocking else "")


def _shown(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()) if folder.is_dir() else []


def _sha256(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


# --- the work tree -------------------------------------------------------------------------------------

def _worktree_extras(root: Path) -> list[str]:
    """Untracked (ignored too) and changed files of the work tree, repository-relative."""
    listed = gitio.run(["ls-files", "-z", "--others", "--modified"], root).decode("utf-8", "surrogateescape")
    return sorted({p for p in listed.split("\0") if p})


def _text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_SCAN_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _in_worktree(root: Path, index: TermIndex, exported: set[str]) -> Iterator[Copy]:
    skip = (f"{RECORDS_DIR}/", f"{DEFAULT_OUT}/", f"{localfiles.FOLDER}/", f"{CACHE_DIR}/")
    for rel in _worktree_extras(root):
        path = root / rel
        if rel.startswith(skip) or not path.is_file():
            continue
        if _sha256(path) in exported:
            yield Copy(DOCUMENT, rel, path)
            continue
        text = _text(path)
        if text is not None and index and party_data_found(index, fold(text).text):
            yield Copy(PERSONAL_FILE, rel, path)


def _documents(root: Path, exported: set[str]) -> Iterator[Copy]:
    for path in _files(root / DEFAULT_OUT):
        if path.name != ".gitignore":
            yield Copy(DOCUMENT, _shown(root, path), path)
    for path, digest in localfiles.outputs(root):
        # only what the ledger says saiken wrote: a line added to .saiken/outputs by hand names no victim
        if digest in exported and path.is_file() and not path.is_relative_to((root / DEFAULT_OUT).resolve()) \
                and _sha256(path) == digest:
            yield Copy(DOCUMENT, _shown(root, path), path)


def exported_digests(root: Path) -> set[str]:
    """SHA-256 of every document (ledger/exports.yaml) and media package (ledger/media.yaml) saiken wrote."""
    entries = [*evidence.entries(root, "exports"), *evidence.entries(root, "media")]
    return {str(e.get("sha256")) for e in entries if e.get("sha256")}


def _records(root: Path) -> Iterator[Copy]:
    for path in _files(root / RECORDS_DIR):
        yield Copy(WORKING_COPY, _shown(root, path), path)


def _caches(root: Path) -> Iterator[Copy]:
    for path in _files(root / CACHE_DIR):
        yield Copy(CHECK_CACHE, _shown(root, path), path)
    try:
        cached = textconv_cache.found(root)
    except gitio.GitError:
        return
    for key, origin in cached.settings:
        yield Copy(TEXTCONV, f"{key}（{origin}）")
    for ref in cached.refs:
        yield Copy(TEXTCONV, ref)


def _scratch(root: Path) -> Iterator[Copy]:
    """Plaintext folders: every one left by a saiken that is gone, and those of this repository
    (or of none named) whose saiken still runs – which erase cannot take from under it."""
    mine = plaintext.repository_tag(root)
    for base in plaintext.candidate_bases():
        stale = set(plaintext.stale_folders(base))
        try:
            entries = sorted(base.glob("saiken-*-*"))
        except OSError:
            continue
        for folder in entries:
            if folder in stale:
                yield Copy(SCRATCH, str(folder), folder)
            elif folder.name.split("-")[1].isdigit() and folder.is_dir() and folder.stat().st_uid == os.getuid() \
                    and plaintext.folder_owner(folder) in (mine, None):
                yield Copy(SCRATCH, str(folder), folder,
                           "saiken case edit などが実行中です。終了させてからもう一度実行してください")


# --- keys ------------------------------------------------------------------------------------------------

def key_publics(path: Path) -> list[str] | None:
    """The public keys of the secret keys a file holds ([] for none); None when it may hold one that
    only a passphrase would show (an age-encrypted file)."""
    try:
        if not path.is_file() or path.stat().st_size > crypto.MAX_IDENTITY_FILE_BYTES:
            return []
        data = path.read_bytes()
    except OSError:
        return []
    if sshkey.looks_like_openssh(data):
        try:
            return [sshkey.read_private_key_info(data).public_text]
        except sshkey.SSHKeyFormatError:
            return []
    if agefile.looks_like_age(data):
        if not os.environ.get(crypto.ENV_PASSPHRASE_FILE):
            return None
        try:
            return [i.public for i in crypto.load_identity_file(path)]
        except SaikenError:
            return None
    from pyrage import x25519

    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip().startswith("AGE-SECRET-KEY-1"):
            try:
                out.append(str(x25519.Identity.from_str(line.strip()).to_public()))
            except Exception:  # noqa: BLE001 - a line that only looks like a key
                continue
    return out


def key_places(root: Path) -> list[Path]:
    """Where identity files are kept: SAIKEN_IDENTITY, the user's saiken config folder, the
    repository's .identities/, ~/.ssh/, and files of the work tree that hold a secret key."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "saiken"
    places = [*crypto.identity_paths(), crypto.default_identity_path(), *_files(config), *_files(root / ".identities")]
    ssh = Path.home() / ".ssh"
    places += [p for p in _files(ssh) if not p.name.endswith(".pub") and not p.name.startswith(_NOT_KEYS)]
    for rel in _worktree_extras(root):
        path = root / rel
        try:
            if path.is_file() and path.stat().st_size <= crypto.MAX_IDENTITY_FILE_BYTES \
                    and any(m in path.read_bytes() for m in _KEY_MARKERS):
                places.append(path)
        except OSError:
            continue
    return list(dict.fromkeys(p.expanduser().absolute() for p in places))


def _keys(root: Path, policy: Policy) -> Iterator[Copy]:
    orgs = {key_of(h.public_key): h.organisation for h in policy.handlers}
    for path in key_places(root):
        publics = key_publics(path)
        if publics is None:
            yield Copy(KEY, _shown(root, path), path, "パスフレーズで保護されていて乙の鍵か確かめられません。"
                       f"{crypto.ENV_PASSPHRASE_FILE} にパスフレーズのファイルを指定してもう一度実行してください")
            continue
        owners = {orgs.get(key_of(k)) for k in publics}
        if "乙" in owners:
            mixed = owners - {"乙"}
            yield Copy(KEY, _shown(root, path), path,
                       "乙の鍵以外の鍵も入っています。乙の鍵だけを別のファイルに分けてください" if mixed else None)


# --- all of it --------------------------------------------------------------------------------------------

def find(root: Path, policy: Policy, index: TermIndex, *, keys: bool = True) -> list[Copy]:
    """Every copy found now (keys too unless `keys` is False), each once."""
    exported = exported_digests(root)
    found: Iterable[Copy] = [*_records(root), *_documents(root, exported), *_in_worktree(root, index, exported),
                             *_caches(root), *_scratch(root), *(_keys(root, policy) if keys else [])]
    seen: dict[str, Copy] = {}
    for copy in found:
        key = str(copy.target.resolve()) if copy.target is not None else copy.shown
        seen.setdefault(key, copy)
    return list(seen.values())
