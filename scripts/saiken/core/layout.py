"""Where records and their manifests live: the one place that knows the layout of records/.

A record lives in one of 4,096 bucket folders on two levels, named after the first three hex
digits of the SHA-256 of its case id (UTF-8): two for the first level (256 folders), one for the
second (16 in each):

    records/<xx>/<y>/<case-id>.yaml.age      the encrypted record
    records/<xx>/<y>/manifest.yaml           the manifest lines of that bucket's records only

A commit that writes one record writes the records/ tree (256 entries), one first-level tree (16),
one bucket tree and one bucket manifest of n/4,096 records each (about 2 at 10,000 records, 24
at 100,000, 244 at a million). The trees and the manifest are what git stores, packs, clones and
diffs for each commit, and what `ledger handovers` reads per commit, so they must not grow with the
number of records. Measured with scripts/bench/bench_server.py from 10,000 to 100,000 records and
commits: with one level of 256 folders each bucket manifest held n/256 lines (390 at 100,000) and
`ledger handovers` read 3.2 GB of manifests (x93 for x10 commits); with 256 x 256 folders the
first-level trees grew from 39 to 256 entries between these sizes. 256 x 16 are full at 10,000
already and their leaves stay small.

Older repositories kept every record flat, `records/<case-id>.yaml.age`, with one
`records/manifest.yaml`, or in one level of folders, `records/<xx>/<case-id>.yaml.age` with
`records/<xx>/manifest.yaml`. History keeps those shapes: code reading history (`ledger handovers`)
understands all three (`any_case_id`, `manifest_for`); the checks refuse them in new commits
(`misplaced`), and `saiken records migrate` moves a repository with `git mv`.
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
MANIFEST_GLOB = f"{RECORDS_DIR}/*/*/{MANIFEST_NAME}"  # the gitattributes pattern of every bucket manifest
KEEP_NAME = ".gitkeep"
MIGRATE_COMMAND = "saiken records migrate"
# Set by `saiken server setup --import` around its push only: a restored history holds the commits
# made before the migration, in the flat layout, which were accepted when they were pushed. Nobody
# pushing over SSH can set it (sshd passes no such variable), and the cache keys include it.
ACCEPT_FLAT_ENV = "SAIKEN_ACCEPT_FLAT_HISTORY"

_BUCKET = re.compile(r"[0-9a-f]{2}/[0-9a-f]")
_LEVEL1 = re.compile(r"[0-9a-f]{2}")
_LEVEL2 = re.compile(r"[0-9a-f]")
_CASE_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{2,31}")  # as saiken.core.schema.CASE_ID


def bucket(case_id: str) -> str:
    """The bucket of a case id, `xx/y`: the first three hex digits of sha256(case id in UTF-8)."""
    digest = hashlib.sha256(case_id.encode("utf-8")).hexdigest()
    return f"{digest[:2]}/{digest[2]}"


def is_bucket(name: str) -> bool:
    """Whether `name` is a bucket, `xx/y` (a folder of two hex digits, one of one in it)."""
    return _BUCKET.fullmatch(name) is not None


def folder_bucket(folder: Path) -> str:
    """The bucket a folder of the work tree would be (`xx/y` from its last two names)."""
    return f"{folder.parent.name}/{folder.name}"


def buckets() -> list[str]:
    return [f"{a:02x}/{b:x}" for a in range(256) for b in range(16)]


def record_rel(case_id: str) -> str:
    """`records/<xx>/<y>/<case-id>.yaml.age`"""
    return f"{RECORDS_DIR}/{bucket(case_id)}/{case_id}{SUFFIX}"


def flat_rel(case_id: str) -> str:
    """Where the flat layout kept a record (for migration and history only)."""
    return f"{RECORDS_DIR}/{case_id}{SUFFIX}"


def manifest_rel(case_id: str | None = None, *, of_bucket: str | None = None) -> str:
    """The manifest holding a case id's line (or a bucket's manifest): `records/<xx>/<y>/manifest.yaml`."""
    b = of_bucket if of_bucket is not None else bucket(case_id or "")
    return f"{RECORDS_DIR}/{b}/{MANIFEST_NAME}"


def record_path(root: Path, case_id: str) -> Path:
    return root / record_rel(case_id)


def manifest_path(root: Path, case_id: str | None = None, *, of_bucket: str | None = None) -> Path:
    return root / manifest_rel(case_id, of_bucket=of_bucket)


# --- reading paths back ---------------------------------------------------------------------------

def split(path: str) -> tuple[str, str | None] | None:
    """A record path in any layout -> (case id, its folder: a bucket `xx/y` in this layout, one
    name `xx` in the one-level layout of older repositories, None for flat); else None. The case id
    is the file name without the suffix, whatever it holds (the checks judge it)."""
    if not path.startswith(RECORDS_DIR + "/") or not path.endswith(SUFFIX):
        return None
    parts = path[len(RECORDS_DIR) + 1:].split("/")
    name = parts[-1][: -len(SUFFIX)]
    if not name:
        return None
    if len(parts) == 1:
        return name, None
    if len(parts) == 2:  # one folder level: the older one-level layout (history), never a bucket
        return name, parts[0]
    if len(parts) == 3:
        return name, f"{parts[0]}/{parts[1]}"
    return None


def case_id_of(path: str) -> str | None:
    """The case id of a well-placed record path (`records/<xx>/<y>/<id>.yaml.age`), else None."""
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
    """Whether `path` is a bucket manifest, `records/<xx>/<y>/manifest.yaml`."""
    parts = path.split("/")
    return (len(parts) == 4 and parts[0] == RECORDS_DIR and _LEVEL1.fullmatch(parts[1]) is not None
            and _LEVEL2.fullmatch(parts[2]) is not None and parts[3] == MANIFEST_NAME)


def is_one_level_manifest(path: str) -> bool:
    """A manifest of the one-level layout of older repositories, `records/<xx>/manifest.yaml`."""
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == RECORDS_DIR and _LEVEL1.fullmatch(parts[1]) is not None \
        and parts[2] == MANIFEST_NAME


def is_any_manifest(path: str) -> bool:
    """A manifest in any layout (for reading history)."""
    return path == LEGACY_MANIFEST or is_manifest(path) or is_one_level_manifest(path)


def manifest_for(record_path: str) -> str:
    """The manifest that holds the line of the record at `record_path`, in that record's layout:
    its case id's bucket manifest for a record in a bucket folder (saiken writes the line there
    even if the file sits in another folder), records/manifest.yaml for a flat one, its folder's
    records/<xx>/manifest.yaml for one in the one-level layout."""
    got = split(record_path)
    if got is None or got[1] is None:
        return LEGACY_MANIFEST
    if "/" not in got[1]:
        return f"{RECORDS_DIR}/{got[1]}/{MANIFEST_NAME}"
    return manifest_rel(got[0])


def bucket_of_manifest(path: str) -> str | None:
    return "/".join(path.split("/")[1:3]) if is_manifest(path) else None


def flat_history_accepted() -> bool:
    return os.environ.get(ACCEPT_FLAT_ENV) == "1"


def is_old_layout(path: str) -> bool:
    """A record or manifest of an older layout (flat, or one level of folders)."""
    got = split(path)
    return path == LEGACY_MANIFEST or is_one_level_manifest(path) or \
        (got is not None and (got[1] is None or "/" not in got[1]))


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
                    f"{RECORDS_DIR}/<xx>/<y>/{MANIFEST_NAME} に置きます。`{MIGRATE_COMMAND}` で移し、表示される "
                    "`git commit` でコミットしてください。")
        if is_one_level_manifest(path):
            return (f"{path} は以前の配置（1 段のフォルダ）の宛先台帳です。宛先台帳は記録と同じ 2 段目のフォルダの "
                    f"{RECORDS_DIR}/<xx>/<y>/{MANIFEST_NAME} に置きます。`{MIGRATE_COMMAND}` で移し、表示される "
                    "`git commit` でコミットしてください。")
        return (f"宛先台帳 {path} の場所が誤っています。宛先台帳を置けるのは {RECORDS_DIR}/<xx>/<y>/{MANIFEST_NAME}"
                f"（<xx> は 00〜ff、<y> は 0〜f のフォルダ）だけです。`git rm --cached {path}` で外し、"
                f"`{MIGRATE_COMMAND}` で台帳を作り直してください。")
    got = split(path)
    if got is None:
        if path.endswith(SUFFIX):  # deeper than records/<xx>/<y>/
            return (f"記録 {path} の場所が誤っています。記録は {RECORDS_DIR}/<xx>/<y>/事案番号{SUFFIX} に置きます"
                    f"（`saiken records path 事案番号` で場所を表示します）。`{MIGRATE_COMMAND}` で正しい場所に移してください。")
        return None
    case_id, folder = got
    if not _CASE_ID.fullmatch(case_id):
        return None  # a name that is no case id: the plaintext check says so
    right = record_rel(case_id)
    if folder is None:
        return (f"記録 {path} は以前の配置（records/ の直下）です。記録は事案番号から決まるフォルダ {right} に置きます。"
                f"`{MIGRATE_COMMAND}` で移し、表示される `git commit` でコミットしてください。")
    if "/" not in folder:
        return (f"記録 {path} は以前の配置（1 段のフォルダ）です。記録は事案番号から決まる 2 段目のフォルダ {right} に"
                f"置きます。`{MIGRATE_COMMAND}` で移し、表示される `git commit` でコミットしてください。")
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
    for p in folder.glob(f"*/*/*{SUFFIX}"):
        cid = p.name[: -len(SUFFIX)]
        if bucket(cid) == folder_bucket(p.parent):
            found.append((cid, p))
    return iter(sorted(found))


def record_rels(root: Path) -> list[str]:
    """Paths (relative to the root) of every well-placed record in the work tree, by case id."""
    return [f"{RECORDS_DIR}/{folder_bucket(p.parent)}/{p.name}" for _, p in record_files(root)]


def old_layout_files(root: Path) -> list[Path]:
    """Records left in an older layout in the work tree: flat (records/<case-id>.yaml.age) or in
    one level of folders (records/<xx>/<case-id>.yaml.age)."""
    folder = root / RECORDS_DIR
    return sorted([*folder.glob(f"*{SUFFIX}"), *folder.glob(f"*/*{SUFFIX}")]) if folder.is_dir() else []


def old_manifest_files(root: Path) -> list[Path]:
    """Manifests of an older layout in the work tree: records/manifest.yaml, records/<xx>/manifest.yaml."""
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"*/{MANIFEST_NAME}") if _LEVEL1.fullmatch(p.parent.name)]
    return sorted([*([folder / MANIFEST_NAME] if (folder / MANIFEST_NAME).is_file() else []), *found])


def manifest_files(root: Path) -> list[Path]:
    """Every bucket manifest in the work tree."""
    folder = root / RECORDS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*/*/{MANIFEST_NAME}") if is_bucket(folder_bucket(p.parent)))
