"""No plaintext under records/: only valid age files (binary or armored) may live there.

Anything else – a decrypted YAML left behind, an editor's backup, a PDF – would put personal data
into Git history for good. An age file is judged whole, without any key: a strict header, then a
payload that has the size and the look of age's STREAM ciphertext (saiken.core.ciphertext), so a
genuine header in front of plaintext is no record. A file named after something other than a case
id is refused too, since a file name is not encrypted (a name in a path is a leak of its own).
Outside records/, the paths check (default deny) and record_like (a record anywhere) take over.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker, shell_path
from saiken.checks.context import CheckInput
from saiken.core import agefile, ciphertext, schema
from saiken.core.records import RECORDS_DIR, SUFFIX
from saiken.errors import DecryptFailure

ID = "plaintext"
TERMS = (2, 8)
SEVERITY = ERROR
TITLE = "records/ には暗号化された記録（age 形式）だけを置く"

ALLOWED_NAMES = {"manifest.yaml", ".gitkeep"}
_found = FindingMaker(ID, TERMS, SEVERITY)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if f.path.startswith(RECORDS_DIR + "/"):
        yield from _under_records(f, inp)


def _under_records(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    name = f.path.rsplit("/", 1)[-1]
    if name in ALLOWED_NAMES and f.path.count("/") == 1:
        return
    q = shell_path(f.path)
    try:
        agefile.parse(f.data)
        why = None if _decrypted(f, inp) else ciphertext.payload_problem(f.data)
    except DecryptFailure as exc:
        why = exc.message.rstrip("。")
    if why is not None:
        yield _found(f.path, None, f"records/ に暗号化されていないファイルがあります（{why}）。"
                     "ここには saiken が暗号化した記録だけを置けます。"
                     f"`git rm --cached {q}` で取り除いてファイルを `shred -u {q}` で消去し、"
                     "記録は `saiken case new --from ファイル` で暗号化して作り直してください。")
        return
    if "/" in f.path[len(RECORDS_DIR) + 1:] or not name.endswith(SUFFIX) \
            or not schema.CASE_ID.match(name[: -len(SUFFIX)]):
        yield _found(f.path, None, f"records/ のファイル名は「事案番号{SUFFIX}」（例 C-AB12CD34{SUFFIX}）でなければなりません。"
                     "ファイル名は暗号化されないため、氏名などを含めてはいけません。"
                     f"`git mv {q} {RECORDS_DIR}/事案番号{SUFFIX}` で名前を改めてください。")


def _decrypted(f: FileInput, inp: CheckInput) -> bool:
    """Whether the runner's identity opened the file (the other checks open it anyway): age's tags
    then proved its payload ciphertext, and judging its shape would tell nothing more."""
    rec = inp.record(f)
    return rec is not None and (rec.error is None or rec.failure_kind == "yaml")
