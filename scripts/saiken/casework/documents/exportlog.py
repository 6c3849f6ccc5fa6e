"""ledger/exports.yaml: every exported document, so each copy of personal data can be traced
(特記事項7 複写・複製の制限, 特記事項9 持出し).

An entry holds no names: the handler id (from the user's age identity matched against
policies/handlers.yaml), the case id(s), the document kind, the purpose, the time, the file name
(case id + kind + date only) and the file's sha256. Entries are only appended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import yaml

from saiken.checks import evidence
from saiken.core import crypto
from saiken.core.policy import HANDLERS_FILE, Policy
from saiken.errors import SaikenError

EXPORTS_FILE = "ledger/exports.yaml"
HEADER = """\
# 文書の出力記録（特記事項7・9）。`saiken doc` が1件ずつ追記します。手で編集しないでください。
# 個人情報は書きません: 取扱者 ID・事案番号・文書の種類・目的・日時・ファイル名・SHA-256 だけです。
exports:
"""


def handler_id(policy: Policy, identities: list[crypto.LoadedIdentity]) -> str:
    """The active handler whose public key is one of the user's identities."""
    mine = {i.public for i in identities}
    for h in policy.active_handlers:
        if h.public_key.strip() in mine:
            return h.id
    raise SaikenError("あなたの鍵は有効な取扱者として登録されていないため、文書を出力できません（特記事項13）。",
                      where=HANDLERS_FILE, hint="取扱責任者に `saiken handler add` で登録してもらってください。")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(handler: str, case_ids: list[str], kind: str, purpose: str, file: Path, data: bytes,
          at: dt.datetime) -> dict[str, Any]:
    return {"at": at.replace(microsecond=0).isoformat(), "handler": handler,
            "cases": case_ids, "kind": kind, "purpose": purpose, "file": file.name, "sha256": sha256(data)}


def require_readable(root: Path) -> None:
    """Refuse a log that no longer reads (edited by hand, saved as Shift_JIS) before a document is
    written: an entry appended to it could not be read back, and the copy would be untraceable."""
    evidence.entries(root, "exports")


def append(root: Path, item: dict[str, Any]) -> None:
    """Append one entry; the file is only ever extended (O_APPEND), never rewritten."""
    path = root / EXPORTS_FILE
    path.parent.mkdir(exist_ok=True)
    text = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, default_flow_style=False, width=200)
    block = "".join("  " + line + "\n" for line in text.splitlines())
    with open(path, "a", encoding="utf-8") as fh:
        if fh.tell() == 0:
            fh.write(HEADER)
        fh.write(block)
