"""The contract's end for 乙 (terms 11, 12; contractor measure 4): return, erase, certify.

`erase` runs in 乙's own clone, at or after the contract end, once every medium is back. It is
complete or it refuses – the certificate is issued only after a final search finds nothing:
1. `prepare`: the records (from HEAD and the work tree) are opened with 乙's keys (SAIKEN_IDENTITY,
   every one of them 乙's) for their parties' search terms, and every copy saiken can find on the
   machine is listed (saiken.ledger.copies: documents, files naming a party, caches, textconv
   notes, plaintext folders, every 乙 identity file). One it cannot remove (an edit still running,
   a key it cannot identify) stops everything here: nothing is destroyed;
2. every copy but the keys is overwritten and removed, the records' working copy too (git
   sparse-checkout excludes records/, so later pulls do not bring them back), and the search runs
   again: anything left stops it here, with the keys still there to try again;
3. every 乙 identity file found is destroyed (overwritten with random bytes, fsync, unlinked) –
   crypto-shredding: the ciphertext that stays in git history cannot be opened again;
4. a last search; then ledger/erasures.yaml and the 個人情報消去証明書 (ledger/certificates/).
Whatever is left is listed by path and kind (never content), exit 1, and no certificate.
Re-encrypting the records for 甲 alone is 甲's step (`saiken rekey` after deactivating 乙).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from saiken.checks.cache import CACHE_DIR
from saiken.checks.evidence import media_out
from saiken.checks.pii_terms import TermIndex, record_terms, without_staff
from saiken.core import crypto, layout, reads, yamlio
from saiken.core.contract import Contract
from saiken.core.files import atomic_write
from saiken.core.policy import Policy, recipient_fingerprint
from saiken.core.layout import RECORDS_DIR, SUFFIX
from saiken.core.records import decrypt_text
from saiken.errors import DecryptFailure, SaikenError
from saiken.git import gitio, textconv_cache
from saiken.ledger import copies, evidence
from saiken.ledger.accesslog import key_of
from saiken.wareki import wareki

CERT_DIR = "ledger/certificates"
METHOD = ("作業用の複製から記録ファイルを、このパソコン上の文書・キャッシュ・一時ファイルなどの複製とあわせて上書きのうえ"
          "削除し、復号に必要な乙の秘密鍵をすべて上書きのうえ削除（暗号学的消去）")
SEARCHED = ("このパソコンの次の場所（作業ツリーの管理外・無視されたファイル、out/ と saiken が記録した文書の出力先、"
            "検査と差分表示のキャッシュ、編集用の一時フォルダ、鍵の置き場所（SAIKEN_IDENTITY、~/.config/saiken/、"
            ".identities/、~/.ssh/））")


@dataclass
class Erased:
    cases: list[tuple[str, str, str]]  # (case id, git blob id, sha256 of the file)
    keys: list[tuple[str, str]]  # (handler id, key fingerprint)
    certificate: Path
    entry: dict[str, object]
    copies: dict[str, int] = field(default_factory=dict)  # other copies destroyed, by kind
    key_files: int = 0


def _ended(root: Path, as_of: dt.date) -> dt.date:
    end = Contract.load(root).end
    if end is None:
        raise SaikenError("契約の終了日が決まっていないため、消去できません。", where="policies/contract.yaml",
                          hint="契約が終了したら policies/contract.yaml の end に終了日を書いてコミットしてください。")
    if as_of < end:
        raise SaikenError(f"契約期間中（終了日 {end.isoformat()}）は消去できません。記録は契約終了後に消去します。",
                          hint=f"終了日以降に `saiken erase --as 乙 --as-of {end.isoformat()}` を実行してください。")
    return end


def _ready(root: Path, as_of: dt.date) -> Policy:
    _ended(root, as_of)
    out = media_out(root)
    if out:
        raise SaikenError("返還されていない媒体があるため、消去できません: " + ", ".join(str(m.get("id")) for m in out) + "。",
                          where=evidence.rel("media"), hint="返還を確認したら `saiken ledger return --medium ID` で記録してください。")
    return Policy.load(root)


def _records(root: Path) -> list[tuple[str, str, str]]:
    blobs: dict[str, str] = {}
    for line in gitio.text(["ls-files", "-s", "--", RECORDS_DIR], root).splitlines():
        meta, _, path = line.partition("\t")
        blobs[path] = meta.split()[1]
    out = []
    for path in _worktree_records(root):
        relpath = path.relative_to(root).as_posix()
        out.append((path.name[: -len(SUFFIX)], blobs.get(relpath, "（未コミット）"),
                    hashlib.sha256(path.read_bytes()).hexdigest()))
    return out


def _keys(policy: Policy) -> list[tuple[Path, crypto.LoadedIdentity, str]]:
    """(identity file, identity, handler id) for every SAIKEN_IDENTITY key; all must be 乙's."""
    by_key = {key_of(h.public_key): h for h in policy.handlers}
    out = []
    for path in crypto.identity_paths():
        for ident in crypto.load_identity_file(path):
            handler = by_key.get(key_of(ident.public))
            if handler is None or handler.organisation != "乙":
                raise SaikenError("乙の取扱者の鍵ではない鍵が含まれています。甲の鍵や不明な鍵は破棄しません。",
                                  where=str(path), hint="SAIKEN_IDENTITY に乙の取扱者の鍵ファイルだけを指定してください。")
            out.append((path, ident, handler.id))
    if not out:
        raise SaikenError("破棄する乙の鍵がありません。", hint="SAIKEN_IDENTITY に乙の鍵ファイルを指定してください。")
    return out


def _record_blobs(root: Path) -> dict[str, bytes]:
    """Every record 乙's clone holds: the work tree's, and HEAD's (which stay readable after the
    working copy is gone, so a second run still knows what to look for)."""
    found: dict[str, bytes] = {}
    try:
        tree = {p: o for p, o in gitio.tree_entries(root, "HEAD").items() if layout.is_record_like(p)}
    except gitio.GitError:
        tree = {}
    by_oid = dict(gitio.cat_blobs(root, tree.values()))
    for path, oid in tree.items():
        if by_oid.get(oid):
            found[path] = by_oid[oid]  # type: ignore[assignment]
    for path in _worktree_records(root):
        found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _worktree_records(root: Path) -> list[Path]:
    """Every record file of the work tree, in the bucket folders and any left in the flat layout."""
    return sorted([*layout.old_layout_files(root), *(p for _, p in layout.record_files(root))], key=lambda p: (p.name, str(p)))


def search_terms(root: Path, policy: Policy, identities: list[crypto.LoadedIdentity]) -> TermIndex:
    """The parties' names, addresses, phones … of every record 乙's keys open (pii_terms), to find
    copies by; kept in memory only, for this run."""
    terms = []
    for path, data in sorted(_record_blobs(root).items(), key=lambda kv: kv[0].rsplit("/", 1)[-1]):  # by case id
        case_id = path.rsplit("/", 1)[-1][: -len(SUFFIX)]
        try:
            text = decrypt_text(data, identities, where=path)
        except DecryptFailure:
            continue  # not encrypted to 乙: 乙 holds no readable copy of it
        reads.opened(case_id, identities, root)
        terms += record_terms(yamlio.bulk_load(text, where=path), case_id)
    return TermIndex(without_staff(terms, [h.name for h in policy.handlers]))


def _shred(path: Path) -> None:
    if path.is_symlink() or not path.is_file():
        path.unlink(missing_ok=True)
        return
    size = max(path.stat().st_size, 1)
    with path.open("r+b") as fh:
        fh.write(os.urandom(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def _destroy(copy: copies.Copy) -> None:
    target = copy.target
    if target is None:
        return  # git refs and settings: textconv_cache.remove
    if target.is_dir() and not target.is_symlink():
        for path in sorted(target.rglob("*"), reverse=True):
            if path.is_file() or path.is_symlink():
                _shred(path)
        shutil.rmtree(target, ignore_errors=True)
    else:
        _shred(target)


def _remove_working_copy(root: Path) -> None:
    gitio.run(["sparse-checkout", "set", "--no-cone", "/*", f"!/{RECORDS_DIR}/"], root)
    for path in (root / RECORDS_DIR).rglob("*"):  # files git did not track (in the bucket folders too)
        if path.is_file():
            _shred(path)


class NotErased(SaikenError):
    """Copies left: listed by kind and path, never by content; no certificate is issued."""

    def __init__(self, what: str, left: list[copies.Copy], hint: str) -> None:
        lines = "\n".join(f"  - {c.line()}" for c in left)
        super().__init__(f"{what}消去証明書は作っていません。残っているもの（{len(left)} 件）:\n{lines}", hint=hint)
        self.left = left


_RETRY = "表示されたものを確かめて、もう一度 `saiken erase --as 乙` を実行してください。"


@dataclass
class Plan:
    """What erase found before destroying anything (the command shows it before asking)."""

    root: Path
    as_of: dt.date
    policy: Policy
    cases: list[tuple[str, str, str]]
    keys: list[tuple[Path, crypto.LoadedIdentity, str]]
    index: TermIndex
    found: list[copies.Copy] = field(default_factory=list)

    @property
    def searched_names(self) -> bool:
        """False when 乙's keys opened no record: files naming a party could not be looked for."""
        return bool(self.index)

    def counts(self) -> Counter[str]:
        return Counter(c.kind for c in self.found)

    def key_files(self) -> list[Path]:
        """SAIKEN_IDENTITY's files and every other identity file of a 乙 handler found."""
        found = [c.target for c in self.found if c.kind == copies.KEY and c.target is not None]
        return list(dict.fromkeys([p.absolute() for p, _, _ in self.keys] + found))


def prepare(root: Path, *, as_of: dt.date) -> Plan:
    policy = _ready(root, as_of)
    keys = _keys(policy)
    index = search_terms(root, policy, [i for _, i, _ in keys])
    found = copies.find(root, policy, index)
    blocking = [c for c in found if c.blocking]
    if blocking:
        raise NotErased("消去できないものがあるため、何も消去していません。", blocking, _RETRY)
    return Plan(root, as_of, policy, _records(root), keys, index, found)


def erase(root: Path, *, as_of: dt.date, plan: Plan | None = None) -> Erased:
    """乙's side: every copy found, then 乙's keys, then certify – or refuse, listing what is left."""
    plan = plan or prepare(root, as_of=as_of)
    for copy in plan.found:
        if copy.kind != copies.KEY:
            _destroy(copy)
    textconv_cache.remove(root)
    _remove_working_copy(root)
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)  # emptied above; the folder goes too
    left = copies.find(root, plan.policy, plan.index, keys=False)
    if left:
        raise NotErased("消去しきれないものがあるため、鍵は破棄していません。", left, _RETRY)
    key_files = plan.key_files()
    destroyed = _key_fingerprints(plan, key_files)
    for path in key_files:
        _shred(path)
    left = copies.find(root, plan.policy, plan.index)
    if left:
        raise NotErased("鍵は破棄しましたが、まだ残っているものがあります。", left,
                        "表示されたものを手で消去（shred -u）し、甲に報告してください。")
    erased = _certify(plan, destroyed)
    erased.key_files = len(key_files)
    return erased


def _key_fingerprints(plan: Plan, key_files: list[Path]) -> list[tuple[str, str]]:
    """(handler id, fingerprint) of every 乙 key in the files about to be destroyed."""
    by_key = {key_of(h.public_key): h for h in plan.policy.handlers if h.organisation == "乙"}
    out: dict[str, tuple[str, str]] = {}
    for path in key_files:
        for public in copies.key_publics(path) or []:
            handler = by_key.get(key_of(public))
            if handler is not None:
                out.setdefault(key_of(public), (handler.id, recipient_fingerprint(public)))
    return list(out.values())


def _certify(plan: Plan, keys: list[tuple[str, str]]) -> Erased:
    root, as_of, cases = plan.root, plan.as_of, plan.cases
    by = plan.keys[0][2]
    cert = root / CERT_DIR / f"erasure-{as_of.isoformat()}-{by}.md"
    other = {kind: n for kind, n in sorted(plan.counts().items()) if kind not in (copies.KEY, copies.WORKING_COPY)}
    entry: dict[str, object] = {
        "date": as_of, "scope": f"乙の作業用複製の記録 {len(cases)} 件と乙の秘密鍵 {len(keys)} 個"
        + "".join(f"、{kind} {n} 件" for kind, n in other.items()),
        "method": METHOD, "by": by, "certificate": as_of, "certificate_file": str(cert.relative_to(root)),
        "cases": [c for c, _, _ in cases], "keys": [f for _, f in keys]}
    evidence.append(root, "erasures", entry)
    erased = Erased(cases, keys, cert, entry, other)
    cert.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(cert, certificate_markdown(erased, as_of, by).encode("utf-8"))
    return erased


def rekey_for_kou(root: Path, as_of: dt.date) -> tuple[int, int]:
    """甲's side after 乙's erasure: every record re-encrypted to 甲's handlers alone (saiken rekey).

    Returns (records rekeyed, records in all). Refuses while a 乙 handler is still active."""
    from saiken.core import rekey
    from saiken.core.records import Store

    end = _ended(root, as_of)
    store = Store.open(root)
    otsu = [h.id for h in store.policy.active_handlers if h.organisation == "乙"]
    if otsu:
        raise SaikenError(f"乙の取扱者が有効のままです: {', '.join(otsu)}。", where="policies/handlers.yaml",
                          hint="; ".join(f"saiken handler deactivate {h} --on {end.isoformat()}" for h in otsu))
    if not any(isinstance(e.get("certificate"), dt.date) for e in evidence.entries(root, "erasures")):
        print("注意: 乙の消去証明書がまだ ledger/erasures.yaml にありません（乙が `saiken erase --as 乙` を実行します）。",
              file=sys.stderr)
    outcome = rekey.rekey(store, crypto.load_identities())
    return len(outcome.changed), outcome.total


def certificate_markdown(erased: Erased, on: dt.date, by: str) -> str:
    rows = [f"| {c} | `{blob}` | `{sha[:16]}…` |" for c, blob, sha in erased.cases] or ["| （なし） | | |"]
    keys = [f"| {h} | `{f}` |" for h, f in erased.keys]
    others = [f"- {kind}: {n} 件" for kind, n in erased.copies.items()] or ["- なし"]
    return "\n".join([
        "# 個人情報消去証明書", "",
        "特記事項11・12に基づき、委託業務で取り扱った個人情報を、次のとおり消去したことを証明します。", "",
        f"- 消去日: {wareki(on)}（{on.isoformat()}）",
        f"- 消去した者: 乙の取扱者 {by}",
        f"- 方法: {METHOD}",
        f"- 件数: 記録 {len(erased.cases)} 件、秘密鍵 {len(erased.keys)} 個", "",
        "## 消去した記録（事案番号と暗号文のハッシュ）", "",
        "| 事案番号 | Git のブロブ | ファイルの SHA-256 |", "|---|---|---|", *rows, "",
        "## 破棄した鍵（公開鍵の指紋）", "", "| 取扱者 | 指紋 |", "|---|---|", *keys, "",
        "## 消去したその他の複製", "", *others, "",
        f"消去の前と後に、{SEARCHED}を探し、最後の確認で何も残っていないことを確かめてから、この証明書を作りました。", "",
        "## 残るもの", "",
        "- Git の履歴には、これらの記録の暗号文が残ります。復号に必要な乙の秘密鍵は上記のとおり破棄したため、"
        "乙はこれを開くことができません。",
        "- 甲の取扱者の鍵で開ける記録（甲が保有する複製）は、甲の管理のもとに残ります。",
        "- 甲は、乙の取扱者を解除し、記録を甲の取扱者だけに暗号化し直します（`saiken handler deactivate` と `saiken rekey`）。",
        "- この証明書は、鍵を破棄した時点より前に作られた鍵の写し（バックアップ等）がないことを前提とします。"
        "写しがあれば、同じ方法で破棄してください。",
        "- 上の場所の外（USB メモリ、メールの添付、印刷した書類、別のパソコンなど）の複製は、saiken からは"
        "見つけられません。それぞれ破棄し、媒体は返還してください（ledger/media.yaml）。", "",
        "以上", "",
        "乙の取扱者（署名）: ＿＿＿＿＿＿＿＿＿＿", "",
    ])
