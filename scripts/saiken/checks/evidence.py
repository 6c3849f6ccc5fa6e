"""Evidence the terms ask for, due by date, from ledger/ (terms 11, 12, 15–19).

A repository-level check: it judges the state of ledger/, policies/ and records/ on a date
(`--as-of`), not the files of one commit, so the runner runs it for `saiken check --all` (and CI)
only. What is due, and when, is decided in one place – `due()` here, which the 取扱状況報告
and the site use too; this check only turns its findings into check findings. In short:
- 従事者教育 (18) of every active handler and 甲の確認・監査 (15–17), each fiscal year in force:
  warnings – reminders that a commit cannot fix (the contractor cannot record 甲's audit).
- 事故 (19): 甲 notified and the written report given by the deadlines of policies/incidents.yaml.
- After the contract's end (11, 12): media returned, no record still encrypted to a 乙 handler's key
  (seen without decrypting: ssh key tags, records/<xx>/<y>/manifest.yaml), 乙's handlers taken off, and an
  erasure with its certificate in ledger/erasures.yaml – errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput, is_record_path
from saiken.core import layout, manifest, recipients
from saiken.core.contract import Contract, fy_end, fy_label
from saiken.core.policy import CONTRACT_FILE, Policy, load_yaml, parse_yaml
from saiken.core.layout import RECORDS_DIR
from saiken.errors import SaikenError
from saiken.wareki import fiscal_year

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
INCIDENT_RULES = "policies/incidents.yaml"
WARNING = "warning"


def rel(name: str) -> str:
    return f"ledger/{name}.yaml"


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


# --- what is due: the one place (this check, the 取扱状況報告 and the site ask here) -----------------

@dataclass(frozen=True)
class Due:
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
            for rel in layout.record_rels(root):
                yield rel, (root / rel).read_bytes()
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


def findings(root: Path, as_of: dt.date) -> list[Due]:
    """What evidence the terms ask for is missing on `as_of`, in the work tree at `root`."""
    return due(Tree.worktree(root), as_of)


def due(tree: Tree, as_of: dt.date) -> list[Due]:
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
    return Due(terms, file, f"{exc.message} {file} を直してください（書式は docs/procedures/evidence.md）。")


def _guard(tree: Tree, name: str, terms: tuple[int, ...], judge: Callable[..., list[Due]],
           *args: Any) -> list[Due]:
    try:
        return judge(tree, *args)
    except SaikenError as exc:
        return [_unreadable(exc, rel(name), terms)]


def _dated(tree: Tree, name: str, terms: tuple[int, ...]) -> tuple[list[tuple[dt.date, dict[str, Any]]], list[Due]]:
    """Entries with their date; an entry whose date is not YYYY-MM-DD is a finding."""
    field_ = "date"
    dated, bad = [], []
    key = FILES[name][0]
    for n, e in enumerate(tree.entries(name)):
        d = e.get(field_)
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
            dated.append((d, e))
        else:
            bad.append(Due(terms, rel(name), f"{field_} は YYYY-MM-DD 形式の日付です。{rel(name)} を直してください。",
                               f"{key}[{n}].{field_}"))
    return dated, bad


def _year_phrase(year: int, as_of: dt.date, what: str) -> str:
    end = fy_end(year)
    return (f"{fy_label(year)}の{what}" if as_of > end else f"今年度（{fy_label(year)}）の{what}（期限 {end.isoformat()}）")


def _training(tree: Tree, years: list[int], as_of: dt.date) -> list[Due]:
    """Term 18: every active handler trained in each fiscal year since the one they were designated in."""
    dated, out = _dated(tree, "trainings", (18,))
    for year in years:
        trained = {h for d, e in dated if fiscal_year(d) == year for h in e.get("attendees") or []}
        missing = [h.id for h in tree.policy.active_handlers if h.id not in trained and fiscal_year(h.designated) <= year]
        if missing:
            out.append(Due((18,), rel("trainings"), _year_phrase(year, as_of, "従事者教育を受けていない有効な取扱者がいます")
                               + f": {', '.join(missing)}。実施したら `saiken ledger training --date YYYY-MM-DD "
                               f"--attendees {','.join(missing)} --topic 内容` で記録してください。",
                               fy_label(year), WARNING, fy_end(year)))
    return out


def _audits(tree: Tree, years: list[int], as_of: dt.date) -> list[Due]:
    """Terms 15–17: 甲's check of the contractor at least once in each fiscal year."""
    dated, out = _dated(tree, "audits", (15, 16, 17))
    done = {fiscal_year(d) for d, _ in dated}
    return out + [Due((15, 16, 17), rel("audits"), f"{fy_label(y)}の甲による確認（立入り調査等）・監査の記録がありません"
                          + ("" if as_of > fy_end(y) else f"（年度末 {fy_end(y).isoformat()} までに実施）")
                          + "。実施したら `saiken ledger audit --date YYYY-MM-DD --by 甲の取扱者ID --method 立入り調査 "
                          "--result 結果` で記録してください。", fy_label(y), WARNING, fy_end(y))
                  for y in years if y not in done]


def _incidents(tree: Tree, as_of: dt.date) -> list[Due]:
    """Term 19: 甲 notified, and the written report given, by the deadlines of policies/incidents.yaml."""
    out: list[Due] = []
    for n, e in enumerate(tree.entries("incidents")):
        label = f"incidents[{n}]" + (f"（{e['id']}）" if e.get("id") else "")
        start = e.get("discovered") if isinstance(e.get("discovered"), dt.date) else e.get("occurred")
        if not isinstance(start, dt.date):
            out.append(Due((19,), rel("incidents"), f"事故の発見日（discovered）も発生日（occurred）もないため、"
                               f"報告の期限がわかりません。{rel('incidents')} に日付を記録してください。", label))
            continue
        prelim, final = incident_deadlines(tree.yaml(INCIDENT_RULES), start, bool(e.get("wrongful")))
        for field_, due_field, deadline, what in (("notified", "prelim_due", prelim, "甲への速報（通知）"),
                                                  ("report", "final_due", final, "書面による事故報告")):
            deadline = e[due_field] if isinstance(e.get(due_field), dt.date) else deadline
            if not isinstance(e.get(field_), dt.date) and as_of > deadline:
                out.append(Due((19,), rel("incidents"), f"事故 {e.get('id')} の{what}が期限（{deadline.isoformat()}）を"
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


def _media(tree: Tree, end: dt.date, as_of: dt.date) -> list[Due]:
    """Contractor measure 4, term 11: every medium back with 甲 by the contract end."""
    return [Due((11,), rel("media"), f"媒体 {m.get('id')}（{m.get('kind')}）が契約終了日（{end.isoformat()}）を過ぎても"
                    f"返還されていません。返還されたら `saiken ledger return --medium {m.get('id')}` で記録してください。",
                    f"media[{n}]" + (f"（{m['id']}）" if m.get("id") else ""), due=end)
            for n, m in enumerate(tree.entries("media")) if _out(m, as_of)]


def _after_end(tree: Tree, end: dt.date) -> list[Due]:
    """Terms 11, 12 after the contract end: 乙 erases (its keys) and certifies; 甲 takes 乙 off the
    records – no record may stay encrypted to a 乙 handler's key."""
    out: list[Due] = []
    otsu = [h.id for h in tree.policy.active_handlers if h.organisation == "乙"]
    if otsu:
        out.append(Due((11, 12), "policies/handlers.yaml", f"契約終了（{end.isoformat()}）後も乙の取扱者が有効です: "
                           f"{', '.join(otsu)}。`saiken handler deactivate ID --on {end.isoformat()}` で解除し、"
                           "`saiken erase --as 甲` で甲だけに暗号化し直してください。", due=end))
    try:
        records = list(tree.record_files())
        left = recipients.open_to("乙", tree.policy, _manifest(tree, records), records)
    except SaikenError as exc:  # a public key in policies/handlers.yaml that does not parse
        return out + [_unreadable(exc, "policies/handlers.yaml", (11, 12))]
    if left:
        out.append(Due((11, 12), RECORDS_DIR + "/", f"契約終了（{end.isoformat()}）後も {len(left)} 件の記録が乙の鍵でも"
                           f"開ける暗号化のままです（{', '.join(left[:5])}{' ほか' if len(left) > 5 else ''}）。乙の取扱者を解除し"
                           "（`saiken handler deactivate ID`）、`saiken erase --as 甲`（`saiken rekey`）で甲だけに暗号化し直してください。",
                           due=end))
    out += _guard(tree, "erasures", (11, 12), _certificate, end)
    return out


def _manifest(tree: Tree, records: list[tuple[str, bytes]]) -> manifest.Manifest:
    """The lines of these records, from the manifests their layout puts their lines in."""
    man = manifest.Manifest({}, [])
    for rel in sorted({layout.manifest_for(p) for p, _ in records}):
        raw = tree.read(rel)
        if raw:
            for case_id, found in manifest.parse(raw.decode("utf-8", "replace")).entries.items():
                man.entries.setdefault(case_id, []).extend(found)
    return man


def _certificate(tree: Tree, end: dt.date) -> list[Due]:
    if any(isinstance(e.get("certificate"), dt.date) for e in tree.entries("erasures")):
        return []
    return [Due((11, 12), rel("erasures"), f"契約終了（{end.isoformat()}）後の個人情報の消去と消去証明書が記録されていません。"
                    "乙の取扱者が `saiken erase --as 乙` を実行し、証明書を甲に提出してください。", due=end)]


# --- the check ---------------------------------------------------------------------------------------

ID = "evidence"
TERMS = (11, 12, 15, 16, 17, 18, 19)
SEVERITY = ERROR
TITLE = "研修・監査・事故報告・返還と消去の記録を ledger/ に期限までに残す"
SCOPE = "repository"

_found = FindingMaker(ID, TERMS, SEVERITY)


def check(inp: CheckInput) -> Iterable[Finding]:
    tree = Tree(inp.raw, lambda: ((f.path, f.data) for f in inp.files if is_record_path(f.path)),
                         inp.ctx.policy)
    for found in due(tree, inp.ctx.as_of or dt.date.today()):
        yield _found(found.file, found.where, found.message, severity=found.severity, terms=found.terms or None)
