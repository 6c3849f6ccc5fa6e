"""Physical handovers (書留, locked case, password-protected e-mail, CD-R) and the media package.

A medium is a ledger/media.yaml entry: what was handed over (case ids), how, whether encrypted,
where it is kept, and when it came back (contractor measure 4). `export_package` decrypts the
chosen records in memory and writes one age passphrase-encrypted (scrypt, armored) file holding a
YAML bundle – for a CD-R or an e-mail attachment; the passphrase travels by another route.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from saiken.core import crypto, localfiles, yamlio
from saiken.core.files import atomic_write
from saiken.core.records import Store, check_case_id
from saiken.errors import SaikenError
from saiken.ledger import evidence

KINDS = {"書留": "書類（書留郵便）", "手渡し(鍵付きケース)": "書類（鍵付きケース）",
         "メール(パスワード付き)": "電子ファイル（メール添付）", "CD-R": "CD-R"}


def parse_cases(values: tuple[str, ...]) -> list[str]:
    """--cases A,B --cases C → [A, B, C], each checked, no duplicates."""
    out: list[str] = []
    for value in values:
        for cid in (v.strip() for v in value.split(",")):
            if cid and cid not in out:
                out.append(check_case_id(cid))
    if not out:
        raise SaikenError("事案番号がありません。", where="--cases", hint="--cases C-AB12CD34,C-EF56GH78 のように指定してください。")
    return out


def check_method(method: str) -> str:
    if method not in evidence.HANDOVER_METHODS:
        raise SaikenError(f"受渡しの方法「{method}」は使えません（{' / '.join(evidence.HANDOVER_METHODS)}）。",
                          where="--method")
    return method


def handover(root: Path, *, medium: str | None, method: str, cases: list[str], on: dt.date, by: str | None,
             storage: str | None, encrypted: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    check_method(method)
    medium_id = medium or evidence.next_id(root, "media", "M", on)
    if any(str(m.get("id")) == medium_id for m in evidence.entries(root, "media")):
        raise SaikenError(f"媒体番号「{medium_id}」は既に記録されています。", where=evidence.rel("media"),
                          hint="別の --medium を指定するか、省略して自動で採番してください。")
    entry = {"id": medium_id, "kind": KINDS[method], "handed_over": on, "method": method, "encrypted": encrypted,
             "storage": storage, "cases": cases, "by": by, **(extra or {})}
    return evidence.append(root, "media", entry)


def return_medium(root: Path, medium: str, on: dt.date) -> dict[str, Any]:
    current = next((m for m in evidence.entries(root, "media") if str(m.get("id")) == medium), None)
    if current is not None and isinstance(current.get("returned"), dt.date):
        raise SaikenError(f"媒体 {medium} は {current['returned'].isoformat()} に返還済みです。", where=evidence.rel("media"))
    if current is not None and isinstance(current.get("handed_over"), dt.date) and on < current["handed_over"]:
        raise SaikenError(f"返還日（{on.isoformat()}）が受渡し日より前です。", where="--date")
    return evidence.update(root, "media", medium, {"returned": on})


def bundle(store: Store, cases: list[str], identities: list[crypto.LoadedIdentity]) -> bytes:
    """The YAML bundle of the chosen records, decrypted in memory only."""
    records = []
    for cid in cases:
        if not store.exists(cid):
            raise SaikenError(f"事案「{cid}」はありません。", where=store.rel(cid), hint="`saiken case list` で確かめてください。")
        records.append(store.load(cid, identities))
    text = yamlio.rt_dump({"saiken_media_package": 1, "records": records})
    return text.encode("utf-8")


def export_package(store: Store, cases: list[str], out: Path, identities: list[crypto.LoadedIdentity],
                   passphrase: str, medium_id: str) -> tuple[Path, str]:
    """Write DIR/<medium>.yaml.age (scrypt, armored); returns the path and its sha256."""
    if out.exists() and not out.is_dir():
        raise SaikenError("出力先がフォルダではありません。", where=str(out), hint="--out に書き出すフォルダを指定してください。")
    out.mkdir(parents=True, exist_ok=True)
    data = crypto.protect_with_passphrase(bundle(store, cases, identities), passphrase)
    path = out / f"{medium_id}.yaml.age"
    if path.exists():
        raise SaikenError("同じ名前のファイルが既にあります。上書きはしません。", where=str(path),
                          hint="--medium で別の媒体番号を指定するか、--out で別のフォルダを指定してください。")
    atomic_write(path, data, 0o600)
    localfiles.note_output(store.root, path, data)  # a copy `saiken erase` must find again
    return path, hashlib.sha256(data).hexdigest()
