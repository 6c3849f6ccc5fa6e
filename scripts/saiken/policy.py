"""The contract as data: the single place that reads policies/.

Everything that depends on the special terms – who may read records, which fields a record may
hold, the contract's periods – comes from here as typed objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from saiken import yamlio
from saiken.crypto import RecipientKey
from saiken.errors import SaikenError

ORGANISATIONS = ("甲", "乙")
ROLES = ("取扱責任者", "取扱者")
HANDLERS_FILE = "policies/handlers.yaml"
ITEMS_FILE = "policies/information-items.yaml"
CONTRACT_FILE = "policies/contract.yaml"


@dataclass(frozen=True)
class Handler:
    id: str
    name: str
    organisation: str
    role: str
    public_key: str
    designated: dt.date
    active: bool = True
    email: str | None = None
    reported: dt.date | None = None
    deactivated: dt.date | None = None

    @cached_property
    def recipient(self) -> RecipientKey:
        return RecipientKey.parse(self.public_key, where=f"{HANDLERS_FILE}: {self.id}")


def recipient_fingerprint(key_text: str) -> str:
    """A short, stable, secret-free name for a public key (shown in manifests and reports)."""
    return hashlib.sha256(key_text.encode()).hexdigest()[:16]


def recipients_hash(keys: list[str]) -> str:
    """Hash of a recipient set; equal sets give equal hashes whatever their order."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if entry.get(key) in (None, ""):
        raise SaikenError(f"「{key}」がありません。", where=where, hint=f"{HANDLERS_FILE} を確認してください。")
    return entry[key]


def _handler(entry: Any, n: int) -> Handler:
    where = f"{HANDLERS_FILE}: handlers[{n}]"
    if not isinstance(entry, dict):
        raise SaikenError("取扱者の項目が正しくありません。", where=where)
    org, role = _need(entry, "organisation", where), _need(entry, "role", where)
    if org not in ORGANISATIONS:
        raise SaikenError(f"organisation は 甲 か 乙 です（{org}）。", where=where)
    if role not in ROLES:
        raise SaikenError(f"role は 取扱責任者 か 取扱者 です（{role}）。", where=where)
    designated = _need(entry, "designated", where)
    for key in ("designated", "reported", "deactivated"):
        if entry.get(key) is not None and not isinstance(entry[key], dt.date):
            raise SaikenError(f"{key} は YYYY-MM-DD 形式の日付です。", where=where)
    return Handler(id=str(_need(entry, "id", where)), name=str(_need(entry, "name", where)),
                   organisation=org, role=role, public_key=str(_need(entry, "public_key", where)),
                   designated=designated, active=bool(entry.get("active", True)),
                   email=entry.get("email"), reported=entry.get("reported"),
                   deactivated=entry.get("deactivated"))


@dataclass
class Policy:
    root: Path
    handlers: list[Handler]
    items: dict[str, Any]
    contract: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "Policy":
        return cls(root, load_handlers(root), load_yaml(root, ITEMS_FILE), load_yaml(root, CONTRACT_FILE, {}))

    @property
    def active_handlers(self) -> list[Handler]:
        return [h for h in self.handlers if h.active]

    def handler(self, handler_id: str) -> Handler | None:
        return next((h for h in self.handlers if h.id == handler_id), None)

    def active_recipients(self) -> list[RecipientKey]:
        keys = [h.recipient for h in self.active_handlers]
        if not keys:
            raise SaikenError("有効な取扱者が登録されていないため、暗号化できません。", where=HANDLERS_FILE,
                              hint="saiken handler add --id ID --name 氏名 --org 乙 --role 取扱責任者 --key age1…")
        return keys

    @property
    def recipients_hash(self) -> str:
        return recipients_hash([h.recipient.text for h in self.active_handlers])


def load_yaml(root: Path, rel: str, default: Any = None) -> Any:
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if default is not None:
            return default
        raise SaikenError("ポリシーファイルがありません。", where=rel,
                          hint="記録リポジトリの最上位で実行するか、`saiken init` で作成してください。") from None
    return yamlio.fast_load(text, where=rel, allow_aliases=True)


def load_handlers(root: Path) -> list[Handler]:
    return handlers_from_data(load_yaml(root, HANDLERS_FILE))


def handlers_from_data(data: Any) -> list[Handler]:
    """Typed, validated handlers from the parsed content of policies/handlers.yaml (or a list of
    its entries): the one place that turns that file into Handler objects, wherever it was read."""
    entries = data if isinstance(data, list) else (data or {}).get("handlers") or []
    handlers = [_handler(e, n) for n, e in enumerate(entries)]
    ids = [h.id for h in handlers]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SaikenError(f"取扱者 ID が重複しています: {', '.join(sorted(dup))}", where=HANDLERS_FILE)
    return handlers
