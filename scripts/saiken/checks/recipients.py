"""Every record is encrypted to exactly the active designated handlers (terms 2, 10, 13).

What can be verified without a key – the X25519 stanza count, the ssh-ed25519 key tags, no other
kind of recipient, and the writer's claim in records/<xx>/<y>/manifest.yaml tied to the file's SHA-256 – is
compared with the active handlers by saiken.core.recipients (the same code as `saiken recipients`). An
extra recipient is someone who is not a designated handler and can read the record – a third party
(term 10); a missing one is a designated handler who cannot. With the runner's own identity (a
handler's `check --all`, hooks, a ward server registered as a 甲 handler) the stanzas are proven:
recomputed from the file key for exactly the active handlers and compared byte for byte
(saiken.core.stanzas), so an outsider's stanza shows even when count and manifest were made to agree.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker
from saiken.checks.context import CheckInput, OpenedRecord, case_id_of, is_record_path
from saiken.core import agefile, layout, manifest, recipients
from saiken.core.records import DAMAGED
from saiken.errors import DecryptFailure

ID = "recipients"
TERMS = (2, 10, 13)
SEVERITY = ERROR
TITLE = "記録は有効な取扱者（指定された者）だけに宛てて暗号化する"

_found = FindingMaker(ID, TERMS, SEVERITY)
_REKEY = "`saiken rekey` で全記録を有効な取扱者宛てに暗号化し直してください。"


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if not is_record_path(f.path):
        return
    try:
        agefile.parse(f.data)
    except DecryptFailure:
        return  # not an age file: the plaintext check reports it
    rec = inp.record(f)
    damaged = rec is not None and rec.failure_kind in DAMAGED
    yield from _header_and_manifest(f, inp, prove=not damaged)  # a damaged file is reported below
    if damaged:
        yield from _damaged(f, rec)


def _header_and_manifest(f: FileInput, inp: CheckInput, *, prove: bool) -> Iterable[Finding]:
    """The comparison itself lives in saiken.core.recipients (also behind `saiken recipients`)."""
    if "recipients" not in inp.memo:
        man = _manifests(inp, [g.path for g in inp.files if is_record_path(g.path)])
        inp.memo["recipients"] = (man, recipients.Expected.from_policy(inp.ctx.policy),
                                  recipients.holders(inp.ctx.identities))
    man, expected, keys = inp.memo["recipients"]
    rr = recipients.inspect(case_id_of(f.path), f.data, man, expected, keys if prove else None)
    if rr.problems:
        yield _found(f.path, "header", f"記録の宛先が有効な取扱者と一致しません: {'。'.join(rr.problems)}。"
                     f"指定された取扱者だけが開ける状態でなければなりません（再委託・漏えいの防止）。{_REKEY}")


def _manifests(inp: CheckInput, paths: list[str]) -> manifest.Manifest:
    """The manifest lines of the records at `paths`, from the manifests their layout puts their
    lines in (their buckets'; records/manifest.yaml for a flat history being restored) only."""
    by_manifest: dict[str, set[str]] = {}
    for path in paths:
        by_manifest.setdefault(layout.manifest_for(path), set()).add(case_id_of(path))
    prefetch = getattr(inp.ctx.read, "prefetch", None)
    if prefetch is not None:  # a tree in git: the manifests in one `git cat-file`
        prefetch([r for r in sorted(by_manifest) if r not in {f.path for f in inp.files}])
    man = manifest.Manifest({}, [])
    for rel, wanted in sorted(by_manifest.items()):
        raw = inp.raw(rel)
        if not raw:
            continue
        part = manifest.parse(raw.decode("utf-8", "replace"), only=wanted if len(wanted) < 100 else None)
        for case_id, found in part.entries.items():
            man.entries.setdefault(case_id, []).extend(found)
        man.problems.extend(part.problems)
    return man


def _damaged(f: FileInput, rec: OpenedRecord) -> Iterable[Finding]:
    reason = rec.error.message if rec.error else ""
    yield _found(f.path, None, f"記録を開けません: {reason} 改ざん・破損の可能性があります。"
                 "`git log -p -- " + f.path + "` で最後に正常だった版を確かめ、取扱責任者に連絡してください"
                 "（事故の場合は特記事項19により甲へ報告します）。", terms=(2,))
