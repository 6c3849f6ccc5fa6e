"""The evidence ledger: ledger/*.yaml, plain PII-free YAML that the special terms ask for.

Each file is a mapping with one list (`media: [...]`, `audits: [...]`, ...); entries hold case ids,
handler ids, dates and hashes only – never a name. Writes keep the user's comments (ruamel
round-trip) and are atomic, and an entry that names a party is refused before anything is written.
What the files are and what is due by when is the `evidence` check's (saiken.checks.evidence), which
this module writes for.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable

from saiken.checks.evidence import FILES, entries, rel
from saiken.core import schema, yamlio
from saiken.core.files import atomic_write
from saiken.core.policy import Policy
from saiken.errors import SaikenError

DATE_FIELDS = {"date", "occurred", "notified", "report", "handed_over", "returned", "requested",
               "reported", "certificate", "discovered", "prelim_due", "final_due"}
HANDLER_FIELDS = {"by", "receiver"}
# Whose act each file records: 甲 audits and consents; 乙 erases and reports (terms 12, 14-17).
BY_ORGANISATION = {"audits": "甲", "consents": "甲", "erasures": "乙", "reports": "乙"}
HANDOVER_METHODS = ("書留", "手渡し(鍵付きケース)", "メール(パスワード付き)", "CD-R")
# Free-text fields: short, and checked for what looks like a name or an address (term 2, 7).
TEXT_FIELDS = {"topic", "method", "result", "findings", "summary", "scope", "storage", "kind", "category", "purpose"}
_LOOKS_PERSONAL = re.compile(r"(様|殿|さん|氏)(?:\s|$|、|。)|〒|\d{3}-\d{4}|[都道府県].{1,6}[市区町村]|@")


# --- reading and writing ---------------------------------------------------------------------------

def validate(root: Path, name: str, entry: dict[str, Any]) -> None:
    """Refuse an entry with a missing field, a bad date, an unknown handler or personal-looking text."""
    where = rel(name)
    orgs = {h.id: h.organisation for h in Policy.load(root).handlers}
    handlers = set(orgs)
    problems: list[str] = []
    need = BY_ORGANISATION.get(name)
    if need and entry.get("by") in orgs and orgs[entry["by"]] != need:
        problems.append(f"「by」は{need}の取扱者です（{entry['by']} は{orgs[entry['by']]}）")
    for field in FILES[name][2]:
        if entry.get(field) in (None, "", []):
            problems.append(f"「{field}」がありません")
    for field, value in entry.items():
        if field in DATE_FIELDS and value is not None and not isinstance(value, dt.date):
            problems.append(f"「{field}」は YYYY-MM-DD 形式の日付です（{value}）")
        if field in HANDLER_FIELDS and value is not None and value not in handlers:
            problems.append(f"取扱者 ID「{value}」は policies/handlers.yaml にありません")
        if field in TEXT_FIELDS and isinstance(value, str) and _LOOKS_PERSONAL.search(value):
            problems.append(f"「{field}」に氏名・住所・連絡先らしい文字があります。ledger/ には個人情報を書けません")
    for hid in entry.get("attendees") or []:
        if hid not in handlers:
            problems.append(f"取扱者 ID「{hid}」は policies/handlers.yaml にありません")
    for cid in list(entry.get("cases") or []) + ([entry["case_id"]] if entry.get("case_id") else []):
        if not schema.CASE_ID.match(str(cid)):
            problems.append(f"事案番号「{cid}」の形式が正しくありません")
    if problems:
        raise SaikenError("記録できません: " + "、".join(problems) + "。", where=where,
                          hint="値を直して、もう一度実行してください（`saiken handler list` で取扱者 ID を確認できます）。")
    _refuse_party_data(root, where, entry)


def _refuse_party_data(root: Path, where: str, entry: dict[str, Any]) -> None:
    """A party's name (or address, phone …) in an entry is refused before the ledger file is
    written: the pattern above sees 様・〒・@, not a bare name. The check is the commit's own
    (pii_outside), with the user's key; without a usable key the commit's check looks later."""
    texts = [v for v in entry.values() if isinstance(v, str)]
    if not texts:
        return
    from saiken.checks.cache import CACHE_DIR
    from saiken.checks.context import CheckInput
    from saiken.checks.hooks import identities
    from saiken.checks.pii_outside import party_data_in
    from saiken.checks.sources import worktree_context

    try:
        ids = identities()
    except SaikenError:
        return
    inp = CheckInput.prepare([], worktree_context(root, ids, []))
    inp.cache_dir = root / CACHE_DIR
    found = dict.fromkeys(party_data_in(inp, "\n".join(texts)))
    if found:
        what = "、".join(f"事案 {case_id} の当事者の{kind}" for case_id, kind in found)
        raise SaikenError(f"記録できません: {what}が含まれています。ledger/ には個人情報を書けません"
                          "（特記事項2・7）。何も書き込んでいません。", where=where,
                          hint="氏名・住所などを除き、事案番号で書いてください。")


def _write(root: Path, name: str, change: Callable[[list[Any]], None]) -> None:
    key, title, _ = FILES[name]
    path = root / rel(name)
    text = yamlio.decode(path.read_bytes(), where=rel(name)) if path.is_file() else (
        f"# {title}（saiken が追記します。個人情報は書かないでください）\n{key}: []\n")
    data = yamlio.rt_load(text, where=rel(name))
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise SaikenError(f"「{key}:」の一覧が見つかりません。", where=rel(name))
    change(data[key])
    if not data[key]:
        data[key] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, yamlio.rt_dump(data).encode("utf-8"))


def append(root: Path, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Validate `entry` and add it at the end of ledger/<name>.yaml (comments kept, atomic)."""
    entry = {k: v for k, v in entry.items() if v is not None}
    validate(root, name, entry)
    _write(root, name, lambda items: items.append(entry))
    return entry


def update(root: Path, name: str, entry_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Set fields of the entry with id `entry_id`; refuses an unknown id."""
    current = next((e for e in entries(root, name) if str(e.get("id")) == entry_id), None)
    if current is None:
        raise SaikenError(f"「{entry_id}」の記録がありません。", where=rel(name),
                          hint=f"{rel(name)} の id を確かめてください。")
    validate(root, name, {**current, **changes})

    def change(items: list[Any]) -> None:
        for item in items:
            if str(item.get("id")) == entry_id:
                item.update(changes)
    _write(root, name, change)
    return {**current, **changes}


def next_id(root: Path, name: str, prefix: str, on: dt.date) -> str:
    stem = f"{prefix}-{on.year}-"
    used = [str(e.get("id")) for e in entries(root, name) if str(e.get("id", "")).startswith(stem)]
    return f"{stem}{len(used) + 1:03d}"


