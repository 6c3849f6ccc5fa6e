"""The evidence ledger: ledger/*.yaml, plain PII-free YAML that the special terms ask for.

Each file is a mapping with one list (`media: [...]`, `audits: [...]`, ...); entries hold case ids,
handler ids, dates and hashes only – never a name. Writes keep the user's comments (ruamel
round-trip) and are atomic. `findings(root, as_of)` says what evidence is missing on a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

from saiken import agefile, schema, yamlio
from saiken.errors import SaikenError
from saiken.policy import CONTRACT_FILE, Policy, load_yaml
from saiken.records import RECORDS_DIR, SUFFIX, atomic_write
from saiken.wareki import fiscal_year, fiscal_year_label

# file name -> (list key, Japanese title, required fields)
FILES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "consents": ("consents", "甲の承諾の記録", ("id", "case_id", "category", "term", "date", "by")),
    "trainings": ("trainings", "従事者教育の実施記録", ("date", "attendees", "topic")),
    "audits": ("audits", "甲による確認・監査の記録", ("date", "by", "method", "result")),
    "erasures": ("erasures", "個人情報の消去の記録と消去証明書", ("date", "scope", "method", "by")),
    "incidents": ("incidents", "事故（漏えい等）の記録", ("id", "occurred", "summary")),
    "media": ("media", "媒体・書類の受渡し、保管、返還の記録", ("id", "kind", "handed_over", "method", "encrypted")),
    "receipts": ("receipts", "受渡しの確認書（受領確認）", ("commit", "receiver", "date", "method")),
    "exports": ("exports", "個人情報を含む書類の出力の記録（saiken doc が追記）", ("at", "handler", "cases", "kind")),
    "reports": ("reports", "甲の求めによる取扱い状況の報告の記録", ("requested", "reported", "by")),
}
DATE_FIELDS = {"date", "occurred", "notified", "report", "handed_over", "returned", "requested",
               "reported", "certificate", "discovered", "prelim_due", "final_due"}
HANDLER_FIELDS = {"by", "receiver"}
# Whose act each file records: 甲 audits and consents; 乙 erases and reports (terms 12, 14-17).
BY_ORGANISATION = {"audits": "甲", "consents": "甲", "erasures": "乙", "reports": "乙"}
HANDOVER_METHODS = ("書留", "手渡し(鍵付きケース)", "メール(パスワード付き)", "CD-R")
# Free-text fields: short, and checked for what looks like a name or an address (term 2, 7).
TEXT_FIELDS = {"topic", "method", "result", "findings", "summary", "scope", "storage", "kind", "category", "purpose"}
_LOOKS_PERSONAL = re.compile(r"(様|殿|さん|氏)(?:\s|$|、|。)|〒|\d{3}-\d{4}|[都道府県].{1,6}[市区町村]|@")


class Finding(NamedTuple):
    """Evidence a term asks for that is missing on a date."""

    terms: tuple[int, ...]
    file: str
    message: str                 # Japanese; may name handler ids and case ids, never a person
    due: dt.date                 # by when it was (or is) due; overdue when before the date asked about


def rel(name: str) -> str:
    return f"ledger/{name}.yaml"


def today() -> dt.date:
    return dt.date.today()


# --- reading and writing ---------------------------------------------------------------------------

def entries(root: Path, name: str) -> list[dict[str, Any]]:
    """The entries of ledger/<name>.yaml, validated; [] when the file is not there yet."""
    key = FILES[name][0]
    path = root / rel(name)
    if not path.is_file():
        return []
    data = yamlio.fast_load(path.read_text(encoding="utf-8"), where=rel(name))
    items = (data or {}).get(key) if isinstance(data, dict) else None
    if data is not None and not isinstance(items, list):
        raise SaikenError(f"「{key}:」の下に記録を「- 」で並べてください。", where=rel(name),
                          hint=f"{rel(name)} を開いて書式を直してください（docs/procedures/evidence.md）。")
    return [dict(e) for e in items or []]


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


def _write(root: Path, name: str, change: Callable[[list[Any]], None]) -> None:
    key, title, _ = FILES[name]
    path = root / rel(name)
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        f"# {title}（saiken が追記します。個人情報は書かないでください）\n{key}: []\n")
    data = yamlio.rt_load(text, where=rel(name))
    if data is None or not isinstance(data.get(key), list):
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


# --- the contract's time ---------------------------------------------------------------------------

def fy_label(year: int) -> str:
    return f"{fiscal_year_label(year)}（{year}年度）"


def fy_end(year: int) -> dt.date:
    return dt.date(year + 1, 3, 31)


@dataclass(frozen=True)
class Contract:
    start: dt.date | None
    end: dt.date | None  # None while renewed yearly with no end decided

    @classmethod
    def load(cls, root: Path) -> "Contract":
        data = load_yaml(root, CONTRACT_FILE, {}) or {}
        periods = [p for p in data.get("periods") or [] if isinstance(p, dict)]
        starts = [p["from"] for p in periods if isinstance(p.get("from"), dt.date)]
        end = data.get("end")
        if end is not None and not isinstance(end, dt.date):
            raise SaikenError(f"end は YYYY-MM-DD 形式の日付です（{end}）。", where=CONTRACT_FILE)
        if end is None and data.get("renewal") != "yearly":
            ends = [p["to"] for p in periods if isinstance(p.get("to"), dt.date)]
            end = max(ends) if ends else None
        return cls(min(starts) if starts else None, end)

    def fiscal_years(self, as_of: dt.date) -> list[int]:
        """Fiscal years of the contract up to `as_of` (or up to the end)."""
        if self.start is None:
            return []
        last = min(as_of, self.end) if self.end else as_of
        return list(range(fiscal_year(self.start), fiscal_year(last) + 1))

    def ended(self, as_of: dt.date) -> bool:
        return self.end is not None and as_of > self.end


# --- findings --------------------------------------------------------------------------------------

def _dates(items: list[dict[str, Any]]) -> set[int]:
    return {fiscal_year(e["date"]) for e in items if isinstance(e.get("date"), dt.date)}


def _training(root: Path, policy: Policy, years: list[int], as_of: dt.date) -> list[Finding]:
    out: list[Finding] = []
    items = entries(root, "trainings")
    for year in years:
        trained = {h for e in items if isinstance(e.get("date"), dt.date) and fiscal_year(e["date"]) == year
                   for h in e.get("attendees") or []}
        missing = [h.id for h in policy.active_handlers if h.id not in trained and fiscal_year(h.designated) <= year]
        if missing:
            out.append(Finding((18,), rel("trainings"), f"{fy_label(year)}の従事者教育を受けていない有効な取扱者がいます: "
                               f"{', '.join(missing)}。実施したら `saiken ledger training --date YYYY-MM-DD "
                               f"--attendees {','.join(missing)} --topic 内容` で記録してください。", fy_end(year)))
    return out


def _audits(root: Path, years: list[int], as_of: dt.date) -> list[Finding]:
    done = _dates(entries(root, "audits"))
    return [Finding((15, 16, 17), rel("audits"), f"{fy_label(y)}の甲による確認・監査の記録がありません"
                    + ("" if as_of > fy_end(y) else f"（年度末 {fy_end(y).isoformat()} までに実施）")
                    + "。実施したら `saiken ledger audit --date YYYY-MM-DD --by 甲の取扱者ID --method 立入り調査 "
                    "--result 結果` で記録してください。", fy_end(y)) for y in years if y not in done]


def _incidents(root: Path, as_of: dt.date) -> list[Finding]:
    out: list[Finding] = []
    for e in entries(root, "incidents"):
        for field, due, what in (("notified", "prelim_due", "甲への速報（通知）"), ("report", "final_due", "書面による事故報告")):
            deadline = e.get(due)
            if not isinstance(e.get(field), dt.date) and isinstance(deadline, dt.date) and as_of > deadline:
                out.append(Finding((19,), rel("incidents"), f"事故 {e.get('id')} の{what}が期限（{deadline.isoformat()}）を過ぎても"
                                   f"記録されていません。提出したら `saiken incident report {e.get('id')} --{field} YYYY-MM-DD` "
                                   "で記録してください。", deadline))
    return out


def media_out(root: Path, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Media handed over and not back (on `as_of`, if given)."""
    def out(m: dict[str, Any]) -> bool:
        back, given = m.get("returned"), m.get("handed_over")
        if as_of is not None and isinstance(given, dt.date) and given > as_of:
            return False
        return not isinstance(back, dt.date) or (as_of is not None and back > as_of)
    return [m for m in entries(root, "media") if out(m)]


def _media(root: Path, end: dt.date, as_of: dt.date) -> list[Finding]:
    return [Finding((11,), rel("media"), f"媒体 {m.get('id')}（{m.get('kind')}）が契約終了日（{end.isoformat()}）を過ぎても返還されていません。"
                    f"返還されたら `saiken ledger return --medium {m.get('id')}` で記録してください。", end) for m in media_out(root, as_of)]


def records_for_otsu(root: Path, policy: Policy) -> list[str]:
    """Case ids whose file still has more recipients than 甲's active handlers (not yet rekeyed 甲-only)."""
    kou = len([h for h in policy.active_handlers if h.organisation == "甲"])
    out = []
    for path in sorted((root / RECORDS_DIR).glob(f"*{SUFFIX}")):
        try:
            header, _ = agefile.parse(path.read_bytes())
        except SaikenError:
            continue
        real = [t for t in header.types if t == "X25519" or t.startswith("ssh-")]  # rage adds grease stanzas
        if len(real) > kou:
            out.append(path.name[: -len(SUFFIX)])
    return out


def _after_end(root: Path, policy: Policy, end: dt.date, as_of: dt.date) -> list[Finding]:
    out = _media(root, end, as_of)
    otsu = [h.id for h in policy.active_handlers if h.organisation == "乙"]
    if otsu:
        out.append(Finding((11, 12), "policies/handlers.yaml", f"契約終了（{end.isoformat()}）後も乙の取扱者が有効です: {', '.join(otsu)}。"
                           f"`saiken handler deactivate ID` で解除し、`saiken rekey` で甲だけに暗号化し直してください。", end))
    left = records_for_otsu(root, policy)
    if left:
        out.append(Finding((11, 12), RECORDS_DIR + "/", f"契約終了後も {len(left)} 件の記録が乙の鍵でも開ける暗号化のままです"
                           f"（{', '.join(left[:5])}{' ほか' if len(left) > 5 else ''}）。`saiken rekey` で甲だけに暗号化し直してください。", end))
    if not any(isinstance(e.get("certificate"), dt.date) for e in entries(root, "erasures")):
        out.append(Finding((11, 12), rel("erasures"), f"契約終了（{end.isoformat()}）後の個人情報の消去と消去証明書が記録されていません。"
                           "乙の取扱者が `saiken erase --as 乙` を実行し、証明書を甲に提出してください。", end))
    return out


def findings(root: Path, as_of: dt.date) -> list[Finding]:
    """What evidence the terms ask for is missing on `as_of` (due before it, or due later and not done yet)."""
    policy = Policy.load(root)
    contract = Contract.load(root)
    years = contract.fiscal_years(as_of)
    out = _training(root, policy, years, as_of) + _audits(root, years, as_of) + _incidents(root, as_of)
    if contract.end is not None and contract.ended(as_of):
        out += _after_end(root, policy, contract.end, as_of)
    return out
