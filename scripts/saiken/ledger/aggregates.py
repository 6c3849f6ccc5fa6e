"""実績の集計: figures per fiscal year computed from the records, written to ledger/aggregates.yaml.

A handler runs `saiken report aggregates --write` with a key that opens every record. Only totals
leave the records – no case id, no name, no per-case amount – so the file is PII-free and is
committed; the site and the council export read it without a key (saiken.publishing.results, whose docstring
shows the format). Small counts are written as they are: suppression happens when they are
published, with the threshold of policies/publication.yaml.

For a fiscal year Y (April to March):

    cases        entrusted records (status other than 受任前) with an amount due by the end of Y and
                 not paid before Y, or a payment in Y
    by_status    those cases by their status on the day of computing (`as_of` in the entry)
    assessed     調定額: for those cases, what had fallen due by the end of Y – the installments of
                 the loan's schedule, or the whole principal once the benefit of time was lost
                 (claim.demanded_on, or an agreement's clause: casework.acceleration) – less what was
                 paid before Y
    collected    収入済額: the payments dated in Y (claim.payments)
    written_off  不納欠損額: what a principal debtor's 時効援用 in Y extinguished (the unpaid amount of
                 each installment closed, limitation.closures.written_off; needs policies/limitation.yaml
                 when a record holds a 時効援用). The computed figure is also kept as
                 written_off_computed; a written_off edited by hand (differing from it) is kept when Y is
                 computed again, and said so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saiken import wareki
from saiken.casework import acceleration, installments, limitation
from saiken.casework.limitation import closures
from saiken.casework.limitation.events import Rules
from saiken.core import bulk, crypto, layout, policy, yamlio
from saiken.core.files import atomic_write
from saiken.core.records import Store
from saiken.errors import SaikenError, os_reason

AGGREGATES_FILE = "ledger/aggregates.yaml"
NOT_ENTRUSTED = "受任前"
HEADER = ("# 実績の集計（年度ごと）。`saiken report aggregates --write` が記録から作ります。\n"
          "# 個人情報・事案番号は含みません。公開（方針サイト・審議会報告）では、policies/publication.yaml の\n"
          "# min_cases 件未満から出る数字を秘匿します。不納欠損額（written_off）は記録の時効援用から計算します\n"
          "# （written_off_computed と同じ値）。区の会計処理の値を手で書くと、再集計しても残ります。\n")


@dataclass(frozen=True)
class CaseFigures:
    """What one record contributes, without saying whose: status, dues and payments."""

    status: str
    dues: tuple[tuple[dt.date, int], ...]        # (due date, amount) of each installment
    principal: int
    demanded_on: dt.date | None                  # the day the whole balance fell due, if it did
    payments: tuple[tuple[dt.date, int], ...]
    written_off: tuple[tuple[dt.date, int], ...] = ()  # (day, amount) extinguished by a principal's 援用

    def due_by(self, day: dt.date) -> int:
        if self.demanded_on is not None and self.demanded_on <= day:
            return self.principal
        return sum(amount for due, amount in self.dues if due <= day)

    def paid_between(self, start: dt.date | None, end: dt.date) -> int:
        return sum(amount for day, amount in self.payments if (start is None or day >= start) and day <= end)


INVOCATION = "時効援用"


def figures(case_id: str, record: dict[str, Any], as_of: dt.date | None = None,
            rules: Rules | None = None) -> CaseFigures:
    """One record's figures (run in bulk, maybe in a forked worker: only these numbers come back)."""
    try:
        claim = record.get("claim") or {}
        acc = acceleration.find(record, as_of or dt.date.max)
        return CaseFigures(str(record.get("status")), tuple((i.due, i.amount) for i in installments.schedule(record)),
                           int(claim.get("principal") or 0), acc.day if acc else None,
                           tuple(installments.payments(record)), _written_off(record, as_of, rules))
    except SaikenError as exc:
        raise SaikenError(f"記録の債権金額を集計できません: {exc.message}",
                          where=f"{layout.record_rel(case_id)}: {exc.where or 'claim'}",
                          hint=f"`saiken case edit {case_id}` で直してから、もう一度実行してください。") from None


def _written_off(record: dict[str, Any], as_of: dt.date | None, rules: Rules | None) -> tuple[tuple[dt.date, int], ...]:
    if not any(h.get("kind") == INVOCATION for h in record.get("history") or []):
        return ()
    if rules is None or as_of is None:
        raise SaikenError("時効援用の記録があるため不納欠損額を計算しますが、消滅時効の規則がありません。",
                          where=limitation.events.RULES_FILE,
                          hint="saiken のリポジトリにある policies/limitation.yaml を記録リポジトリの policies/ に"
                               "コピーしてください。")
    return tuple(closures.written_off(limitation.assess(record, rules, as_of)))


def year_entry(cases: list[CaseFigures], year: int, as_of: dt.date) -> dict[str, Any]:
    start, end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    before = start - dt.timedelta(days=1)
    counted = []
    assessed = collected = written_off = 0
    for case in cases:
        if case.status == NOT_ENTRUSTED:
            continue
        owed = max(case.due_by(end) - case.paid_between(None, before), 0)
        paid = case.paid_between(start, end)
        if owed or paid:
            counted.append(case)
            assessed += owed
            collected += paid
        written_off += sum(amount for day, amount in case.written_off if start <= day <= end)
    by_status = Counter(case.status for case in counted)
    return {"fiscal_year": year, "cases": len(counted), "by_status": dict(sorted(by_status.items())),
            "assessed": assessed, "collected": collected, "written_off": written_off,
            "written_off_computed": written_off, "as_of": as_of}


def compute(store: Store, identities: list[crypto.LoadedIdentity], year: int, as_of: dt.date) -> dict[str, Any]:
    """The entry for fiscal year `year`, from every record (all must open with `identities`)."""
    if year > wareki.fiscal_year(as_of):
        raise SaikenError(f"{wareki.fiscal_year_label(year)}（{year}年度）はまだ始まっていません（基準日 {as_of.isoformat()}）。",
                          hint="--fy には基準日の年度以前を指定してください。")
    if not identities:
        raise SaikenError("鍵がないため、記録を開いて集計できません。", where=crypto.ENV_IDENTITY,
                          hint="SAIKEN_IDENTITY に、すべての記録を開ける取扱者の鍵ファイルを指定してください。")
    try:
        rules: Rules | None = limitation.load_rules(store.root)
    except SaikenError:
        rules = None  # needed only for a record with a 時効援用, which then says so

    def summarise(case_id: str, record: dict[str, Any]) -> CaseFigures:
        return figures(case_id, record, as_of, rules)
    cases = list(bulk.summaries(store, identities, summarise))
    return year_entry(cases, year, as_of)


def hand_written(root: Path, entry: dict[str, Any]) -> int | None:
    """A written_off for entry's year edited by hand (kept when the year is written again), or None."""
    years = load_years(root) or []
    old = next((y for y in years if y.get("fiscal_year") == entry["fiscal_year"]), None)
    if old is None or old.get("written_off") is None:
        return None
    computed = old.get("written_off_computed", 0)
    return int(old["written_off"]) if old["written_off"] != computed else None


def merged(root: Path, entry: dict[str, Any]) -> str:
    """ledger/aggregates.yaml with `entry` in place of its fiscal year (comments and other years kept)."""
    path = root / AGGREGATES_FILE
    doc: Any = None
    if path.is_file():
        load_years(root)          # refuse to rewrite a file that is not in the expected form
        doc = yamlio.rt_load(yamlio.decode(path.read_bytes(), where=AGGREGATES_FILE),
                             where=AGGREGATES_FILE)
    if not isinstance(doc, dict):
        doc = yamlio.rt_load(HEADER + "fiscal_years: []\n", where=AGGREGATES_FILE)
    years = doc["fiscal_years"]
    old = next((i for i, y in enumerate(years) if y.get("fiscal_year") == entry["fiscal_year"]), None)
    if old is not None:
        kept = hand_written(root, entry)
        for key, value in entry.items():           # in place: comments on the entry's lines stay
            if key != "written_off" or kept is None:
                years[old][key] = value
    else:
        years.append(entry)
        years.sort(key=lambda y: y.get("fiscal_year", 0))
    return yamlio.rt_dump(doc)


def write(root: Path, entry: dict[str, Any]) -> Path:
    """Write atomically and read back through saiken.publishing.results; nothing is written on any error."""
    text = merged(root, entry)
    probe = yamlio.fast_load(text, where=AGGREGATES_FILE)
    if not isinstance(probe, dict) or not isinstance(probe.get("fiscal_years"), list):
        raise SaikenError("集計の書式を作れませんでした。", where=AGGREGATES_FILE)
    path = root / AGGREGATES_FILE
    try:
        path.parent.mkdir(exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
    except OSError as exc:
        raise SaikenError(f"書き込めません（{os_reason(exc)}）。", where=AGGREGATES_FILE) from None
    load_years(root)
    return path


def render(entry: dict[str, Any]) -> str:
    """The entry as YAML, as it goes into the file."""
    return yamlio.rt_dump({"fiscal_years": [entry]})


def load_years(root: Path) -> list[dict[str, Any]] | None:
    if not (root / AGGREGATES_FILE).is_file():
        return None
    data = policy.load_yaml(root, AGGREGATES_FILE) or {}
    years = data.get("fiscal_years") if isinstance(data, dict) else None
    if not isinstance(years, list):
        raise SaikenError("「fiscal_years」がありません。", where=AGGREGATES_FILE)
    for n, y in enumerate(years):
        where = f"{AGGREGATES_FILE}: fiscal_years[{n}]"
        if not isinstance(y, dict) or not isinstance(y.get("fiscal_year"), int) or not isinstance(y.get("cases"), int):
            raise SaikenError("各年度に fiscal_year（年）と cases（件数）が必要です。", where=where)
        for key in ("assessed", "collected", "written_off", "written_off_computed"):
            if y.get(key) is not None and not _count(y[key]):
                raise SaikenError(f"{key} は 0 以上の整数（円）です（{y[key]}）。", where=where,
                                  hint=_REMAKE)
        by_status = y.get("by_status") or {}
        if not isinstance(by_status, dict) or not all(_count(v) for v in by_status.values()):
            raise SaikenError("by_status は「処理状況: 件数」のまとまりです。", where=where,
                              hint=_REMAKE)
    return sorted(years, key=lambda y: y["fiscal_year"])


_REMAKE = (f"集計は手で直しません。`git checkout -- {AGGREGATES_FILE}` で戻すか、その年度を消してから "
           "`saiken report aggregates --fy 年度 --write` で作り直してください。")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
