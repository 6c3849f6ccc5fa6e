"""The evidence ledger: ledger/*.yaml, plain PII-free YAML that the special terms ask for.

Each file is a mapping with one list (`media: [...]`, `audits: [...]`, ...); entries hold case ids,
handler ids, dates and hashes only – never a name. Writes keep the user's comments (ruamel
round-trip) and are atomic. `findings(root, as_of)` says what evidence is missing or overdue on a
date – the one place that decides it: the `evidence` check (`saiken check --all`) asks `due()` the
same about the tree under check, and the 取扱状況報告 lists the same findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from saiken.core import manifest, recipients, schema, yamlio
from saiken.core.policy import CONTRACT_FILE, Policy, check_contract, load_yaml, parse_yaml
from saiken.core.records import RECORDS_DIR, SUFFIX, atomic_write
from saiken.errors import SaikenError
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
INCIDENT_RULES = "policies/incidents.yaml"
WARNING = "warning"


def rel(name: str) -> str:
    return f"ledger/{name}.yaml"


def today() -> dt.date:
    return dt.date.today()


# --- reading and writing ---------------------------------------------------------------------------

def entries(root: Path, name: str) -> list[dict[str, Any]]:
    """The entries of ledger/<name>.yaml, validated; [] when the file is not there yet."""
    key = FILES[name][0]
    path = root / rel(name)
    if not path.exists():
        return []
    data = load_yaml(root, rel(name), mapping=False)
    items = (data or {}).get(key) if isinstance(data, dict) else None
    if data is not None and not isinstance(items, list):
        raise SaikenError(f"「{key}:」の下に記録を「- 」で並べてください。", where=rel(name),
                          hint=f"{rel(name)} を開いて書式を直してください（docs/procedures/evidence.md）。")
    for n, e in enumerate(items or []):
        if not isinstance(e, dict):
            raise SaikenError("記録は「- date: …」のように「キー: 値」で書いてください。", where=f"{rel(name)}: {key}[{n}]")
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


# --- the contract's time ---------------------------------------------------------------------------

def fy_end(year: int) -> dt.date:
    """The last day of fiscal year `year` (April to March)."""
    return dt.date(year + 1, 3, 31)


def fy_label(year: int) -> str:
    return f"{fiscal_year_label(year)}（{year}年度）"


@dataclass(frozen=True)
class Contract:
    start: dt.date | None
    end: dt.date | None  # None while renewed yearly with no end decided

    @classmethod
    def load(cls, root: Path) -> "Contract":
        return cls.from_data(load_yaml(root, CONTRACT_FILE, {}))

    @classmethod
    def from_data(cls, data: Any) -> "Contract":
        data = {} if data is None else data  # no policies/contract.yaml: no periods, no end
        check_contract(data)
        periods = data.get("periods") or []
        starts = [p["from"] for p in periods]
        end = data.get("end")
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


def incident_days(rules: Any, wrongful: bool) -> tuple[int, int]:
    """(速報, 書面による報告) as days after discovery, from policies/incidents.yaml (its defaults
    when a key is absent); a value that is not a whole number is a SaikenError naming the file."""
    rules = rules if isinstance(rules, dict) else {}
    try:
        return (int(rules.get("preliminary_days", 5)),
                int(rules.get("final_days_wrongful" if wrongful else "final_days", 60 if wrongful else 30)))
    except (TypeError, ValueError):
        raise SaikenError("日数は整数で書いてください。", where=INCIDENT_RULES) from None


def incident_deadlines(rules: Any, discovered: dt.date, wrongful: bool) -> tuple[dt.date, dt.date]:
    """(速報, 書面による報告) due dates of an incident, counted from discovery by policies/incidents.yaml."""
    prelim, final = incident_days(rules, wrongful)
    return discovered + dt.timedelta(days=prelim), discovered + dt.timedelta(days=final)


# --- what is due: the one place (the `evidence` check and the 取扱状況報告 ask here) -------------------

@dataclass(frozen=True)
class Finding:
    """Evidence missing or overdue on a date: the terms, the file (and where in it), what to do."""

    terms: tuple[int, ...]
    file: str
    message: str  # Japanese, with the command that fixes it
    where: str | None = None
    severity: str = "error"  # "warning": a reminder that cannot be fixed by a commit (甲's audit)
    due: dt.date | None = None  # by when it was (or is) due: overdue when before the date judged on


@dataclass
class Tree:
    """What the due dates are judged on: policies/, ledger/ and records/ of one tree – the work
    tree, or the files a check was given."""

    read: Callable[[str], bytes | None]
    record_files: Callable[[], Iterable[tuple[str, bytes]]]  # (path, ciphertext) of every record
    policy: Policy
    _parsed: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def worktree(cls, root: Path) -> "Tree":
        def read(rel_path: str) -> bytes | None:
            path = root / rel_path
            return path.read_bytes() if path.is_file() else None

        def records() -> Iterator[tuple[str, bytes]]:
            for path in sorted((root / RECORDS_DIR).glob(f"*{SUFFIX}")):
                yield f"{RECORDS_DIR}/{path.name}", path.read_bytes()
        return cls(read, records, Policy.load(root))

    def yaml(self, rel_path: str) -> Any:
        if rel_path not in self._parsed:
            raw = self.read(rel_path)
            self._parsed[rel_path] = None if raw is None else parse_yaml(raw, rel_path, mapping=False)
        return self._parsed[rel_path]

    def entries(self, name: str) -> list[dict[str, Any]]:
        key = FILES[name][0]
        data = self.yaml(rel(name))
        items = data.get(key) if isinstance(data, dict) else None
        if data is not None and (not isinstance(items, list) or not all(isinstance(e, dict) for e in items)):
            raise SaikenError(f"「{key}:」の下に記録を「- 」で並べてください。", where=rel(name))
        return list(items or [])


def findings(root: Path, as_of: dt.date) -> list[Finding]:
    """What evidence the terms ask for is missing on `as_of`, in the work tree at `root`."""
    return due(Tree.worktree(root), as_of)


def due(tree: Tree, as_of: dt.date) -> list[Finding]:
    """What evidence the terms ask for is missing on `as_of` (terms 11, 12, 15–19). A ledger or
    policy file that cannot be read is a finding itself, naming the file."""
    try:
        contract = Contract.from_data(tree.yaml(CONTRACT_FILE))
    except SaikenError as exc:
        return [_unreadable(exc, CONTRACT_FILE, (11, 12, 15, 16, 17, 18))]
    years = contract.fiscal_years(as_of)
    out = (_guard(tree, "trainings", (18,), _training, years, as_of)
           + _guard(tree, "audits", (15, 16, 17), _audits, years, as_of)
           + _guard(tree, "incidents", (19,), _incidents, as_of))
    if contract.end is not None and contract.ended(as_of):
        out += _guard(tree, "media", (11,), _media, contract.end, as_of)
        out += _after_end(tree, contract.end)
    return out


def _unreadable(exc: SaikenError, file: str, terms: tuple[int, ...]) -> Finding:
    return Finding(terms, file, f"{exc.message} {file} を直してください（書式は docs/procedures/evidence.md）。")


def _guard(tree: Tree, name: str, terms: tuple[int, ...], judge: Callable[..., list[Finding]],
           *args: Any) -> list[Finding]:
    try:
        return judge(tree, *args)
    except SaikenError as exc:
        return [_unreadable(exc, rel(name), terms)]


def _dated(tree: Tree, name: str, terms: tuple[int, ...]) -> tuple[list[tuple[dt.date, dict[str, Any]]], list[Finding]]:
    """Entries with their date; an entry whose date is not YYYY-MM-DD is a finding."""
    field_ = "date"
    dated, bad = [], []
    key = FILES[name][0]
    for n, e in enumerate(tree.entries(name)):
        d = e.get(field_)
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
            dated.append((d, e))
        else:
            bad.append(Finding(terms, rel(name), f"{field_} は YYYY-MM-DD 形式の日付です。{rel(name)} を直してください。",
                               f"{key}[{n}].{field_}"))
    return dated, bad


def _year_phrase(year: int, as_of: dt.date, what: str) -> str:
    end = fy_end(year)
    return (f"{fy_label(year)}の{what}" if as_of > end else f"今年度（{fy_label(year)}）の{what}（期限 {end.isoformat()}）")


def _training(tree: Tree, years: list[int], as_of: dt.date) -> list[Finding]:
    """Term 18: every active handler trained in each fiscal year since the one they were designated in."""
    dated, out = _dated(tree, "trainings", (18,))
    for year in years:
        trained = {h for d, e in dated if fiscal_year(d) == year for h in e.get("attendees") or []}
        missing = [h.id for h in tree.policy.active_handlers if h.id not in trained and fiscal_year(h.designated) <= year]
        if missing:
            out.append(Finding((18,), rel("trainings"), _year_phrase(year, as_of, "従事者教育を受けていない有効な取扱者がいます")
                               + f": {', '.join(missing)}。実施したら `saiken ledger training --date YYYY-MM-DD "
                               f"--attendees {','.join(missing)} --topic 内容` で記録してください。",
                               fy_label(year), WARNING, fy_end(year)))
    return out


def _audits(tree: Tree, years: list[int], as_of: dt.date) -> list[Finding]:
    """Terms 15–17: 甲's check of the contractor at least once in each fiscal year."""
    dated, out = _dated(tree, "audits", (15, 16, 17))
    done = {fiscal_year(d) for d, _ in dated}
    return out + [Finding((15, 16, 17), rel("audits"), f"{fy_label(y)}の甲による確認（立入り調査等）・監査の記録がありません"
                          + ("" if as_of > fy_end(y) else f"（年度末 {fy_end(y).isoformat()} までに実施）")
                          + "。実施したら `saiken ledger audit --date YYYY-MM-DD --by 甲の取扱者ID --method 立入り調査 "
                          "--result 結果` で記録してください。", fy_label(y), WARNING, fy_end(y))
                  for y in years if y not in done]


def _incidents(tree: Tree, as_of: dt.date) -> list[Finding]:
    """Term 19: 甲 notified, and the written report given, by the deadlines of policies/incidents.yaml."""
    out: list[Finding] = []
    for n, e in enumerate(tree.entries("incidents")):
        label = f"incidents[{n}]" + (f"（{e['id']}）" if e.get("id") else "")
        start = e.get("discovered") if isinstance(e.get("discovered"), dt.date) else e.get("occurred")
        if not isinstance(start, dt.date):
            out.append(Finding((19,), rel("incidents"), f"事故の発見日（discovered）も発生日（occurred）もないため、"
                               f"報告の期限がわかりません。{rel('incidents')} に日付を記録してください。", label))
            continue
        prelim, final = incident_deadlines(tree.yaml(INCIDENT_RULES), start, bool(e.get("wrongful")))
        for field_, due_field, deadline, what in (("notified", "prelim_due", prelim, "甲への速報（通知）"),
                                                  ("report", "final_due", final, "書面による事故報告")):
            deadline = e[due_field] if isinstance(e.get(due_field), dt.date) else deadline
            if not isinstance(e.get(field_), dt.date) and as_of > deadline:
                out.append(Finding((19,), rel("incidents"), f"事故 {e.get('id')} の{what}が期限（{deadline.isoformat()}）を"
                                   f"過ぎても記録されていません。提出したら `saiken incident report {e.get('id')} "
                                   f"--{field_} YYYY-MM-DD` で記録してください。", label, due=deadline))
    return out


def media_out(root: Path, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Media handed over and not back (on `as_of`, if given)."""
    return [m for m in entries(root, "media") if _out(m, as_of)]


def _out(m: dict[str, Any], as_of: dt.date | None) -> bool:
    back, given = m.get("returned"), m.get("handed_over")
    if as_of is not None and isinstance(given, dt.date) and given > as_of:
        return False
    return not isinstance(back, dt.date) or (as_of is not None and back > as_of)


def _media(tree: Tree, end: dt.date, as_of: dt.date) -> list[Finding]:
    """Contractor measure 4, term 11: every medium back with 甲 by the contract end."""
    return [Finding((11,), rel("media"), f"媒体 {m.get('id')}（{m.get('kind')}）が契約終了日（{end.isoformat()}）を過ぎても"
                    f"返還されていません。返還されたら `saiken ledger return --medium {m.get('id')}` で記録してください。",
                    f"media[{n}]" + (f"（{m['id']}）" if m.get("id") else ""), due=end)
            for n, m in enumerate(tree.entries("media")) if _out(m, as_of)]


def _after_end(tree: Tree, end: dt.date) -> list[Finding]:
    """Terms 11, 12 after the contract end: 乙 erases (its keys) and certifies; 甲 takes 乙 off the
    records – no record may stay encrypted to a 乙 handler's key."""
    out: list[Finding] = []
    otsu = [h.id for h in tree.policy.active_handlers if h.organisation == "乙"]
    if otsu:
        out.append(Finding((11, 12), "policies/handlers.yaml", f"契約終了（{end.isoformat()}）後も乙の取扱者が有効です: "
                           f"{', '.join(otsu)}。`saiken handler deactivate ID --on {end.isoformat()}` で解除し、"
                           "`saiken erase --as 甲` で甲だけに暗号化し直してください。", due=end))
    try:
        raw = tree.read(manifest.MANIFEST_FILE)
        left = recipients.open_to("乙", tree.policy, manifest.parse(raw.decode("utf-8", "replace")) if raw else None,
                                  tree.record_files())
    except SaikenError as exc:  # a public key in policies/handlers.yaml that does not parse
        return out + [_unreadable(exc, "policies/handlers.yaml", (11, 12))]
    if left:
        out.append(Finding((11, 12), RECORDS_DIR + "/", f"契約終了（{end.isoformat()}）後も {len(left)} 件の記録が乙の鍵でも"
                           f"開ける暗号化のままです（{', '.join(left[:5])}{' ほか' if len(left) > 5 else ''}）。乙の取扱者を解除し"
                           "（`saiken handler deactivate ID`）、`saiken erase --as 甲`（`saiken rekey`）で甲だけに暗号化し直してください。",
                           due=end))
    out += _guard(tree, "erasures", (11, 12), _certificate, end)
    return out


def _certificate(tree: Tree, end: dt.date) -> list[Finding]:
    if any(isinstance(e.get("certificate"), dt.date) for e in tree.entries("erasures")):
        return []
    return [Finding((11, 12), rel("erasures"), f"契約終了（{end.isoformat()}）後の個人情報の消去と消去証明書が記録されていません。"
                    "乙の取扱者が `saiken erase --as 乙` を実行し、証明書を甲に提出してください。", due=end)]
