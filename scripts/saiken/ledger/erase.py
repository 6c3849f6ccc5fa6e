"""The contract's end for 乙 (terms 11, 12; contractor measure 4): return, erase, certify.

`erase` runs in 乙's own clone, at or after the contract end, once every medium is back:
1. removes the working copy of the records (git sparse-checkout excludes records/, so later pulls
   do not bring them back, and the files are deleted) and the checks' cache (.saiken-cache/);
2. destroys 乙's identities named by SAIKEN_IDENTITY (overwritten with random bytes, fsync,
   unlinked) – crypto-shredding: the ciphertext that stays in git history cannot be opened again;
3. records it in ledger/erasures.yaml and writes the 個人情報消去証明書 (ledger/certificates/).
Re-encrypting the records for 甲 alone is 甲's step (`saiken rekey` after deactivating 乙).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from saiken.checks.cache import CACHE_DIR
from saiken.checks.evidence import media_out
from saiken.core import crypto
from saiken.core.contract import Contract
from saiken.core.files import atomic_write
from saiken.core.policy import Policy, recipient_fingerprint
from saiken.core.records import RECORDS_DIR, SUFFIX
from saiken.errors import SaikenError
from saiken.git import gitio
from saiken.ledger import evidence
from saiken.ledger.accesslog import key_of
from saiken.wareki import wareki

CERT_DIR = "ledger/certificates"
METHOD = "作業用の複製から記録ファイルを削除し、復号に必要な乙の秘密鍵を上書きのうえ削除（暗号学的消去）"


@dataclass
class Erased:
    cases: list[tuple[str, str, str]]  # (case id, git blob id, sha256 of the file)
    keys: list[tuple[str, str]]  # (handler id, key fingerprint)
    certificate: Path
    entry: dict[str, object]


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
    for path in sorted((root / RECORDS_DIR).glob(f"*{SUFFIX}")):
        relpath = f"{RECORDS_DIR}/{path.name}"
        out.append((path.name[: -len(SUFFIX)], blobs.get(relpath, "（未コミット）"),
                    hashlib.sha256(path.read_bytes()).hexdigest()))
    return out


def _keys(policy: Policy) -> list[tuple[Path, str, str]]:
    """(identity file, handler id, fingerprint) for every SAIKEN_IDENTITY file; all must be 乙's."""
    by_key = {key_of(h.public_key): h for h in policy.handlers}
    out = []
    for path in crypto.identity_paths():
        for ident in crypto.load_identity_file(path):
            handler = by_key.get(key_of(ident.public))
            if handler is None or handler.organisation != "乙":
                raise SaikenError("乙の取扱者の鍵ではない鍵が含まれています。甲の鍵や不明な鍵は破棄しません。",
                                  where=str(path), hint="SAIKEN_IDENTITY に乙の取扱者の鍵ファイルだけを指定してください。")
            out.append((path, handler.id, recipient_fingerprint(ident.public)))
    if not out:
        raise SaikenError("破棄する乙の鍵がありません。", hint="SAIKEN_IDENTITY に乙の鍵ファイルを指定してください。")
    return out


def _shred(path: Path) -> None:
    size = max(path.stat().st_size, 1)
    with path.open("r+b") as fh:
        fh.write(os.urandom(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def _remove_working_copy(root: Path) -> None:
    gitio.run(["sparse-checkout", "set", "--no-cone", "/*", f"!/{RECORDS_DIR}/"], root)
    for path in (root / RECORDS_DIR).glob("*"):  # files git did not track
        if path.is_file():
            path.unlink()
    # the checks' cache: search terms encrypted to the keys destroyed next, and clean-result hashes
    for path in sorted((root / CACHE_DIR).glob("*")) if (root / CACHE_DIR).is_dir() else []:
        if path.is_file():
            _shred(path)
    if (root / CACHE_DIR).is_dir():
        (root / CACHE_DIR).rmdir()


def erase(root: Path, *, as_of: dt.date) -> Erased:
    """乙's side: remove the working copy, destroy 乙's keys, record and certify."""
    policy = _ready(root, as_of)
    cases = _records(root)
    keys = _keys(policy)
    _remove_working_copy(root)
    for path in dict.fromkeys(p for p, _, _ in keys):
        _shred(path)
    by = keys[0][1]
    cert = root / CERT_DIR / f"erasure-{as_of.isoformat()}-{by}.md"
    entry: dict[str, object] = {
        "date": as_of, "scope": f"乙の作業用複製の記録 {len(cases)} 件と乙の秘密鍵 {len(keys)} 個",
        "method": METHOD, "by": by, "certificate": as_of, "certificate_file": str(cert.relative_to(root)),
        "cases": [c for c, _, _ in cases], "keys": [f for _, _, f in keys]}
    evidence.append(root, "erasures", entry)
    erased = Erased(cases, [(h, f) for _, h, f in keys], cert, entry)
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
        "## 残るもの", "",
        "- Git の履歴には、これらの記録の暗号文が残ります。復号に必要な乙の秘密鍵は上記のとおり破棄したため、"
        "乙はこれを開くことができません。",
        "- 甲の取扱者の鍵で開ける記録（甲が保有する複製）は、甲の管理のもとに残ります。",
        "- 甲は、乙の取扱者を解除し、記録を甲の取扱者だけに暗号化し直します（`saiken handler deactivate` と `saiken rekey`）。",
        "- この証明書は、鍵を破棄した時点より前に作られた鍵の写し（バックアップ等）がないことを前提とします。"
        "写しがあれば、同じ方法で破棄してください。", "",
        "以上", "",
        "乙の取扱者（署名）: ＿＿＿＿＿＿＿＿＿＿", "",
    ])
