"""No plaintext under records/: only valid age files (binary or armored) may live there.

Anything else – a decrypted YAML left behind, an editor's backup, a PDF – would put personal data
into Git history for good. An age file is judged whole, without any key: a strict header, then a
payload that has the size and the look of age's STREAM ciphertext (saiken.core.ciphertext), so a
genuine header in front of plaintext is no record. A file named after something other than a case
id is refused too, since a file name is not encrypted (a name in a path is a leak of its own).
Outside records/, the paths check (default deny) and record_like (a record anywhere) take over.

The layout is checked here too (saiken.core.layout): a record must be `records/<xx>/<y>/<case-id>.yaml.age`
in the bucket its case id names, a manifest `records/<xx>/<y>/manifest.yaml`; the layouts of older
repositories (flat: `records/<case-id>.yaml.age`, `records/manifest.yaml`; one level:
`records/<xx>/<case-id>.yaml.age`, `records/<xx>/manifest.yaml`) are refused with the command that
moves them (`saiken records migrate`).
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker, shell_path
from saiken.checks.context import CheckInput
from saiken.core import agefile, ciphertext, layout, schema
from saiken.core.layout import RECORDS_DIR, SUFFIX
from saiken.errors import DecryptFailure

ID = "plaintext"
TERMS = (2, 8)
SEVERITY = ERROR
TITLE = "records/ には暗号化された記録（age 形式）だけを置く"

KEEP = f"{RECORDS_DIR}/{layout.KEEP_NAME}"  # the empty-folder marker of `saiken init`
_found = FindingMaker(ID, TERMS, SEVERITY)


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if f.path.startswith(RECORDS_DIR + "/"):
        yield from _under_records(f, inp)


def _under_records(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    name = f.path.rsplit("/", 1)[-1]
    if f.path == KEEP or layout.is_manifest(f.path):
        return
    wrong = layout.misplaced(f.path)
    if wrong and layout.is_old_layout(f.path) and layout.flat_history_accepted():
        # a history made before the migration, being restored (saiken server setup --import)
        if layout.is_any_manifest(f.path):  # records/manifest.yaml, records/<xx>/manifest.yaml
            return
        wrong = None
    if name == layout.MANIFEST_NAME and wrong:
        yield _found(f.path, None, wrong)
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
    if layout.split(f.path) is None or not schema.CASE_ID.match(name[: -len(SUFFIX)]):
        yield _found(f.path, None, f"records/ のファイル名は「事案番号{SUFFIX}」（例 C-AB12CD34{SUFFIX}）でなければなりません。"
                     "ファイル名は暗号化されないため、氏名などを含めてはいけません。"
                     f"`git mv {q} $(saiken records path 事案番号)` で名前と場所を改めてください"
                     f"（場所は {RECORDS_DIR}/<xx>/事案番号{SUFFIX}）。")
    elif wrong:
        yield _found(f.path, None, wrong)


def _decrypted(f: FileInput, inp: CheckInput) -> bool:
    """Whether the runner's identity opened the file (the other checks open it anyway): age's tags
    then proved its payload ciphertext, and judging its shape would tell nothing more."""
    rec = inp.record(f)
    return rec is not None and (rec.error is None or rec.failure_kind == "yaml")
