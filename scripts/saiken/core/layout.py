"""Where records and their manifests live: the one place that knows the layout of records/.

A record lives in one of 256 bucket folders, named after the first two hex digits of the SHA-256
of its case id (UTF-8), as git fans out its object store:

    records/<xx>/<case-id>.yaml.age      the encrypted record
    records/<xx>/manifest.yaml           the manifest lines of that bucket's records only

so a commit that writes one record writes one small bucket tree and one small manifest, not a
tree listing every record and a manifest of every line: what git stores, clones and pushes, and
what `ledger handovers` reads per commit, no longer grows with the number of records.

Repositories made before this layout kept every record flat, `records/<case-id>.yaml.age`, with one
`records/manifest.yaml`. History keeps that shape: code reading history (`ledger handovers`)
understands both (`any_case_id`, `manifest_for`); the checks refuse it in new commits
(`misplaced`), and `saiken records migrate` moves a flat repository with `git mv`.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Iterator

RECORDS_DIR = "records"
SUFFIX = ".yaml.age"
MANIFEST_NAME = "manifest.yaml"
LEGACY_MANIFEST = f"{RECORDS_DIR}/{MANIFEST_NAME}"  # the flat layout's single manifest
MANIFEST_GLOB = f"{RECORDS_DIR}/*/{MANIFEST_NAME}"  # the gitattributes pattern of every bucket manifest
KEEP_NAME = ".gitkeep"
MIGRATE_COMMAND = "saiken records migrate"
# Set by `saiken server setup --import` around its push only: a restored history holds the commits
# made before the migration, in the flat layout, which were accepted when they were pushed. Nobody
# pushing over SSH can set it (sshd passes no such variable), and the cache keys include it.
ACCEPT_FLAT_ENV = "SAIKEN_ACCEPT_FLAT_HISTORY"

_BUCKET = re.compile(r"[0-9a-f]{2}")
_CASE_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")  # as saiken.core.schema.CASE_ID


def bucket(case_id: str) -> str:
    """The bucket of a case id: the first two hex digits of sha256(case id in UTF-8)."""
    return hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:2]


def is_bucket(name: str) -> bool:
    return _BUCKET.fullmatch(name) is not None


def buckets() -> list[str]:
    return [f"{n:02x}" for n in range(256)]


def record_rel(case_id: str) -> str:
    """`records/<xx>/<case-id>.yaml.age`"""
    return f"{RECORDS_DIR}/{bucket(case_id)}/{case_id}{SUFFIX}"


def flat_rel(case_id: str) -> str:
    """Where the flat layout kept a record (for migration and history only)."""
    return f"{RECORDS_DIR}/{case_id}{SUFFIX}"


def manifest_rel(case_id: str | None = None, *, of_bucket: str | None = None) -> str:
    """The manifest holding a case id's line (or a bucket's manifest): `records/<xx>/manifest.yaml`."""
    b = of_bucket if of_bucket is not None else bucket(case_id or "")
    return f"{RECORDS_DIR}/{b}/{MANIFEST_NAME}"


def record_path(root: Path, case_id: str) -> Path:
    return root / record_rel(case_id)


def manifest_path(root: Path, case_id: str | None = None, *, of_bucket: str | None = None) -> Path:
    return root / manifest_rel(case_id, of_bucket=of_bucket)


# --- reading paths back ---------------------------------------------------------------------------

def split(path: str) -> tuple[str, str | None] | None:
    """A record path in either layout -> (case id, bucket folder or None for flat); else None.
    The case id is the file name without the suffix, whatever it holds (the checks judge it)."""
    if not path.startswith(RECORDS_DIR + "/") or not path.endswith(SUFFIX):
        return None
    parts = path[len(RECORDS_DIR) + 1:].split("/")
    name = parts[-1][: -len(SUFFIX)]
    if not name:
        return None
    if len(parts) == 1:
        return name, None
    if len(parts) == 2:
        return name, parts[0]
    return None


def case_id_of(path: str) -> str | None:
    """The case id of a well-placed record path (`records/<its bucket>/<id>.yaml.age`), else None."""
    got = split(path)
    if got is None or got[1] is None or got[1] != bucket(got[0]):
        return None
    return got[0]


def any_case_id(path: str) -> str | None:
    """The case id of a record path in either layout, placed well or not (for reading history)."""
    got = split(path)
    if got is None or not _CASE_ID.fullmatch(got[0]):
        return None
    return got[0]


def is_record(path: str) -> bool:
    """Whether `path` is a well-placed record."""
    return case_id_of(path) is not None


def is_record_like(path: str) -> bool:
    """Whether `path` is a `.yaml.age` file under records/ (well placed or not)."""
    return path.startswith(RECORDS_DIR + "/") and path.endswith(SUFFIX)


def is_manifest(path: str) -> bool:
    """Whether `path` is a bucket manifest, `records/<xx>/manifest.yaml`."""
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == RECORDS_DIR and is_bucket(parts[1]) and parts[2] == MANIFEST_NAME


def is_any_manifest(path: str) -> bool:
    """A manifest in either layout (for reading history)."""
    return path == LEGACY_MANIFEST or is_manifest(path)


def manifest_for(record_path: str) -> str:
    """The manifest that holds the line of the record at `record_path`, in that record's layout:
    its case id's bucket manifest for a record in a bucket folder (saiken writes the line there
    even if the file sits in another folder), records/manifest.yaml for a flat one."""
    got = split(record_path)
    if got is None or got[1] is None:
        return LEGACY_MANIFEST
    return manifest_rel(got[0])


def bucket_of_manifest(path: str) -> str | None:
    return path.split("/")[1] if is_manifest(path) else None


def flat_history_accepted() -> bool:
    return os.environ.get(ACCEPT_FLAT_ENV) == "1"


def is_flat(path: str) -> bool:
    """A record or the manifest of the flat layout of older repositories."""
    got = split(path)
    return path == LEGACY_MANIFEST or (got is not None and got[1] is None)


def misplaced(path: str) -> str | None:
    """Why a file under records/ is not where the layout puts it (Japanese, with the fix), or None
    when it is placed well (or is not a record nor a manifest: the plaintext check judges that)."""
    if not path.startswith(RECORDS_DIR + "/"):
        return None
    name = path.rsplit("/", 1)[-1]
    if name == MANIFEST_NAME:
        if is_manifest(path):
            return None
        if path == LEGACY_MANIFEST:
            return (f"{path} は以前の配置（全記録の宛先台帳が 1 つのファイル）です。宛先台帳は記録と同じフォルダの "
                    f"{RECORDS_DIR}/<xx>/{MANIFEST_NAME} に置きます。`{MIGRATE_COMMAND}` で移し、表示される "
                    "`git commit` でコミットしてください。")
        return (f"宛先台帳 {path} の場所が誤っています。宛先台帳を置けるのは {RECORDS_DIR}/<xx>/{MANIFEST_NAME}"
                f"（<xx> は 00〜ff のフォルダ）だけです。`git rm --cached {path}` で外し、"
                f"`{MIGRATE_COMMAND}` で台帳を作り直してください。")
    got = split(path)
    if got is None:
        if path.endswith(SUFFIX):  # deeper than records/<xx>/
            return (f"記録 {path} の場所が誤っています。記録は {RECORDS_DIR}/<xx>/事案番号{SUFFIX} に置きます"
                    f"（`saiken records path 事案番号` で場所を表示します）。`{MIGRATE_COMMAND}` で正しい場所に移してください。")
        return None
    case_id, folder = got
    if not _CASE_ID.fullmatch(case_id):
        return None  # a name that is no case id: the plaintext check says so
    right = record_rel(case_id)
    if folder is None:
        return (f"記録 {path} は以前の配置（records/ の直下）です。記録は事案番号から決まるフォルダ {right} に置きます。"
                f"`{MIGRATE_COMMAND}` で移し、表示される `git commit` でコミットしてください。")
    if folder != bucket(case_id):
        return (f"記録 {path} のフォルダが誤っています。事案 {case_id} の記録の場所は {right} です"
                f"（`saiken records path {case_id}`）。`git mv {path} {right}` で移すか、`{MIGRATE_COMMAND}` を"
                "実行してください。")
    return None


# --- the work tree ---------------------------------------------------------------------------------

def record_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(case id, path) of every well-placed record in the work tree, sorted by case id."""
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        return iter(())
    found: list[tuple[str, Path]] = []
    for sub in folder.iterdir():
        if not is_bucket(sub.name) or not sub.is_dir():
            continue
        for p in sub.glob(f"*{SUFFIX}"):
            cid = p.name[: -len(SUFFIX)]
            if bucket(cid) == sub.name:
                found.append((cid, p))
    return iter(sorted(found))


def record_rels(root: Path) -> list[str]:
    """Paths (relative to the root) of every well-placed record in the work tree, by case id."""
    return [f"{RECORDS_DIR}/{p.parent.name}/{p.name}" for _, p in record_files(root)]


def flat_files(root: Path) -> list[Path]:
    """Records left in the flat layout (records/<case-id>.yaml.age) in the work tree."""
    folder = root / RECORDS_DIR
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def manifest_files(root: Path) -> list[Path]:
    """Every bucket manifest in the work tree."""
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*/{MANIFEST_NAME}") if is_bucket(p.parent.name))
