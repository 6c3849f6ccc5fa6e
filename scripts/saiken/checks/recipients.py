"""Every record is encrypted to exactly the active designated handlers (terms 2, 10, 13).

What can be verified without a key – the X25519 stanza count, the ssh-ed25519 key tags, no other
kind of recipient, and the writer's claim in records/manifest.yaml tied to the file's SHA-256 – is
compared with the active handlers by saiken.core.recipients (the same code as `saiken recipients`). An
extra recipient is someone who is not a designated handler and can read the record – a third party
(term 10); a missing one is a designated handler who cannot. With the runner's own identity, the
check also proves that its stanza really opens the file.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, FileInput, Finding, FindingMaker
from saiken.checks.context import CheckInput, case_id_of, is_record_path
from saiken.core import agefile, manifest, recipients
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
    yield from _header_and_manifest(f, inp)
    yield from _own_stanza(f, inp)


def _header_and_manifest(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    """The comparison itself lives in saiken.core.recipients (also behind `saiken recipients`)."""
    if "recipients" not in inp.memo:
        raw = inp.raw(manifest.MANIFEST_FILE)
        ids = {case_id_of(g.path) for g in inp.files if is_record_path(g.path)}
        man = manifest.parse(raw.decode("utf-8", "replace"), only=ids if len(ids) < 100 else None) \
            if raw else manifest.Manifest({}, [])
        inp.memo["recipients"] = (man, recipients.Expected.from_policy(inp.ctx.policy))
    man, expected = inp.memo["recipients"]
    rr = recipients.inspect(case_id_of(f.path), f.data, man, expected)
    if rr.problems:
        yield _found(f.path, "header", f"記録の宛先が有効な取扱者と一致しません: {'。'.join(rr.problems)}。"
                     f"指定された取扱者だけが開ける状態でなければなりません（再委託・漏えいの防止）。{_REKEY}")


def _own_stanza(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    rec = inp.record(f)
    kind = rec.failure_kind if rec is not None else None
    if rec is None or kind is None or kind == "yaml":
        return
    active_keys = {h.recipient.text: h.id for h in inp.ctx.policy.active_handlers}
    mine = [active_keys[i.public] for i in inp.ctx.identities if i.public in active_keys]
    if kind == "no match":
        if mine:
            yield _found(f.path, "header", f"あなたの鍵（取扱者 {', '.join(mine)}）で記録 {case_id_of(f.path)} を"
                         f"開けません。有効な取扱者宛てに暗号化されていません。{_REKEY}", terms=(13,))
        return
    reason = rec.error.message if rec.error else ""
    yield _found(f.path, None, f"記録を開けません: {reason} 改ざん・破損の可能性があります。"
                 "`git log -p -- " + f.path + "` で最後に正常だった版を確かめ、取扱責任者に連絡してください"
                 "（事故の場合は特記事項19により甲へ報告します）。", terms=(2,))
