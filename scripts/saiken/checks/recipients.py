"""Every record is encrypted to exactly the active designated handlers (terms 2, 10, 13).

What the age header lets anyone verify without a key: the number of X25519 stanzas (they are
anonymous), the key tags of ssh-ed25519 stanzas, and that no other kind of recipient (passphrase,
plugin, ssh-rsa) is present. An extra recipient is someone who is not a designated handler and can
read the record – a third party (term 10). A missing one is a designated handler who cannot.
With the runner's own identity, the check also proves that its stanza really opens the file.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from saiken import agefile
from saiken.checks import ERROR, FileInput, Finding, FindingMaker
from saiken.checks.context import CheckInput, case_id_of, is_record_path
from saiken.errors import DecryptFailure

ID = "recipients"
TERMS = (2, 10, 13)
SEVERITY = ERROR
TITLE = "記録は有効な取扱者（指定された者）だけに宛てて暗号化する"

GREASE = "-grease"  # rage adds a random stanza type ending in -grease: no recipient, by design
_found = FindingMaker(ID, TERMS, SEVERITY)
_REKEY = "`saiken rekey` で全記録を有効な取扱者宛てに暗号化し直してください。"


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if not is_record_path(f.path):
        return
    try:
        header, _ = agefile.parse(f.data)
    except DecryptFailure:
        return  # not an age file: the plaintext check reports it
    yield from _stanzas(f.path, header, inp)
    yield from _own_stanza(f, inp)


def _stanzas(path: str, header: agefile.Header, inp: CheckInput) -> Iterable[Finding]:
    active = inp.ctx.policy.active_handlers
    want_x25519 = sum(1 for h in active if h.recipient.kind == "X25519")
    want_ssh: Counter[str] = Counter(h.recipient.ssh_tag or "" for h in active if h.recipient.kind == "ssh-ed25519")
    got_x25519 = sum(1 for s in header.stanzas if s.type == "X25519")
    got_ssh: Counter[str] = Counter(s.args[0] for s in header.stanzas if s.type == "ssh-ed25519" and s.args)
    others = sorted({s.describe() for s in header.stanzas
                     if s.type not in ("X25519", "ssh-ed25519") and not s.type.endswith(GREASE)})
    if others:
        yield _found(path, "header", f"取扱者の鍵ではない宛先（{', '.join(others)}）に暗号化されています。"
                     f"指定された取扱者以外が開ける状態です。{_REKEY}", terms=(2, 10))
    extra = got_x25519 - want_x25519 + sum((got_ssh - want_ssh).values())
    missing = want_x25519 - got_x25519 + sum((want_ssh - got_ssh).values())
    if extra > 0:
        yield _found(path, "header", f"有効な取扱者（{len(active)} 名）より宛先が {extra} 件多く暗号化されています。"
                     f"指定を解除された取扱者や第三者が開ける状態です（再委託・漏えいの防止）。{_REKEY}",
                     terms=(2, 10))
    if missing > 0:
        yield _found(path, "header", f"有効な取扱者のうち {missing} 名宛ての暗号化がありません。"
                     f"指定された取扱者が記録を開けません。{_REKEY}", terms=(13,))


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
