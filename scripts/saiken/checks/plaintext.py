"""No plaintext under records/: only valid age files (binary or armored) may live there.

Anything else – a decrypted YAML left behind, an editor's backup, a PDF – would put personal data
into Git history for good. A file named after something other than a case id is refused too, since
a file name is not encrypted (a name in a path is a leak of its own). Outside records/, a file that
is a decrypted case record (YAML with case_id and parties) is refused wherever it is.
"""

from __future__ import annotations

import re
from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker
from saiken.checks.context import PERSONAL_DATA_FILE, CheckInput
from saiken.core import agefile, schema
from saiken.core.records import RECORDS_DIR, SUFFIX
from saiken.errors import DecryptFailure

ID = "plaintext"
TERMS = (2, 8)
SEVERITY = ERROR
TITLE = "records/ には暗号化された記録（age 形式）だけを置く"

ALLOWED_NAMES = {"manifest.yaml", ".gitkeep"}
# Program source may hold a record template (the editor's); a decrypted record is data, not code.
SOURCE_SUFFIXES = (".py", ".sh", ".typ", ".js", ".ts", ".go", ".rs", ".c", ".h", ".toml", ".cfg", ".ini")
_found = FindingMaker(ID, TERMS, SEVERITY)
_RECORD_SHAPE = re.compile(rb"^case_id\s*:", re.M)
_PARTIES = re.compile(rb"^parties\s*:", re.M)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if f.path.startswith(RECORDS_DIR + "/"):
        yield from _under_records(f)
    elif not f.path.endswith(SOURCE_SUFFIXES) and _looks_like_decrypted_record(f.data) \
            and not _fictional(f.path, inp):
        yield _found(f.path, None, "復号された事案の記録（case_id と parties を含む YAML）が暗号化されずに置かれています。"
                     f"`git rm --cached {f.path}` で取り除き、ファイルは `shred -u {f.path}` で消去してください。"
                     "記録の変更は `saiken case edit 事案番号` で行ってください。")


def _under_records(f: FileInput) -> Iterable[Finding]:
    name = f.path.rsplit("/", 1)[-1]
    if name in ALLOWED_NAMES:
        return
    try:
        agefile.parse(f.data)
    except DecryptFailure as exc:
        yield _found(f.path, None, f"records/ に暗号化されていないファイルがあります（{exc.message.rstrip('。')}）。"
                     "ここには saiken が暗号化した記録だけを置けます。"
                     f"`git rm --cached {f.path}` で取り除いてファイルを `shred -u {f.path}` で消去し、"
                     "記録は `saiken case new --from ファイル` で暗号化して作り直してください。")
        return
    if "/" in f.path[len(RECORDS_DIR) + 1:] or not name.endswith(SUFFIX) \
            or not schema.CASE_ID.match(name[: -len(SUFFIX)]):
        yield _found(f.path, None, f"records/ のファイル名は「事案番号{SUFFIX}」（例 C-AB12CD34{SUFFIX}）でなければなりません。"
                     "ファイル名は暗号化されないため、氏名などを含めてはいけません。"
                     f"`git mv {f.path} {RECORDS_DIR}/事案番号{SUFFIX}` で名前を改めてください。")


def _fictional(path: str, inp: CheckInput) -> bool:
    """Paths the repository declares as fictional test data (policies/personal-data.yaml)."""
    conf = inp.file_yaml(PERSONAL_DATA_FILE) or {}
    return any(path.startswith(str(p)) for p in conf.get("fictional_paths") or [])


def _looks_like_decrypted_record(data: bytes) -> bool:
    head = data[:65536]
    return bool(_RECORD_SHAPE.search(head) and _PARTIES.search(head))
