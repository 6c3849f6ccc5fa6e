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

from saiken.core import schema, sshkey, yamlio
from saiken.core.crypto import RecipientKey
from saiken.errors import SaikenError, ValidationError, os_reason

ORGANISATIONS = ("甲", "乙")
ROLES = ("取扱責任者", "取扱者")
HANDLERS_FILE = "policies/handlers.yaml"
ITEMS_FILE = schema.ITEMS_FILE
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
    ssh_key: str | None = None  # the key this handler logs in to the records server with (saiken.server)
    # the ssh-ed25519 public key this handler signs git commits with (gpg.format ssh); a 甲
    # handler's signature is what lets a change to the rules in (saiken.checks.trust)
    signing_key: str | None = None

    @property
    def may_sign_rules(self) -> bool:
        return self.active and self.organisation == "甲" and self.signing_key is not None

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
        raise SaikenError("取扱者の項目は「id: …」などの「キー: 値」で書いてください。", where=where)
    org, role = _need(entry, "organisation", where), _need(entry, "role", where)
    if org not in ORGANISATIONS:
        raise SaikenError(f"organisation は 甲 か 乙 です（{org}）。", where=where)
    if role not in ROLES:
        raise SaikenError(f"role は 取扱責任者 か 取扱者 です（{role}）。", where=where)
    designated = _need(entry, "designated", where)
    for key in ("designated", "reported", "deactivated"):
        if entry.get(key) is not None and not isinstance(entry[key], dt.date):
            raise SaikenError(f"{key} は YYYY-MM-DD 形式の日付です。", where=where)
    # `active: いいえ` would be the text "いいえ", which is true: only a YAML boolean may say it
    if not isinstance(entry.get("active", True), bool):
        raise SaikenError(f"active は true か false です（{entry['active']}）。", where=where,
                          hint="解除は `saiken handler deactivate ID` で行ってください。")
    return Handler(id=str(_need(entry, "id", where)), name=str(_need(entry, "name", where)),
                   organisation=org, role=role, public_key=str(_need(entry, "public_key", where)),
                   designated=designated, active=entry.get("active", True),
                   email=entry.get("email"), reported=entry.get("reported"),
                   deactivated=entry.get("deactivated"), signing_key=_signing_key(entry, where),
                   ssh_key=ssh_login_key(entry.get("ssh_key"), where))


def _signing_key(entry: dict[str, Any], where: str) -> str | None:
    raw = entry.get("signing_key")
    if raw in (None, ""):
        return None
    try:
        return sshkey.ed25519_public_text(str(raw))
    except sshkey.SSHKeyFormatError:
        raise SaikenError("signing_key は ssh-ed25519 の公開鍵（~/.ssh/…pub の 1 行）です。", where=where,
                          hint="署名鍵は `ssh-keygen -t ed25519 -f ~/.ssh/saiken_signing` で作り、"
                               "`saiken handler signing-key ID --key \"$(cat ~/.ssh/saiken_signing.pub)\"` で登録します。") from None


def ssh_login_key(value: Any, where: str) -> str | None:
    """A handler's `ssh_key` (optional) as `type base64`, or a SaikenError saying how to give one."""
    if value in (None, ""):
        return None
    text = str(value)
    if "PRIVATE KEY" in text:
        raise SaikenError("ssh_key に秘密鍵が書かれています。公開鍵（.pub の 1 行）だけを書いてください"
                          "（秘密鍵は本人以外に渡さないこと）。", where=where,
                          hint="saiken handler ssh-key ID --key \"$(cat ~/.ssh/id_ed25519.pub)\"")
    try:
        return sshkey.login_key_line(text)
    except sshkey.SSHKeyFormatError:
        kind = text.split()[0] if text.split() else ""
        raise SaikenError(f"ssh_key を SSH の公開鍵として読めません（{kind[:40]}…）。サーバへの接続には ssh-ed25519 "
                          "（または ed25519-sk）の公開鍵 1 つを、オプションを付けずに書いてください。", where=where,
                          hint="ssh-keygen -t ed25519 で作り、saiken handler ssh-key ID --key "
                               "\"$(cat ~/.ssh/id_ed25519.pub)\" で登録してください。") from None


@dataclass
class Policy:
    root: Path
    handlers: list[Handler]
    items: dict[str, Any]
    contract: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "Policy":
        return cls(root, load_handlers(root), load_yaml(root, ITEMS_FILE), load_yaml(root, CONTRACT_FILE, {}))

    def __post_init__(self) -> None:
        # wherever the files were read – the work tree, the index, a commit –, a hand edit gone wrong
        # is named here, not a crash in whichever command reads the value first
        schema.check_items(self.items)
        check_contract(self.contract)

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


def check_contract(data: Any) -> None:
    """policies/contract.yaml in the shape its readers need (saiken.core.contract, documents, reports):
    a ValidationError listing each misshapen entry. An absent entry is left to its reader's default."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        raise ValidationError([("", "ファイルの最上位は「キー: 値」の形でなければなりません")], where=CONTRACT_FILE)
    for key in ("ward", "contractor", "documents"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            problems.append((key, "「キー: 値」のまとまりで書いてください"))
    documents = data.get("documents") if isinstance(data.get("documents"), dict) else {}
    for key in ("dunning_days", "demand_days"):
        days = documents.get(key)
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            problems.append((f"documents.{key}", f"1 以上の整数（日数）で書いてください（{days}）"))
    for key in ("agreement", "payment", "contact"):
        if documents.get(key) is not None and not isinstance(documents[key], dict):
            problems.append((f"documents.{key}", "「キー: 値」のまとまりで書いてください"))
    periods = data.get("periods") or []
    if not isinstance(periods, list):
        problems.append(("periods", "「- {from: YYYY-MM-DD, to: YYYY-MM-DD}」の繰り返しで書いてください"))
        periods = []
    for n, period in enumerate(periods):
        if not isinstance(period, dict):
            problems.append((f"periods[{n}]", "{from: YYYY-MM-DD, to: YYYY-MM-DD} の形で書いてください"))
            continue
        for key in ("from", "to"):
            if key in period and not isinstance(period[key], dt.date):
                problems.append((f"periods[{n}].{key}", f"YYYY-MM-DD 形式の日付で書いてください（{period[key]}）"))
        if not isinstance(period.get("from"), dt.date):
            problems.append((f"periods[{n}].from", "期間の初日がありません"))
    if data.get("end") is not None and not isinstance(data["end"], dt.date):
        problems.append(("end", f"YYYY-MM-DD 形式の日付か、空にしてください（{data['end']}）"))
    if data.get("renewal") not in (None, "yearly", "none"):
        problems.append(("renewal", f"yearly（毎年度更新）か none です（{data['renewal']}）"))
    if problems:
        raise ValidationError(problems, where=CONTRACT_FILE)


def load_yaml(root: Path, rel: str, default: Any = None, *, mapping: bool = True) -> Any:
    """The parsed content of `rel` (under `root`); `default` when it is missing or empty (without a
    default, a missing file is an error). A file that cannot be read, is not UTF-8, is not YAML or –
    with `mapping` – is not a mapping at the top is a SaikenError naming it and how to get it back."""
    path = root / rel
    try:
        yamlio.refuse_oversize(path.stat().st_size, where=rel, limit=yamlio.size_limit(rel))
        raw = path.read_bytes()
    except FileNotFoundError:
        if default is not None:
            return default
        raise SaikenError("ポリシーファイルがありません。", where=rel,
                          hint="記録リポジトリの最上位で実行するか、`saiken init` で作成してください。") from None
    except OSError as exc:
        raise SaikenError(f"ファイルを読めません（{os_reason(exc)}）。", where=rel) from None
    return parse_yaml(raw, rel, default, mapping=mapping)


def parse_yaml(raw: bytes, rel: str, default: Any = None, *, mapping: bool = True) -> Any:
    """The content of a policy or ledger file read from the work tree or from git, as load_yaml.
    No YAML anchor or alias, and no more than yamlio.size_limit(rel) bytes."""
    yamlio.refuse_oversize(len(raw), where=rel, limit=yamlio.size_limit(rel))
    data = yamlio.fast_load(yamlio.decode(raw, where=rel), where=rel, what=yamlio.RULES)
    if data is None:
        return default
    if mapping and not isinstance(data, dict):
        raise SaikenError("ファイルの最上位は「キー: 値」の形でなければなりません。", where=rel)
    return data


def load_handlers(root: Path) -> list[Handler]:
    return handlers_from_data(load_yaml(root, HANDLERS_FILE))


def handlers_from_data(data: Any) -> list[Handler]:
    """Typed, validated handlers from the parsed content of policies/handlers.yaml (or a list of
    its entries): the one place that turns that file into Handler objects, wherever it was read."""
    entries = (data.get("handlers") if isinstance(data, dict) else data) or []
    if not isinstance(entries, list):
        raise SaikenError("「handlers:」の下に取扱者を「- 」で並べてください。", where=HANDLERS_FILE)
    handlers = [_handler(e, n) for n, e in enumerate(entries)]
    ids = [h.id for h in handlers]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SaikenError(f"取扱者 ID が重複しています: {', '.join(sorted(dup))}", where=HANDLERS_FILE)
    keys = [h.signing_key for h in handlers if h.signing_key]
    shared = sorted({h.id for h in handlers if h.signing_key and keys.count(h.signing_key) > 1})
    if shared:  # a signature must say whose it is
        raise SaikenError(f"同じ署名鍵（signing_key）が複数の取扱者に登録されています: {', '.join(shared)}",
                          where=HANDLERS_FILE, hint="署名鍵は 1 人 1 つです。本人が作った別の鍵を登録してください。")
    _check_ssh_keys_unique(handlers)
    return handlers


def _check_ssh_keys_unique(handlers: list[Handler]) -> None:
    """One login key, one handler: the server knows a person only by the key they log in with."""
    owners: dict[str, str] = {}
    for h in handlers:
        if h.active and h.ssh_key:
            if h.ssh_key in owners:
                raise SaikenError(f"取扱者「{owners[h.ssh_key]}」と「{h.id}」の ssh_key が同じです（サーバは接続に使う鍵で"
                                  "人を見分けるため、1 人 1 つの鍵を使います）。", where=HANDLERS_FILE,
                                  hint=f"本人が ssh-keygen -t ed25519 で作った鍵を saiken handler ssh-key {h.id} --key …"
                                       " で登録してください。")
            owners[h.ssh_key] = h.id
